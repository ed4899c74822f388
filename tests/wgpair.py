"""Two WireGuard devices wired together in memory, with a fake clock (test helper).

Nothing sleeps: `advance(ms)` jumps from deadline to deadline, runs the due timers and delivers
every datagram at once. The clock starts one minute before the tick counter wraps, so every
scenario crosses the wrap. Randomness is a seeded BLAKE2s stream, so runs are repeatable.
"""
import struct

from client import crypto
from client.compat import ticks_add, ticks_diff
from client.wg.device import Device
from client.wg.keepalive import PowerKeepalive, StandardKeepalive

ADDR_A = "A:51820"  # endpoints are opaque to the core: strings suffice in memory
ADDR_B = "B:51820"
IP_A = bytes((192, 0, 2, 1))
IP_B = bytes((192, 0, 2, 2))
START = ticks_add(0, -60_000)


def next_due(now, end, *deadlines):
    """The earliest armed deadline (None = unarmed) not after `end`: the fake clock's next stop."""
    armed = [d for d in deadlines if d is not None]
    d = min(armed, key=lambda t: ticks_diff(t, now)) if armed else None
    return None if d is None or ticks_diff(d, end) > 0 else d


class Rng:
    def __init__(self, seed):
        self.seed = seed
        self.n = 0

    def __call__(self, size):
        out = b""
        while len(out) < size:
            self.n += 1
            out += crypto.blake2s(self.seed + struct.pack("<I", self.n))
        return out[:size]


class Tai64n:
    """Strictly increasing TAI64N from a fake wall clock (seconds since 2026 + calls)."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return struct.pack(">QI", 0x400000000000000A + 1_780_000_000 + self.calls, 0)


def ipv4(src, dst, payload=b"ping", proto=1):
    """A minimal IPv4 packet (checksum not needed by the core)."""
    total = 20 + len(payload)
    return bytes((0x45, 0, total >> 8, total & 0xFF, 0, 0, 0, 0, 64, proto, 0, 0)) + src + dst + payload


class Pair:
    def __init__(self, psk=None, keepalive_a=0, keepalive_b=0, b_knows_a=False, power_a=False, confirm_a=600,
                 sinks=False):
        """sinks: run both devices as the client's loop does (datagram_sink and sink, reused buffers)."""
        self.now = START
        key_a = Rng(b"key a")(32)
        key_b = Rng(b"key b")(32)
        self.a = Device(key_a, Tai64n(), random_bytes=Rng(b"a"))
        self.b = Device(key_b, Tai64n(), random_bytes=Rng(b"b"))
        policy_a = PowerKeepalive(keepalive_a, confirm_a) if power_a else StandardKeepalive(keepalive_a)
        self.pa = self.a.add_peer(self.b.identity.public, psk, ADDR_B, ["192.0.2.2/32"], policy_a)
        self.pb = self.b.add_peer(self.a.identity.public, psk, ADDR_A if b_knows_a else None,
                                  ["192.0.2.1/32"], StandardKeepalive(keepalive_b))
        self.source_a = ADDR_A  # what B sees as the source of A's datagrams (roaming tests)
        self.wire = []  # (time, "a"|"b" sender, datagram) of everything delivered or dropped
        self.drop = None  # optional filter(sender, datagram) -> True to lose it
        self.received = {"a": [], "b": []}  # IP packets that came out of each device
        self.sunk = {"a": [], "b": []}  # datagrams handed to the sinks, copied at once (buffers are reused)
        if sinks:
            for name, dev in (("a", self.a), ("b", self.b)):
                dev.datagram_sink = lambda d, e, name=name: self.sunk[name].append((bytes(d), e))
                dev.sink = lambda packet, peer, name=name: self.received[name].append(bytes(packet))

    def deliver(self):
        moved = True
        while moved:
            moved = False
            for name, src, dst, source in (("a", self.a, self.b, None), ("b", self.b, self.a, ADDR_B)):
                out, src.outbox, self.sunk[name] = self.sunk[name] + src.outbox, [], []
                for datagram, endpoint in out:
                    moved = True
                    self.wire.append((self.now, name, bytes(datagram)))
                    if self.drop is not None and self.drop(name, datagram):
                        continue
                    dst.receive(bytes(datagram), source or self.source_a, self.now)
            for name, dev in (("a", self.a), ("b", self.b)):
                self.received[name].extend(p for p, _ in dev.inbox)
                dev.inbox = []

    def advance(self, ms):
        """Move the clock `ms` forward, firing every timer on its deadline."""
        end = ticks_add(self.now, ms)
        while True:
            d = next_due(self.now, end, self.a.next_deadline(), self.b.next_deadline())
            if d is None:
                break
            if ticks_diff(d, self.now) > 0:
                self.now = d
            self.a.expire(self.now)
            self.b.expire(self.now)
            self.deliver()
        self.now = end

    def a_sends(self, payload=b"ping"):
        self.a.send_packet(ipv4(IP_A, IP_B, payload), self.now)
        self.deliver()

    def b_sends(self, payload=b"pong"):
        self.b.send_packet(ipv4(IP_B, IP_A, payload), self.now)
        self.deliver()

    def sent(self, sender, since=None, size=None):
        """Datagrams sent by `sender` on the wire (optionally since a time, of a size)."""
        return [d for t, s, d in self.wire if s == sender and (since is None or ticks_diff(t, since) >= 0)
                and (size is None or len(d) == size)]

    def handshake(self):
        self.a_sends(b"hello")
        assert self.pa.keypairs.current is not None
        assert self.pb.keypairs.current is not None, "B confirms on A's first data"
