"""The handshake clock: TAI64N timestamps that survive reboots without NTP (keepalive.md "clock").

timestamp = max(wall clock, high-water mark + 1 tick), strictly increasing. The mark is kept in
`state_file` in reserved blocks: we persist "every timestamp up to R may have been used" with R a
day ahead, and write again only when a timestamp passes R. A reboot with the clock set back (a
board without NTP) starts above R, so the server, which remembers our last timestamp, accepts us.
Flash is written once per boot and once per reserved day at most. Where the file cannot be written
(a board without a writable filesystem, a read-only mount) the clock still runs on the wall clock
and the monotonic mark in RAM; it says so once in the log and in the status (`unsaved`), since
after such a reboot the server may refuse our handshakes until the wall clock passes the old mark.
"""
import json
import os
import time

from . import log
from .wg import tai64n

RESERVE_BLOCK_S = 86_400
_TICK_NS = 1 << 24  # the low 24 bits of TAI64N nanoseconds are zeroed: the smallest step
_NS = 1_000_000_000
# Seconds between 1970 and the port's epoch (ESP32 counts from 2000).
_EPOCH_OFFSET_S = 946_684_800 if time.gmtime(0)[0] == 2000 else 0


def wall_ns():
    """Unix time in ns, shifted by WG_CLOCK_OFFSET_S where the environment has it (tests)."""
    offset = 0
    getenv = getattr(os, "getenv", None)
    if getenv is not None:
        offset = int(getenv("WG_CLOCK_OFFSET_S") or 0)
    return time.time_ns() + (_EPOCH_OFFSET_S + offset) * _NS


def _whiten(t_ns):
    return t_ns - ((t_ns % _NS) & (_TICK_NS - 1))


def _next_step(t_ns):
    if t_ns % _NS + _TICK_NS >= _NS:
        return (t_ns // _NS + 1) * _NS
    return t_ns + _TICK_NS


class Clock:
    def __init__(self, state_file, wall=wall_ns):
        self.state_file = state_file
        self.wall = wall
        self.writes = 0
        self.unsaved = None  # why the state cannot be written, once it could not
        reserved_s = self._load()
        # Anything up to the old reservation may have been used before the reboot.
        self.last_ns = max(reserved_s * _NS, 0)
        self.reserved_ns = 0
        self._reserve(max(self.wall(), self.last_ns))

    def _load(self):
        try:
            with open(self.state_file) as f:
                return int(json.load(f).get("tai64n_reserved_until_s", 0))
        except (OSError, ValueError, TypeError, AttributeError):
            return 0  # no state yet (first boot) or unreadable: start from the wall clock

    def _reserve(self, from_ns):
        reserved_s = from_ns // _NS + RESERVE_BLOCK_S
        # Reserved either way: an unwritable file is tried again a day later, not at every handshake.
        self.reserved_ns = reserved_s * _NS
        tmp = self.state_file + ".tmp"
        try:
            with open(tmp, "w") as f:
                f.write(json.dumps({"tai64n_reserved_until_s": reserved_s}))
            os.rename(tmp, self.state_file)  # atomic: a reset mid-write keeps the old block
        except OSError as e:
            if self.unsaved is None:
                log.warning("clock state not saved to %s (%s): timestamps stay increasing while running; "
                            "after a reboot the server may refuse handshakes until the clock passes the old ones"
                            % (self.state_file, e))
            self.unsaved = str(e)
            return
        self.unsaved = None
        self.writes += 1

    def now_ns(self):
        """The next timestamp in ns: never below the wall clock, always above the previous one.

        Values are whitened (low 24 bits of the nanosecond field zero), so the smallest step is
        2^24 ns within a second, or the start of the next second.
        """
        t = max(_whiten(self.wall()), _next_step(self.last_ns))
        if t > self.reserved_ns:
            self._reserve(t)
        self.last_ns = t
        return t

    def tai64n(self):
        t = self.now_ns()
        return tai64n.encode(t // _NS, t % _NS)
