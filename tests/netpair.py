"""Two userspace stacks wired back to back with a fake clock (test helper for client.net).

`dev` is the device (192.0.2.2), `host` the other end (192.0.2.1). `loss` may drop packets;
`hold` may delay them for reordering.
"""
from client.compat import ticks_add, ticks_diff
from client.net.stack import Stack
from tests.wgpair import Rng, next_due

DEV_IP = bytes((192, 0, 2, 2))
HOST_IP = bytes((192, 0, 2, 1))


class NetPair:
    def __init__(self, sink=False, **kw):
        """sink: the device's stack hands each packet to a sink as the client's loop runs it (built in
        the stack's one reused buffer); the sink here copies it to the outbox at once."""
        self.now = ticks_add(0, -5_000)
        self.dev = Stack(["192.0.2.2/32"], random_bytes=Rng(b"dev"), **kw)
        if sink:
            self.dev.sink = lambda packet: self.dev.outbox.append(bytes(packet))
        self.host = Stack(["192.0.2.1/32"], random_bytes=Rng(b"host"))
        self.drop = None  # filter(sender, packet) -> True to lose it
        self.log = []  # (sender, packet) of everything put on the wire
        self.held = []

    def exchange(self):
        """Deliver until both sides are quiet (flushing after each burst, as the loop does)."""
        for _ in range(10_000):
            self.dev.flush(self.now)
            self.host.flush(self.now)
            moved = False
            for name, src, dst in (("dev", self.dev, self.host), ("host", self.host, self.dev)):
                out, src.outbox = src.outbox, []
                for packet in out:
                    moved = True
                    self.log.append((name, bytes(packet)))
                    if self.drop is not None and self.drop(name, packet):
                        continue
                    dst.receive(bytes(packet), self.now)
            if not moved:
                return

    def advance(self, ms):
        end = ticks_add(self.now, ms)
        while True:
            d = next_due(self.now, end, self.dev.next_deadline(), self.host.next_deadline())
            if d is None:
                break
            if ticks_diff(d, self.now) > 0:
                self.now = d
            self.dev.poll(self.now)
            self.host.poll(self.now)
            self.exchange()
        self.now = end
        self.exchange()

    def sent(self, name):
        return [p for n, p in self.log if n == name]
