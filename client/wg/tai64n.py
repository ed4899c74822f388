"""TAI64N timestamps for handshake initiations (protocol.md §2).

12 bytes: big-endian u64 (2^62 + 10 + unix seconds) || big-endian u32 nanoseconds, with the low
24 bits of the nanoseconds zeroed as the kernel and wireguard-go do (hides precise timing).
"""
import struct

_TAI64_BASE = 0x400000000000000A
_WHITEN_MASK = 0xFF000000


def encode(unix_seconds, nanoseconds=0):
    return struct.pack(">QI", _TAI64_BASE + unix_seconds, nanoseconds & _WHITEN_MASK)


def decode(stamp):
    """(unix seconds, nanoseconds) of a TAI64N timestamp."""
    seconds, nanos = struct.unpack(">QI", stamp)
    return seconds - _TAI64_BASE, nanos
