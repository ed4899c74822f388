"""The Internet checksum (RFC 1071), the one helper every layer uses.

The sum runs over every byte of every packet, so its implementation is chosen once at import:
viper native code on MicroPython (checksum_viper.py), and on CPython the packet as one big-endian
integer modulo 0xFFFF (2^16 = 1 mod 0xFFFF, so that is the sum of its 16-bit words, folded) - a
loop in C instead of one in Python. The plain loop stays for a MicroPython without viper.
"""
from ..compat import MICROPYTHON


def _ones_sum_loop(data, start, end):
    total = 0
    i = start
    while i + 1 < end:
        total += (data[i] << 8) | data[i + 1]
        i += 2
    if i < end:
        total += data[i] << 8
    return total


def _ones_sum_bigint(data, start, end):
    n = int.from_bytes(data[start:end], "big")
    if (end - start) & 1:
        n <<= 8  # the last byte is the high half of a word padded with zero
    r = n % 0xFFFF
    # A one's-complement sum is 0 only when every word is 0; otherwise a multiple of 0xFFFF
    # sums to 0xFFFF (what the folding loop gives, and what UDP must send instead of 0).
    return 0xFFFF if r == 0 and n else r


try:
    from .checksum_viper import ones_sum_native as _sum
except (ImportError, SyntaxError, NotImplementedError):  # CPython, or a port without viper
    # (a board without viper keeps the loop: the big integer would be a packet-sized allocation)
    _sum = _ones_sum_loop if MICROPYTHON else _ones_sum_bigint


def ones_sum(data, start, end, total=0):
    """16-bit one's-complement sum of data[start:end] added to total (not inverted; fold() folds)."""
    return total + _sum(data, start, end)


def fold(total):
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def checksum(data, start=0, end=None):
    return fold(ones_sum(data, start, len(data) if end is None else end))


def pseudo_header_sum(src, dst, proto, length):
    """The IPv4 pseudo-header's contribution to a UDP/TCP checksum (RFC 768, RFC 9293 §3.1)."""
    return (((src[0] << 8) | src[1]) + ((src[2] << 8) | src[3]) + ((dst[0] << 8) | dst[1])
            + ((dst[2] << 8) | dst[3]) + proto + length)


def transport_checksum(packet, start, end, src, dst, proto):
    """Checksum of a UDP/TCP segment packet[start:end] with its pseudo-header."""
    return fold(ones_sum(packet, start, end, pseudo_header_sum(src, dst, proto, end - start)))
