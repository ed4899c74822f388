"""X25519 (RFC 7748 §5) with Python integers: one code path for every runtime.

Python integers are not constant-time; see README "Security notes". Field elements stay
non-negative integers below 2^256 between steps, reduced with `%` once per product.
"""

_P = (1 << 255) - 19
_A24 = 121665
_MASK255 = (1 << 255) - 1
_BASE_U = 9


def clamp(k):
    # RFC 7748 §5: clear the 3 low bits and bit 255, set bit 254.
    k = bytearray(k)
    k[0] &= 248
    k[31] = (k[31] & 127) | 64
    return k


def decode_u(u):
    # The high bit is masked; non-canonical values (>= p) are accepted and reduced (RFC 7748 §5).
    return (int.from_bytes(u, "little") & _MASK255) % _P


def _square_n(x, n, p):
    for _ in range(n):
        x = x * x % p
    return x


def _invert(z):
    # z^(p-2) by the addition chain of curve25519-donna: 254 squarings and 11 multiplications,
    # about twice as fast as pow(z, p - 2, p) on MicroPython (p - 2 is mostly one-bits).
    p = _P
    z2 = z * z % p
    z9 = _square_n(z2, 2, p) * z % p
    z11 = z9 * z2 % p
    z2_5_0 = z11 * z11 % p * z9 % p
    z2_10_0 = _square_n(z2_5_0, 5, p) * z2_5_0 % p
    z2_20_0 = _square_n(z2_10_0, 10, p) * z2_10_0 % p
    z2_40_0 = _square_n(z2_20_0, 20, p) * z2_20_0 % p
    z2_50_0 = _square_n(z2_40_0, 10, p) * z2_10_0 % p
    z2_100_0 = _square_n(z2_50_0, 50, p) * z2_50_0 % p
    z2_200_0 = _square_n(z2_100_0, 100, p) * z2_100_0 % p
    z2_250_0 = _square_n(z2_200_0, 50, p) * z2_50_0 % p
    return _square_n(z2_250_0, 5, p) * z11 % p


def ladder(k, u):
    """Montgomery ladder (RFC 7748 §5): the u-coordinate of k*u; k is the clamped scalar as
    32 little-endian bytes (bits read from bytes keep the loop on small ints)."""
    p = _P
    mask = _MASK255
    x1 = u
    x2, z2, x3, z3 = 1, 0, u, 1
    swap = 0
    t = 254
    while t >= 0:
        bit = (k[t >> 3] >> (t & 7)) & 1
        if swap ^ bit:
            x2, x3 = x3, x2
            z2, z3 = z3, z2
        swap = bit
        a = x2 + z2
        b = x2 - z2
        # Squares are folded once (2^255 = 19 mod p) instead of divided: cheaper, still bounded.
        aa = a * a
        aa = (aa & mask) + 19 * (aa >> 255)
        bb = b * b
        bb = (bb & mask) + 19 * (bb >> 255)
        e = aa - bb
        da = (x3 - z3) * a
        cb = (x3 + z3) * b
        x3 = (da + cb) % p
        z3 = (da - cb) % p
        x3 = x3 * x3 % p
        z3 = x1 * z3 * z3 % p
        x2 = aa * bb % p
        z2 = e * (aa + _A24 * e) % p
        t -= 1
    if swap:
        x2, z2 = x3, z3
    return x2 * _invert(z2) % p


def x25519(k, u):
    """RFC 7748 X25519(k, u) on 32-byte strings; the caller checks for the all-zero result."""
    return ladder(clamp(k), decode_u(u)).to_bytes(32, "little")


def public_key(k):
    return ladder(clamp(k), _BASE_U).to_bytes(32, "little")
