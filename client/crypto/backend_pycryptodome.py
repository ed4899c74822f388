"""The pycryptodome backend (CPython): the same operations through a C library."""
from Crypto.Cipher import ChaCha20_Poly1305
from Crypto.Hash import BLAKE2s
from Crypto.Protocol.DH import key_agreement
from Crypto.PublicKey import ECC

from . import curve25519

name = "pycryptodome"


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


def seal(key, nonce, plaintext, ad):
    c = ChaCha20_Poly1305.new(key=bytes(key), nonce=nonce)
    c.update(ad)
    ct, tag = c.encrypt_and_digest(plaintext)
    return ct + tag


def open_(key, nonce, sealed, ad):
    c = ChaCha20_Poly1305.new(key=bytes(key), nonce=nonce)
    c.update(ad)
    n = len(sealed) - 16
    try:
        return c.decrypt_and_verify(sealed[:n], sealed[n:])
    except ValueError:
        return None


def aead_encrypt(key, counter, plaintext, ad):
    return seal(key, b"\x00\x00\x00\x00" + counter.to_bytes(8, "little"), plaintext, ad)


def aead_decrypt(key, counter, sealed, ad):
    return open_(key, b"\x00\x00\x00\x00" + counter.to_bytes(8, "little"), sealed, ad)


def xaead_encrypt(key, nonce24, plaintext, ad):
    return seal(key, bytes(nonce24), plaintext, ad)


def xaead_decrypt(key, nonce24, sealed, ad):
    return open_(key, bytes(nonce24), sealed, ad)


def blake2s(data, key, digest_size):
    return BLAKE2s.new(data=data, key=bytes(key), digest_bytes=digest_size).digest()
