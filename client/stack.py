"""The userspace netif ("stack") for boards: IPv4 + ICMP echo for the device's tunnel addresses.

The core's decrypted packets come in; reply packets go out (back into the tunnel). Every
malformed or foreign packet is dropped and counted. (The full stack - UDP, TCP, forwards - is
issue 5; this keeps a board reachable by ping, so reachability is testable on MicroPython.)
"""
import struct

from .allowedips import parse_cidr
from .compat import const

_IP_VERSION_IHL = const(0)
_IP_TOTAL_LENGTH = const(2)
_IP_TTL = const(8)
_IP_PROTOCOL = const(9)
_IP_CHECKSUM = const(10)
_IP_SOURCE = const(12)
_IP_DESTINATION = const(16)
_PROTO_ICMP = const(1)
_ICMP_ECHO_REPLY = const(0)
_ICMP_ECHO_REQUEST = const(8)
_TTL = const(64)


def checksum(data, start=0, end=None):
    """RFC 1071 Internet checksum of data[start:end]."""
    if end is None:
        end = len(data)
    total = 0
    i = start
    while i + 1 < end:
        total += (data[i] << 8) | data[i + 1]
        i += 2
    if i < end:
        total += data[i] << 8
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


class Stack:
    def __init__(self, addresses):
        self.addresses = [parse_cidr(a)[1] for a in addresses if parse_cidr(a)[0] == 4]
        self.counters = {"echo_replies": 0, "ipv6_ignored": 0, "not_for_us": 0, "bad_header": 0,
                         "bad_checksum": 0, "fragment": 0, "unhandled": 0}

    def _count(self, name):
        self.counters[name] += 1
        return None

    def receive(self, packet):
        """One IP packet from the tunnel; returns a reply packet or None."""
        if not packet:
            return self._count("bad_header")
        if packet[0] >> 4 == 6:
            return self._count("ipv6_ignored")
        n = len(packet)
        ihl = (packet[_IP_VERSION_IHL] & 0x0F) * 4
        if packet[0] >> 4 != 4 or ihl < 20 or n < ihl:
            return self._count("bad_header")
        total = (packet[_IP_TOTAL_LENGTH] << 8) | packet[_IP_TOTAL_LENGTH + 1]
        if total < ihl or total > n or checksum(packet, 0, ihl):
            return self._count("bad_checksum" if total >= ihl and total <= n else "bad_header")
        if bytes(packet[_IP_DESTINATION:_IP_DESTINATION + 4]) not in self.addresses:
            return self._count("not_for_us")
        if (packet[6] & 0x3F) or packet[7]:  # more-fragments flag or an offset
            return self._count("fragment")
        if packet[_IP_PROTOCOL] == _PROTO_ICMP:
            return self._icmp(packet, ihl, total)
        return self._count("unhandled")

    def _icmp(self, packet, ihl, total):
        if total - ihl < 8 or checksum(packet, ihl, total):
            return self._count("bad_checksum")
        if packet[ihl] != _ICMP_ECHO_REQUEST:
            return self._count("unhandled")
        reply = bytearray(packet[:total])
        reply[_IP_SOURCE:_IP_SOURCE + 4] = packet[_IP_DESTINATION:_IP_DESTINATION + 4]
        reply[_IP_DESTINATION:_IP_DESTINATION + 4] = packet[_IP_SOURCE:_IP_SOURCE + 4]
        reply[_IP_TTL] = _TTL
        struct.pack_into(">H", reply, _IP_CHECKSUM, 0)
        struct.pack_into(">H", reply, _IP_CHECKSUM, checksum(reply, 0, ihl))
        reply[ihl] = _ICMP_ECHO_REPLY
        struct.pack_into(">H", reply, ihl + 2, 0)
        struct.pack_into(">H", reply, ihl + 2, checksum(reply, ihl, total))
        self.counters["echo_replies"] += 1
        return reply
