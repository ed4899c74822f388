"""WireGuard message layouts (protocol.md §1): field offsets, the type check, padding, IP lengths.

Parsing is by (type, exact size): anything else is not a WireGuard message and is dropped.
"""
import struct

from ..compat import const
from .constants import (COOKIE_REPLY_SIZE, INITIATION_SIZE, MESSAGE_COOKIE_REPLY, MESSAGE_INITIATION,
                        MESSAGE_TRANSPORT, PADDING_MULTIPLE, RESPONSE_SIZE,
                        TRANSPORT_MIN_SIZE)

# Initiation (type 1)
INIT_SENDER = const(4)
INIT_EPHEMERAL = const(8)
INIT_STATIC = const(40)  # 32 + 16 tag
INIT_TIMESTAMP = const(88)  # 12 + 16 tag
INIT_MAC1 = const(116)
INIT_MAC2 = const(132)
# Response (type 2)
RESP_SENDER = const(4)
RESP_RECEIVER = const(8)
RESP_EPHEMERAL = const(12)
RESP_EMPTY = const(44)  # 0 + 16 tag
RESP_MAC1 = const(60)
RESP_MAC2 = const(76)
# Cookie reply (type 3)
COOKIE_RECEIVER = const(4)
COOKIE_NONCE = const(8)
COOKIE_ENCRYPTED = const(32)  # 16 + 16 tag
# Transport (type 4)
DATA_RECEIVER = const(4)
DATA_COUNTER = const(8)
DATA_PAYLOAD = const(16)

_SIZES = (0, INITIATION_SIZE, RESPONSE_SIZE, COOKIE_REPLY_SIZE)


def message_type(data):
    """1..4 for a well-formed message; 0 for anything else (wrong type, reserved bytes, size)."""
    n = len(data)
    if n < 4 or data[1] or data[2] or data[3]:
        return 0
    t = data[0]
    if t == MESSAGE_TRANSPORT:
        return t if n >= TRANSPORT_MIN_SIZE else 0
    if MESSAGE_INITIATION <= t <= MESSAGE_COOKIE_REPLY and n == _SIZES[t]:
        return t
    return 0


def u32(data, offset):
    return struct.unpack_from("<I", data, offset)[0]


def u64(data, offset):
    return struct.unpack_from("<Q", data, offset)[0]


def new_message(kind, size):
    msg = bytearray(size)
    msg[0] = kind  # then three reserved zero bytes
    return msg


def padded_length(n, mtu):
    """Plaintext length after padding to a multiple of 16, never beyond the MTU (protocol.md §1)."""
    padded = (n + PADDING_MULTIPLE - 1) & ~(PADDING_MULTIPLE - 1)
    return padded if padded <= mtu else max(n, mtu)


def ip_length(packet):
    """The inner IP packet's own length (IPv4 total length, IPv6 40 + payload length), or 0."""
    n = len(packet)
    if n >= 20 and packet[0] >> 4 == 4:
        length = (packet[2] << 8) | packet[3]
        return length if 20 <= length <= n else 0
    if n >= 40 and packet[0] >> 4 == 6:
        length = 40 + ((packet[4] << 8) | packet[5])
        return length if length <= n else 0
    return 0


def ip_source(packet):
    """(version, source address bytes) of an IP packet already checked by ip_length."""
    if packet[0] >> 4 == 4:
        return 4, bytes(packet[12:16])
    return 6, bytes(packet[8:24])


def ip_destination(packet):
    """(version, destination address bytes), or (0, b"") when not an IPv4/IPv6 packet."""
    n = len(packet)
    if n >= 20 and packet[0] >> 4 == 4:
        return 4, bytes(packet[16:20])
    if n >= 40 and packet[0] >> 4 == 6:
        return 6, bytes(packet[24:40])
    return 0, b""
