"""The pure backend: our own code, with machine code or viper hot loops where MicroPython has them.

Composes the primitives into the API of `client.crypto`; arguments are already validated there.
The hot code: `thumb` on the rp2 port (ARMv6-M machine code, X25519 included), else `viper`
(with `viper25519`), else `primitives` and `curve25519` (plain Python: CPython, ports without
the viper emitter).
"""
import struct
from array import array

try:
    from . import thumb as _hot  # rp2: ARMv6-M machine code (X25519 and whole BLAKE2s messages too)
    name = "pure (thumb)"
except ImportError:
    try:
        from . import viper as _hot  # MicroPython with the viper emitter (ptr32 code)
        name = "pure (viper)"
    except (ImportError, SyntaxError, NotImplementedError):  # CPython, or a port without it
        from . import primitives as _hot
        name = "pure"
if hasattr(_hot, "x25519"):
    _curve = _hot
else:
    try:
        from . import viper25519 as _curve  # field arithmetic in 32-bit words, constant-time
    except (ImportError, SyntaxError, NotImplementedError):
        from . import curve25519 as _curve  # Python integers (not constant-time)
from .common import BLAKE2S_IV, ct_equal

_ZERO32 = bytes(32)  # encrypted with block 0 to give the Poly1305 one-time key
_OTK = bytearray(32)  # the Poly1305 one-time key, reused: the transport path allocates nothing for it

x25519 = _curve.x25519
public_key = _curve.public_key


_NONCE = bytearray(12)


def _nonce(counter):
    # WireGuard's nonce: 4 zero bytes || little-endian 64-bit counter (protocol.md §2), in one
    # reused buffer (valid until the next call): the transport path allocates nothing for it.
    struct.pack_into("<Q", _NONCE, 4, counter)
    return _NONCE


def _seal(key, nonce12, src, dst, ad):
    # dst[:n] = ChaCha20(src) from block 1, dst[n:n + 16] = the tag; dst may start at src (in place).
    n = len(src)
    _hot.chacha20_xor(key, nonce12, 0, _ZERO32, _OTK)
    mv = memoryview(dst)
    _hot.chacha20_xor(key, nonce12, 1, src, mv[:n])
    mv[n:n + 16] = _hot.poly1305_aead(_OTK, ad, mv[:n])


def _open(key, nonce12, sealed, ad, out):
    # The tag is checked first: out is written only for an authentic message.
    n = len(sealed) - 16
    mv = memoryview(sealed)
    _hot.chacha20_xor(key, nonce12, 0, _ZERO32, _OTK)
    if not ct_equal(_hot.poly1305_aead(_OTK, ad, mv[:n]), mv[n:], 16):
        return False
    _hot.chacha20_xor(key, nonce12, 1, mv[:n], memoryview(out)[:n])
    return True


def seal(key, nonce12, plaintext, ad):
    out = bytearray(len(plaintext) + 16)
    _seal(key, nonce12, plaintext, out, ad)
    return bytes(out)


def seal_into(key, counter, buf, n):
    mv = memoryview(buf)
    _seal(key, _nonce(counter), mv[:n], mv, b"")


def open_(key, nonce12, sealed, ad):
    out = bytearray(len(sealed) - 16)
    return bytes(out) if _open(key, nonce12, sealed, ad, out) else None


def open_into(key, counter, sealed, out):
    return _open(key, _nonce(counter), sealed, b"", out)


def aead_encrypt(key, counter, plaintext, ad):
    return seal(key, _nonce(counter), plaintext, ad)


def aead_decrypt(key, counter, sealed, ad):
    return open_(key, _nonce(counter), sealed, ad)


def xaead_encrypt(key, nonce24, plaintext, ad):
    return seal(_hot.hchacha20(key, nonce24[:16]), b"\x00\x00\x00\x00" + bytes(nonce24[16:]), plaintext, ad)


def xaead_decrypt(key, nonce24, sealed, ad):
    return open_(_hot.hchacha20(key, nonce24[:16]), b"\x00\x00\x00\x00" + bytes(nonce24[16:]), sealed, ad)


def blake2s(data, key, digest_size):
    """RFC 7693 BLAKE2s, sequential mode, optional key (prepended as a padded block)."""
    h = array("I", BLAKE2S_IV)
    h[0] ^= 0x01010000 ^ (len(key) << 8) ^ digest_size
    block = bytearray(64)
    t = 0
    if key:
        block[:len(key)] = key
        t = 64
        if not data:
            _hot.blake2s_compress(h, block, t, True)
            return _digest(h, digest_size)
        _hot.blake2s_compress(h, block, t, False)
    n = len(data)
    mv = memoryview(data)
    off = 0
    while n - off > 64:
        block[:] = mv[off:off + 64]
        off += 64
        t += 64
        _hot.blake2s_compress(h, block, t, False)
    # The last block (possibly empty when there is no key) is zero-padded; t counts real bytes only.
    tail = n - off
    block[:tail] = mv[off:]
    for i in range(tail, 64):
        block[i] = 0
    _hot.blake2s_compress(h, block, t + tail, True)
    return _digest(h, digest_size)


def _digest(h, digest_size):
    return struct.pack("<8I", *h)[:digest_size]


# thumb: each AEAD message in one call (one-time key, cipher, MAC, tag), each BLAKE2s message
# and HMAC too.
if hasattr(_hot, "seal_into"):
    _seal = _hot.seal
    _open = _hot.open_
    seal_into = _hot.seal_into
    open_into = _hot.open_into
    aead_encrypt = _hot.aead_encrypt
    aead_decrypt = _hot.aead_decrypt
    hmac = _hot.hmac
    blake2s = _hot.blake2s
