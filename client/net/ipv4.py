"""IPv4 wire format (RFC 791): parse with every check the stack needs, emit into a buffer."""
import struct

from ..compat import const
from .checksum import checksum

HEADER_SIZE = const(20)
VERSION_IHL = const(0)
TOTAL_LENGTH = const(2)
IDENT = const(4)
FLAGS_FRAGMENT = const(6)
TTL = const(8)
PROTOCOL = const(9)
CHECKSUM = const(10)
SOURCE = const(12)
DESTINATION = const(16)
PROTO_ICMP = const(1)
PROTO_TCP = const(6)
PROTO_UDP = const(17)
DEFAULT_TTL = const(64)
_DONT_FRAGMENT = const(0x4000)


class Header:
    """The fields of a received IPv4 header that layers above need."""

    def __init__(self, ihl, total, proto, src, dst):
        self.ihl = ihl
        self.total = total
        self.proto = proto
        self.src = src
        self.dst = dst


def parse(packet):
    """A Header, or the name of the drop counter (str) for a malformed or unsupported packet."""
    n = len(packet)
    if n < HEADER_SIZE or packet[0] >> 4 != 4:
        return "ipv6_ignored" if n and packet[0] >> 4 == 6 else "bad_header"
    ihl = (packet[VERSION_IHL] & 0x0F) * 4
    total = (packet[TOTAL_LENGTH] << 8) | packet[TOTAL_LENGTH + 1]
    if ihl < HEADER_SIZE or total < ihl or total > n:
        return "bad_header"
    if checksum(packet, 0, ihl):
        return "bad_checksum"
    if packet[TTL] == 0:
        return "ttl_expired"
    if ((packet[FLAGS_FRAGMENT] << 8) | packet[FLAGS_FRAGMENT + 1]) & 0x3FFF:  # MF flag or an offset
        return "fragment"
    return Header(ihl, total, packet[PROTOCOL], bytes(packet[SOURCE:SOURCE + 4]),
                  bytes(packet[DESTINATION:DESTINATION + 4]))


def emit(buf, src, dst, proto, payload_length, ident):
    """Write a 20-byte header at buf[0:20] for a payload that follows it; returns the total length."""
    total = HEADER_SIZE + payload_length
    struct.pack_into(">BBHHHBBH", buf, 0, 0x45, 0, total, ident & 0xFFFF, _DONT_FRAGMENT, DEFAULT_TTL, proto, 0)
    buf[SOURCE:SOURCE + 4] = src
    buf[DESTINATION:DESTINATION + 4] = dst
    struct.pack_into(">H", buf, CHECKSUM, checksum(buf, 0, HEADER_SIZE))
    return total
