"""Hostile load: how much handshake work the device is asked to do, and cookie replies per source.

`LoadMeter` — the work is X25519 operations on received handshake messages that passed mac1, each
costing the runtime's measured X25519 time (`set_dh_cost`, from client/calibrate.py). Two leaky
buckets of that work (in µs) drain at LOAD_SHARE_PERCENT of the time and hold HANDSHAKE_BURST_DH
operations: "asked" counts every such message (what it costs to verify it, plus the response when
one is made), "served" only the work done. A message that does not fit in "asked" is an excess:
the device is under load from then until UNDER_LOAD_LINGER_MS after the last excess. Under load, a
handshake message needs a valid mac2 (else a cookie reply, no X25519) and room in "served", so
the handshake work stays within the share plus one burst even when the senders hold cookies.

`CookieLimiter` — cookie replies per source address (the port does not count, as in the kernel):
COOKIE_REPLIES_PER_S with a burst of COOKIE_REPLY_BURST, one tick value per source (GCRA). At most
COOKIE_SOURCES_MAX addresses are tracked; when all are active a new one gets no reply (counted,
as the kernel's full table). A configured peer's current endpoint has its own slot outside the
table, so sources that fill the table never silence the server.

Sans-I/O: everything takes `now` (ms ticks); only integers (no floats on the receive path).
"""
from ..compat import ticks_add, ticks_diff
from .constants import (COOKIE_REPLIES_PER_S, COOKIE_REPLY_BURST, COOKIE_SOURCES_MAX, DH_COST_DEFAULT_US,
                        DH_COST_MAX_US, DH_COST_MIN_US, HANDSHAKE_BURST_DH, LOAD_SHARE_PERCENT, LOAD_WINDOW_MS,
                        UNDER_LOAD_LINGER_MS)

_DRAIN_US_PER_MS = LOAD_SHARE_PERCENT * 10  # the buckets drain this share of every millisecond (µs)
_EMISSION_MS = 1000 // COOKIE_REPLIES_PER_S  # one reply per source every 50 ms in the long run
_TOLERANCE_MS = (COOKIE_REPLY_BURST - 1) * _EMISSION_MS  # ... after a burst of 5


class LoadMeter:
    def __init__(self, dh_cost_us=DH_COST_DEFAULT_US):
        self.set_dh_cost(dh_cost_us)
        self.asked_us = 0  # bucket of the work asked for (µs)
        self.served_us = 0  # bucket of the work done (µs)
        self.last = None  # ms ticks of the last drain
        self.born = None  # ms ticks: the start of "since start"
        self.excess_at = None  # ms ticks of the last excess of the current period
        self.period_start = None
        self.periods = 0  # under-load periods begun
        self.loaded_ms = 0  # length of the finished periods
        self.last_end = None  # ms ticks at which the last finished period ended
        self.dh = 0  # X25519 done for received handshake messages
        self.over_budget = 0  # messages with a valid mac2 refused under load (no room in "served")
        self.window_start = None
        self.window_dh = 0
        self.peak_bp = 0  # highest share (1/10000) of a LOAD_WINDOW_MS window of handshake work

    def set_dh_cost(self, us):
        """The runtime's X25519 cost (µs), as measured at start-up; the threshold derives from it."""
        self.dh_cost_us = min(max(int(us), DH_COST_MIN_US), DH_COST_MAX_US)
        self.capacity_us = HANDSHAKE_BURST_DH * self.dh_cost_us

    def start(self, now):
        if self.born is None:
            self.born = self.last = self.window_start = now

    def _drain(self, now):
        self.start(now)
        elapsed = ticks_diff(now, self.last)
        self.last = now
        if elapsed < 0 or elapsed >= self.capacity_us // _DRAIN_US_PER_MS:
            # Long enough to empty any bucket (negative: more than half the tick period ago).
            self.asked_us = self.served_us = 0
        elif elapsed:
            d = elapsed * _DRAIN_US_PER_MS
            self.asked_us = max(0, self.asked_us - d)
            self.served_us = max(0, self.served_us - d)

    def _ask(self, now, dh):
        w = dh * self.dh_cost_us
        if self.asked_us + w <= self.capacity_us:
            self.asked_us += w
            return
        self.asked_us = self.capacity_us
        if not self.under_load(now):
            self.periods += 1
            self.period_start = now
        self.excess_at = now

    def asked(self, now, dh):
        """A handshake message that passed mac1 asks for `dh` X25519 (what verifying it costs): True
        when the device is under load (this message included)."""
        self._drain(now)
        self._ask(now, dh)
        return self.under_load(now)

    def affordable(self, now, dh):
        """Under load: may a message with a valid mac2 have its `dh` X25519?"""
        self._drain(now)
        if self.served_us + dh * self.dh_cost_us <= self.capacity_us:
            return True
        self.over_budget += 1
        return False

    def spent(self, now, dh, answer=False):
        """`dh` X25519 were done for a received message; answer=True: for the response we made to it
        (asked for too, as it was not counted when the message arrived)."""
        self._drain(now)
        if answer:
            self._ask(now, dh)
        self._roll(now)
        self.served_us = min(self.served_us + dh * self.dh_cost_us, self.capacity_us)
        self.dh += dh
        self.window_dh += dh

    def _roll(self, now):
        # Work is added after rolling, so a finished window holds only work done inside it.
        elapsed = ticks_diff(now, self.window_start)
        if 0 <= elapsed < LOAD_WINDOW_MS:
            return
        self.peak_bp = max(self.peak_bp, _bp(self.window_dh * self.dh_cost_us, LOAD_WINDOW_MS))
        self.window_start = now
        self.window_dh = 0

    def under_load(self, now):
        at = self.excess_at
        if at is None:
            return False
        if 0 <= ticks_diff(now, at) < UNDER_LOAD_LINGER_MS:
            return True
        end = ticks_add(at, UNDER_LOAD_LINGER_MS)
        self.loaded_ms += ticks_diff(end, self.period_start)
        self.last_end = end
        self.excess_at = self.period_start = None
        return False


def _ahead(tat, now):
    """How far a source's theoretical arrival time is ahead of now (0: its burst is whole again;
    beyond the largest possible value: a value from more than half the tick period ago)."""
    a = ticks_diff(tat, now)
    return a if 0 < a <= _TOLERANCE_MS + _EMISSION_MS else 0


class CookieLimiter:
    def __init__(self, max_sources=COOKIE_SOURCES_MAX):
        self.max_sources = max_sources
        self.tat = {}  # source address -> ms ticks (theoretical arrival time of its next reply)
        self.peer_tat = {}  # Peer -> ms ticks, for the sources that are a peer's current endpoint
        self.sent = 0
        self.limited = 0  # refused: that source's rate
        self.full = 0  # refused: the table was full of active sources
        self.swept = None

    def allow(self, source, peer, now):
        """May `source` (the current endpoint of `peer`, or peer None) get a cookie reply now?"""
        if peer is not None:
            table, key = self.peer_tat, peer
        else:
            table, key = self.tat, source_address(source)
            if key not in table and len(table) >= self.max_sources and not self._sweep(now):
                self.full += 1
                return False
        tat = table.get(key)
        a = 0 if tat is None else _ahead(tat, now)
        if a > _TOLERANCE_MS:
            self.limited += 1
            return False
        table[key] = ticks_add(now, a + _EMISSION_MS)
        self.sent += 1
        return True

    def _sweep(self, now):
        """Forget sources whose burst is whole again (they hold nothing); True when room was made.
        At most once per emission interval: nothing can have become idle in between."""
        if self.swept is not None and 0 <= ticks_diff(now, self.swept) < _EMISSION_MS:
            return False
        self.swept = now
        for key in [k for k in self.tat if _ahead(self.tat[k], now) == 0]:
            del self.tat[key]
        return len(self.tat) < self.max_sources


def source_address(endpoint):
    """The address of a source without its port (IPv6: its /64, as the kernel's rate limiter):
    endpoints are opaque to the core — raw sockaddr bytes (MicroPython unix), (host, port, ...)
    tuples (CPython, lwIP), "host:port" strings (tests)."""
    if isinstance(endpoint, (bytes, bytearray)):
        n = len(endpoint)
        if n >= 8 and endpoint[0] == 2 and endpoint[1] == 0:  # sockaddr_in: family, port, address
            return bytes(endpoint[4:8])
        if n >= 24 and endpoint[0] == 10 and endpoint[1] == 0:  # sockaddr_in6: family, port, flow, address
            return bytes(endpoint[8:16])
        return bytes(endpoint)
    if isinstance(endpoint, tuple) and endpoint:
        return endpoint[0]
    if isinstance(endpoint, str) and ":" in endpoint:
        return endpoint.rsplit(":", 1)[0]
    return endpoint


def load_status(device, now):
    """The device's load figures for display (status module) and tests."""
    m, c = device.load, device.cookie_limiter
    loaded = m.under_load(now) or device.under_load
    born = m.born
    elapsed = 0 if born is None else ticks_diff(now, born)
    current = 0 if m.period_start is None else ticks_diff(now, m.period_start)
    return {
        "under_load": loaded, "forced": device.under_load, "periods": m.periods,
        "under_load_for_ms": current if m.period_start is not None else None,
        "under_load_total_ms": m.loaded_ms + current,
        "last_ended_ago_ms": None if m.last_end is None or m.period_start is not None else ticks_diff(now, m.last_end),
        "cookies_sent": c.sent, "cookies_rate_limited": c.limited + c.full, "cookies_table_full": c.full,
        "sources": len(c.tat), "sources_max": c.max_sources,
        "handshake_dh": m.dh, "over_budget": m.over_budget, "dh_cost_us": m.dh_cost_us,
        "share_bp": _bp(m.dh * m.dh_cost_us, elapsed), "peak_bp": max(m.peak_bp, _window_bp(m, now)),
        "budget_percent": LOAD_SHARE_PERCENT,
    }


def _bp(work_us, elapsed_ms):
    """work (µs) in elapsed (ms) as a share in 1/10000."""
    return work_us * 10 // elapsed_ms if elapsed_ms > 0 else 0


def _window_bp(m, now):
    # The current window, counted only once it is complete (a partial one would be over-weighted).
    if m.window_start is None or ticks_diff(now, m.window_start) < LOAD_WINDOW_MS:
        return 0
    return _bp(m.window_dh * m.dh_cost_us, LOAD_WINDOW_MS)
