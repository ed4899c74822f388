"""Plain-Python hot loops: ChaCha20, HChaCha20, Poly1305 (AEAD layout), BLAKE2s compression.

Runs everywhere (CPython, every MicroPython port). `viper.py` provides the same four functions
with native code for MicroPython ports that have the viper emitter; `backend_pure` picks one.
"""
import struct

from .common import BLAKE2S_IV

_M32 = 0xFFFFFFFF
_SIGMA = (0x61707865, 0x3320646E, 0x79622D32, 0x6B206574)  # "expand 32-byte k"
_P1305 = (1 << 130) - 5


def _rounds(x):
    # 10 double rounds (RFC 8439 §2.3): columns then diagonals.
    for _ in range(10):
        for a, b, c, d in ((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
                           (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14)):
            xa = (x[a] + x[b]) & _M32
            xd = x[d] ^ xa
            xd = ((xd << 16) | (xd >> 16)) & _M32
            xc = (x[c] + xd) & _M32
            xb = x[b] ^ xc
            xb = ((xb << 12) | (xb >> 20)) & _M32
            xa = (xa + xb) & _M32
            xd ^= xa
            xd = ((xd << 8) | (xd >> 24)) & _M32
            xc = (xc + xd) & _M32
            xb ^= xc
            xb = ((xb << 7) | (xb >> 25)) & _M32
            x[a] = xa
            x[b] = xb
            x[c] = xc
            x[d] = xd


def chacha20_xor(key, nonce12, counter, src, dst):
    """dst[i] = src[i] ^ keystream(key, nonce12, starting at block `counter`); dst may be src."""
    state = list(_SIGMA) + list(struct.unpack("<8I", key)) + [counter] + list(struct.unpack("<3I", nonce12))
    n = len(src)
    off = 0
    while off < n:
        x = state[:]
        _rounds(x)
        block = struct.pack("<16I", *[(x[i] + state[i]) & _M32 for i in range(16)])
        end = min(off + 64, n)
        for i in range(off, end):
            dst[i] = src[i] ^ block[i - off]
        off = end
        state[12] = (state[12] + 1) & _M32


def hchacha20(key, nonce16):
    """HChaCha20 (draft-irtf-cfrg-xchacha §2.2): the subkey for XChaCha20."""
    x = list(_SIGMA) + list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))
    _rounds(x)
    return struct.pack("<8I", x[0], x[1], x[2], x[3], x[12], x[13], x[14], x[15])


def _poly_blocks(h, r, data):
    # Full 16-byte blocks with the 2^128 bit; a partial tail is zero-padded (AEAD padding, RFC 8439 §2.8).
    for off in range(0, len(data), 16):
        chunk = bytes(data[off:off + 16])
        if len(chunk) < 16:
            chunk += bytes(16 - len(chunk))
        h = ((h + int.from_bytes(chunk, "little") + (1 << 128)) * r) % _P1305
    return h


def poly1305_aead(otk, ad, ct):
    """Poly1305 tag over ad || pad16 || ct || pad16 || le64(len ad) || le64(len ct)."""
    r = int.from_bytes(otk[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    s = int.from_bytes(otk[16:32], "little")
    h = _poly_blocks(0, r, ad)
    h = _poly_blocks(h, r, ct)
    h = _poly_blocks(h, r, struct.pack("<QQ", len(ad), len(ct)))
    return ((h + s) & ((1 << 128) - 1)).to_bytes(16, "little")


_BLAKE2S_SIGMA = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    (14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3),
    (11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4),
    (7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8),
    (9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13),
    (2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9),
    (12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11),
    (13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10),
    (6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5),
    (10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0),
)
def blake2s_compress(h, block, t, last):
    """RFC 7693 §3.2 F: mixes the 64-byte `block` into the eight words of `h` (an array('I'))."""
    m = struct.unpack("<16I", block)
    v = [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]] + list(BLAKE2S_IV)
    v[12] ^= t & _M32
    v[13] ^= (t >> 32) & _M32
    if last:
        v[14] ^= _M32
    for s in _BLAKE2S_SIGMA:
        for i, (a, b, c, d) in enumerate(((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
                                          (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14))):
            va = (v[a] + v[b] + m[s[2 * i]]) & _M32
            vd = v[d] ^ va
            vd = ((vd >> 16) | (vd << 16)) & _M32
            vc = (v[c] + vd) & _M32
            vb = v[b] ^ vc
            vb = ((vb >> 12) | (vb << 20)) & _M32
            va = (va + vb + m[s[2 * i + 1]]) & _M32
            vd ^= va
            vd = ((vd >> 8) | (vd << 24)) & _M32
            vc = (vc + vd) & _M32
            vb ^= vc
            vb = ((vb >> 7) | (vb << 25)) & _M32
            v[a] = va
            v[b] = vb
            v[c] = vc
            v[d] = vd
    for i in range(8):
        h[i] ^= v[i] ^ v[i + 8]
