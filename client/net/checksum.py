"""The Internet checksum (RFC 1071), the one helper every layer uses."""


def ones_sum(data, start, end, total=0):
    """16-bit one's-complement sum of data[start:end] added to total (not folded, not inverted)."""
    i = start
    while i + 1 < end:
        total += (data[i] << 8) | data[i + 1]
        i += 2
    if i < end:
        total += data[i] << 8
    return total


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
