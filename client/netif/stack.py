"""The "stack" netif (boards, and hosts without TUN): the userspace IP stack as the tunnel's other
end, with its port forwards to the board's own sockets and the device programs' API.

Decrypted packets from the tunnel go in (`write`); packets the stack builds go out through `send`
(the device's `send_packet`) as soon as they are built. The loop calls `service(now)` after each
wake-up and sleeps no later than `next_deadline()`; asyncio programs using the tunnel's sockets
(client.net.api) run as their own tasks and wake the loop when they queue something.
"""
import gc

from ..compat import MICROPYTHON, earliest, ticks_diff
from ..net.stack import Stack


def _heap_in_use():
    if not MICROPYTHON:
        return None
    gc.collect()
    return gc.mem_alloc()


class StackNetif:
    def __init__(self, cfg, poller, send, buffers=None):
        """send(packet, now): into the tunnel. buffers: the TCP rings' pool (see __main__)."""
        self.send = send
        self.stack = Stack(cfg.addresses, mtu=cfg.mtu, max_connections=cfg.tcp_connections,
                           rx_size=cfg.tcp_buffer, tx_size=cfg.tcp_buffer, udp_queue=cfg.udp_queue,
                           buffers=buffers)
        self.stack.sink = self._to_tunnel
        self.forwarder = None
        if cfg.forward:
            from .forward import Forwarder
            self.forwarder = Forwarder(self.stack, cfg.forward, poller)
        self.network = None  # the tunnel's sockets for asyncio programs (client.net.api): network_api()
        self.now = 0  # the current wake-up's time, for packets the stack sends from callbacks
        self.peak_connections = 0
        self.heap_at_peak = None  # MicroPython: gc.mem_alloc() after a collect, at the most connections

    def network_api(self, sched):
        """The asyncio API over the stack (sched: client/aio.py's Scheduler), loaded on first use: a
        client that only forwards never holds that code in RAM."""
        if self.network is None:
            from ..net.api import Network
            self.network = Network(self.stack, sched)
        return self.network

    def _to_tunnel(self, packet):
        # The stack's sink: sealed and sent as soon as it is built (one packet in RAM at a time).
        self.send(packet, self.now)

    def write(self, packet, now):
        """A decrypted packet from the tunnel (a view of the device's buffer, valid during the call)."""
        self.now = now
        self.stack.receive(packet, now)

    def ready(self, obj, now):
        """A poll() event that is not the UDP socket: one of the forwards' local sockets."""
        if self.forwarder is not None:
            owner = self.forwarder.owner(obj)
            if owner is not None:
                self.forwarder.ready(owner, now)

    def service(self, now):
        # After a burst: forwards move data, then the stack sends data and one ACK per connection.
        self.now = now
        stack = self.stack
        d = stack.next_deadline()
        if d is not None and ticks_diff(now, d) >= 0:
            stack.poll(now)
        if self.forwarder is not None:
            self.forwarder.service(now)
        if self.network is not None:
            self.network.service()  # programs' data into the send buffers, waiting tasks woken
        stack.flush(now)
        if len(stack.tcp) > self.peak_connections:
            self.peak_connections = len(stack.tcp)
            self.heap_at_peak = _heap_in_use()

    def next_deadline(self):
        d = self.stack.next_deadline()
        if self.forwarder is not None:
            d = earliest(d, self.forwarder.next_deadline())
        return d  # programs' timeouts are asyncio's own timers

    def close(self, now):
        """Every connection reset (forwards' and programs'), the RSTs sent before the socket closes,
        and the programs' waiting tasks woken to find their connections gone."""
        if self.forwarder is not None:
            self.forwarder.close()
        for conn in list(self.stack.tcp.values()):
            conn.abort()
        if self.network is not None:
            self.network.close()
        self.service(now)
