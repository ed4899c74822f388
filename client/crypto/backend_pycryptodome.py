"""The pycryptodome backend (CPython): the same operations through a C library."""
import struct
from hmac import compare_digest

from Crypto.Cipher import ChaCha20
from Crypto.Hash import BLAKE2s
from Crypto.Hash.Poly1305 import Poly1305_MAC
from Crypto.Protocol.DH import key_agreement
from Crypto.PublicKey import ECC

from . import curve25519

name = "pycryptodome"
_ZERO32 = bytes(32)


def _raw(x):
    return x


def x25519(private, public):
    try:
        priv = ECC.construct(curve="Curve25519", seed=bytes(private))
        pub = ECC.construct(curve="Curve25519", point_x=curve25519.decode_u(public))
        return key_agreement(static_priv=priv, static_pub=pub, kdf=_raw)
    except ValueError:
        # pycryptodome refuses low-order points up front; RFC 7748 computes them (to all zeros),
        # and the caller decides what an all-zero result means.
        return curve25519.x25519(private, public)


def public_key(private):
    key = ECC.construct(curve="Curve25519", seed=bytes(private))
    return key.public_key().export_key(format="raw")


def _tag(otk, ad, ct):
    # RFC 8439 §2.8: Poly1305 over ad || pad16 || ct || pad16 || le64 lengths.
    mac = Poly1305_MAC(otk[:16], otk[16:], None)
    mac.update(ad)
    if len(ad) & 15:
        mac.update(_ZERO32[:16 - (len(ad) & 15)])
    mac.update(ct)
    if len(ct) & 15:
        mac.update(_ZERO32[:16 - (len(ct) & 15)])
    mac.update(struct.pack("<QQ", len(ad), len(ct)))
    return mac.digest()


def _nonce(counter):
    # WireGuard's nonce: 4 zero bytes || little-endian 64-bit counter (protocol.md §2).
    return b"\x00\x00\x00\x00" + counter.to_bytes(8, "little")


def _keystream(key, nonce):
    # Block 0 gives the Poly1305 one-time key; the payload starts at block 1.
    c = ChaCha20.new(key=bytes(key), nonce=nonce)
    otk = c.encrypt(_ZERO32)
    c.seek(64)
    return c, otk


# ChaCha20 and Poly1305 are composed here rather than through ChaCha20_Poly1305.new(), whose
# per-message set-up costs more than the cipher itself for WireGuard-sized packets (~30% at 1420 B).
def seal(key, nonce, plaintext, ad):
    c, otk = _keystream(key, nonce)
    ct = c.encrypt(plaintext)
    return ct + _tag(otk, ad, ct)


def seal_into(key, counter, buf, n):
    c, otk = _keystream(key, _nonce(counter))
    mv = memoryview(buf)
    ct = mv[:n]
    c.encrypt(ct, output=ct)
    mv[n:n + 16] = _tag(otk, b"", ct)


def _verified(key, nonce, sealed, ad):
    """(cipher at block 1, ciphertext view) when the tag verifies, else (None, None)."""
    c, otk = _keystream(key, nonce)
    n = len(sealed) - 16
    mv = memoryview(sealed)
    if not compare_digest(_tag(otk, ad, mv[:n]), bytes(mv[n:])):
        return None, None
    return c, mv[:n]


def open_into(key, counter, sealed, out):
    c, ct = _verified(key, _nonce(counter), sealed, b"")
    if c is None:
        return False
    c.encrypt(ct, output=memoryview(out)[:len(ct)])
    return True


def open_(key, nonce, sealed, ad):
    c, ct = _verified(key, nonce, sealed, ad)
    # The stream cipher is its own inverse; decrypt() is refused after encrypt().
    return None if c is None else c.encrypt(ct)


def aead_encrypt(key, counter, plaintext, ad):
    return seal(key, _nonce(counter), plaintext, ad)


def aead_decrypt(key, counter, sealed, ad):
    return open_(key, _nonce(counter), sealed, ad)


def xaead_encrypt(key, nonce24, plaintext, ad):
    return seal(key, bytes(nonce24), plaintext, ad)


def xaead_decrypt(key, nonce24, sealed, ad):
    return open_(key, bytes(nonce24), sealed, ad)


def blake2s(data, key, digest_size):
    return BLAKE2s.new(data=data, key=bytes(key), digest_bytes=digest_size).digest()
