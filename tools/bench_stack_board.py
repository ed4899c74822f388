"""TCP through the whole client path on one board: stack, device, crypto and back (issue 10).

    tools/emulate build/firmware/rp2-pico/firmware.uf2 tools/bench_stack_board.py
    micropython tools/bench_stack_board.py            python3 tools/bench_stack_board.py

Two ends in memory, wired as the client's loop wires them (the stack's sink seals at once, the
device's sink hands each decrypted packet to the stack): the device (192.0.2.2) sends BYTES over
one TCP connection to the other end (192.0.2.1), which reads them. The time spent in each end's
calls is measured apart, so the device's share is what a board running only its own end spends:
sealing the segments, opening the ACKs, TCP on both. The datagrams between the two are copied
once (a board's socket send would copy them too). Run with the checksum's plain Python loop and
with the one chosen at import (viper on MicroPython), median of 3.
"""
import gc
import sys

sys.path.insert(0, ".")

from client.compat import ticks_diff, ticks_us  # noqa: E402

from client.net import checksum  # noqa: E402
from client.net.stack import Stack  # noqa: E402
from client.wg.device import Device  # noqa: E402
from client.wg.keepalive import PowerKeepalive  # noqa: E402

BYTES = 64 * 1024
PORT = 80
RUNS = 3


class End:
    """One end: a device and its stack, with the time spent in its calls."""

    def __init__(self, seed, address, wire):
        self.stamp = 0
        self.device = Device(bytes(range(seed, seed + 32)), self._tai)
        self.stack = Stack([address + "/32"], max_connections=1)
        self.now = 0
        self.us = 0
        self.wire = wire
        self.stack.sink = lambda packet: self.device.send_packet(packet, self.now)
        self.device.sink = lambda packet, peer: self.stack.receive(packet, self.now)
        self.device.datagram_sink = lambda datagram, endpoint: wire.append((endpoint, bytes(datagram)))

    def _tai(self):
        self.stamp += 1
        return self.stamp.to_bytes(12, "big")

    def timed(self, fn, *args):
        t = ticks_us()
        result = fn(*args)
        self.us += ticks_diff(ticks_us(), t)
        return result


def pair():
    wire = []
    dev = End(1, "192.0.2.2", wire)
    srv = End(101, "192.0.2.1", wire)
    dev.device.add_peer(srv.device.identity.public, None, "srv", ["192.0.2.1/32"], PowerKeepalive(0, 600))
    srv.device.add_peer(dev.device.identity.public, None, "dev", ["192.0.2.2/32"], PowerKeepalive(0, 600))
    return dev, srv, wire


def pump(dev, srv, wire):
    """Deliver datagrams and flush both stacks until nothing moves."""
    ends = {"dev": dev, "srv": srv}
    while True:
        dev.timed(dev.stack.flush, dev.now)
        srv.timed(srv.stack.flush, srv.now)
        if not wire:
            return
        while wire:
            endpoint, datagram = wire.pop(0)
            to = ends[endpoint]
            to.timed(to.device.receive, datagram, "srv" if to is dev else "dev", to.now)


def transfer():
    """(device us, other end us, segments the device sent) for BYTES from the device to the other end."""
    dev, srv, wire = pair()
    listener = srv.stack.listen(PORT)
    conn = dev.stack.connect(bytes((192, 0, 2, 1)), PORT, 0)
    pump(dev, srv, wire)  # handshake (WireGuard, then TCP)
    peer_conn = listener.accept()
    assert conn.established and peer_conn is not None, "no connection"
    gc.collect()
    dev.us = srv.us = 0
    chunk = bytes(1024)
    sent = received = 0
    before = dev.device.peers[0].counters.sent.get("data", 0)
    while received < BYTES:
        while sent < BYTES:
            n = dev.timed(conn.send, chunk[:min(len(chunk), BYTES - sent)])
            if not n:
                break
            sent += n
        pump(dev, srv, wire)
        while True:
            data = srv.timed(peer_conn.recv, 4096)
            if not data:
                break
            received += len(data)
        pump(dev, srv, wire)
    segments = dev.device.peers[0].counters.sent.get("data", 0) - before
    return dev.us, srv.us, segments


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def row(label):
    runs = [transfer() for _ in range(RUNS)]
    dev_us = median([r[0] for r in runs])
    srv_us = median([r[1] for r in runs])
    segments = runs[0][2]
    print("| %s | %d | %.2f ms | %.0f kbit/s | %.2f ms |" % (
        label, segments, dev_us / 1000 / segments, BYTES * 8 / (dev_us / 1e6) / 1000, srv_us / 1000 / segments))


def main():
    print("TCP %d KB from the device to the other end, both in memory on %s; median of %d" % (
        BYTES // 1024, sys.platform, RUNS))
    print("| checksum sum | data packets sent | device CPU per data packet | device goodput (its CPU only) "
          "| other end CPU per data packet |")
    print("|---|---|---|---|---|")
    chosen = checksum._sum
    checksum._sum = checksum._ones_sum_loop
    row("plain Python loop")
    checksum._sum = chosen
    kind = {checksum._ones_sum_bigint: "big integer", checksum._ones_sum_loop: "plain loop"}.get(chosen, "viper")
    row("chosen at import (%s)" % kind)


main()
