"""UDP (RFC 768): wire format and sockets with bounded receive queues."""
import struct

from ..compat import const
from .checksum import transport_checksum

HEADER_SIZE = const(8)


def parse(packet, start, end, src, dst):
    """(src_port, dst_port, payload memoryview), or the name of a drop counter."""
    if end - start < HEADER_SIZE:
        return "udp_short"
    src_port, dst_port, length, check = struct.unpack_from(">HHHH", packet, start)
    if length < HEADER_SIZE or start + length > end:
        return "udp_bad_length"
    if check and transport_checksum(packet, start, start + length, src, dst, 17):
        return "udp_bad_checksum"  # 0 means "no checksum" (RFC 768)
    return src_port, dst_port, memoryview(packet)[start + HEADER_SIZE:start + length]


def emit(src, dst, src_port, dst_port, payload, headroom=0):
    """The UDP datagram at buf[headroom:] (room for the IP header in front, as tcp.emit)."""
    h = headroom
    seg = bytearray(h + HEADER_SIZE + len(payload))
    struct.pack_into(">HHHH", seg, h, src_port, dst_port, len(seg) - h, 0)
    seg[h + HEADER_SIZE:] = payload
    check = transport_checksum(seg, h, len(seg), src, dst, 17)
    struct.pack_into(">H", seg, h + 6, check or 0xFFFF)  # a computed 0 is sent as all ones
    return seg


class UdpSocket:
    """Bound to a port of the device's tunnel address; datagrams queue until read."""

    def __init__(self, stack, port, queue_max):
        self.stack = stack
        self.port = port
        self.queue = []  # (payload bytes, (ip bytes, port))
        self.queue_max = queue_max
        self.dropped = 0
        self.on_datagram = None  # optional callback(socket), e.g. the forward bridge

    def deliver(self, payload, source):
        if len(self.queue) >= self.queue_max:
            self.dropped += 1
            self.stack.count("udp_queue_full")
            return
        self.queue.append((bytes(payload), source))
        if self.on_datagram is not None:
            self.on_datagram(self)

    def recvfrom(self):
        """(data, (ip bytes, port)), or None when nothing is queued."""
        return self.queue.pop(0) if self.queue else None

    def sendto(self, data, address):
        self.stack.send_udp(self.port, address, data)

    def close(self):
        self.stack.udp.pop(self.port, None)
