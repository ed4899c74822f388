"""The pure backend: our own code, with viper hot loops where MicroPython has the emitter.

Composes the primitives into the API of `client.crypto`; arguments are already validated there.
"""
import struct
from array import array

from . import curve25519

try:
    from . import viper as _hot  # MicroPython with the viper emitter (ptr32 code)
    name = "pure (viper)"
except (ImportError, SyntaxError, NotImplementedError):  # CPython, or a port without the emitter
    from . import primitives as _hot
    name = "pure"
from .common import BLAKE2S_IV, ct_equal

_ZERO32 = bytes(32)  # encrypted with block 0 to give the Poly1305 one-time key
_OTK = bytearray(32)  # the Poly1305 one-time key, reused: the transport path allocates nothing for it


def x25519(private, public):
    return curve25519.x25519(private, public)


def public_key(private):
    return curve25519.public_key(private)


def _nonce(counter):
    # WireGuard's nonce: 4 zero bytes || little-endian 64-bit counter (protocol.md §2).
    return b"\x00\x00\x00\x00" + struct.pack("<Q", counter)


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
