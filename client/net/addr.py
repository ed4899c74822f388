"""IP addresses and prefixes as text <-> bytes (4 or 16), for the config, the stack and routing.

Addresses stay bytes everywhere else: comparing bytes allocates no big ints on 32-bit boards.
"""


def parse_ip(text):
    """(4, 4 bytes) or (6, 16 bytes); ValueError for anything else."""
    text = text.strip()
    if ":" in text:
        return 6, _parse_ipv6(text)
    parts = text.split(".")
    if len(parts) != 4 or not all(p.isdigit() and int(p) <= 255 for p in parts):
        raise ValueError("not an IP address: %r" % text)
    return 4, bytes(int(p) for p in parts)


def _parse_ipv6(text):
    halves = text.split("::")
    if len(halves) > 2:
        raise ValueError("not an IPv6 address: %r" % text)
    head = _hex_groups(halves[0], text)
    tail = _hex_groups(halves[1], text) if len(halves) == 2 else []
    fill = 8 - len(head) - len(tail)
    if (len(halves) == 2 and fill < 1) or (len(halves) == 1 and fill != 0):
        raise ValueError("not an IPv6 address: %r" % text)
    words = head + [0] * fill + tail
    out = bytearray(16)
    for i, w in enumerate(words):
        out[2 * i] = w >> 8
        out[2 * i + 1] = w & 0xFF
    return bytes(out)


def _hex_groups(part, text):
    if not part:
        return []
    words = []
    for g in part.split(":"):
        if not 1 <= len(g) <= 4 or not all(c in "0123456789abcdefABCDEF" for c in g):
            raise ValueError("not an IPv6 address: %r" % text)
        words.append(int(g, 16))
    return words


def parse_cidr(text):
    """(version, network bytes with host bits cleared, prefix length) of "addr/len" (or a bare address)."""
    parts = text.split("/")
    if len(parts) > 2:
        raise ValueError("not an address/prefix: %r" % text)
    version, raw = parse_ip(parts[0])
    length = parts[1] if len(parts) == 2 else ""
    bits = len(raw) * 8
    if length == "":
        prefix = bits
    elif length.isdigit() and int(length) <= bits:
        prefix = int(length)
    else:
        raise ValueError("bad prefix length in %r" % text)
    return version, _mask(raw, prefix), prefix


def _mask(raw, prefix):
    out = bytearray(raw)
    for i in range(len(out)):
        keep = min(max(prefix - 8 * i, 0), 8)
        out[i] &= (0xFF << (8 - keep)) & 0xFF
    return bytes(out)


def format_cidr(version, net, prefix):
    if version == 4:
        return "%d.%d.%d.%d/%d" % (net[0], net[1], net[2], net[3], prefix)
    return ":".join("%x" % ((net[i] << 8) | net[i + 1]) for i in range(0, 16, 2)) + "/%d" % prefix
