"""Test helper: forged datagrams and counted crypto calls for the hostile-load tests (both runtimes).

Anyone who knows a device's public key can make handshake messages with a valid mac1; these
helpers make them, and `CryptoCalls` counts what the device's crypto does with them by wrapping
the functions of client.crypto (the core calls them through the module), restored on exit.
"""
import struct

from client import crypto
from client.wg import cookie
from client.wg.constants import COOKIE_REPLY_SIZE, INITIATION_SIZE, RESPONSE_SIZE

DH = ("x25519", "public_key")  # a public key is a scalar multiplication too
AEAD = ("aead_encrypt", "aead_decrypt", "aead_encrypt_into", "aead_decrypt_into")
XAEAD = ("xaead_encrypt", "xaead_decrypt")  # cookie replies


class CryptoCalls:
    """with CryptoCalls() as calls: ... ; then calls.dh, calls.aead, calls.xaead."""

    def __init__(self):
        self.counts = {}
        self._saved = {}

    def __enter__(self):
        for name in DH + AEAD + XAEAD:
            original = getattr(crypto, name)
            self._saved[name] = original
            setattr(crypto, name, self._wrap(name, original))
        return self

    def _wrap(self, name, original):
        def counted(*args):
            self.counts[name] = self.counts.get(name, 0) + 1
            return original(*args)
        return counted

    def __exit__(self, *exc):
        for name in self._saved:
            setattr(crypto, name, self._saved[name])
        self._saved = {}
        return False

    def _total(self, names):
        return sum(self.counts.get(n, 0) for n in names)

    @property
    def dh(self):
        return self._total(DH)

    @property
    def aead(self):
        return self._total(AEAD)

    @property
    def xaead(self):
        return self._total(XAEAD)


def costs(fn, *args):
    """(X25519, ChaCha20-Poly1305, XChaCha20-Poly1305) calls made by fn(*args)."""
    with CryptoCalls() as calls:
        fn(*args)
    return calls.dh, calls.aead, calls.xaead


def _mac(key, data):
    return crypto.blake2s(bytes(data), key=key, digest_size=16)


def with_mac1(msg, public):
    """msg (bytearray) with a valid mac1 for the device whose public key is `public`; returns bytes."""
    n = len(msg)
    msg[n - 32:n - 16] = _mac(cookie.mac1_key(public), msg[:n - 32])
    return bytes(msg)


def with_mac2(msg, cookie_value):
    msg = bytearray(msg)
    n = len(msg)
    msg[n - 16:] = _mac(cookie_value, msg[:n - 16])
    return bytes(msg)


def forged_initiation(rng, public, mac2=False):
    """148 bytes of noise with a valid mac1 (and a random mac2 when asked): passes the first check."""
    msg = bytearray(rng(INITIATION_SIZE))
    msg[0:4] = b"\x01\x00\x00\x00"
    if not mac2:
        msg[INITIATION_SIZE - 16:] = bytes(16)
    return with_mac1(msg, public)


def forged_response(rng, public, receiver):
    msg = bytearray(rng(RESPONSE_SIZE))
    msg[0:4] = b"\x02\x00\x00\x00"
    struct.pack_into("<I", msg, 8, receiver)
    msg[RESPONSE_SIZE - 16:] = bytes(16)
    return with_mac1(msg, public)


def forged_cookie_reply(rng, receiver):
    msg = bytearray(rng(COOKIE_REPLY_SIZE))
    msg[0:4] = b"\x03\x00\x00\x00"
    struct.pack_into("<I", msg, 4, receiver)
    return bytes(msg)


def forged_transport(rng, receiver, counter, size=64):
    msg = bytearray(rng(size))
    struct.pack_into("<IIQ", msg, 0, 4, receiver, counter)
    return bytes(msg)


def cookie_of_reply(reply, public, mac1):
    """What a sender at the replied-to address learns: the cookie (None if the reply is not valid)."""
    mv = memoryview(reply)
    return crypto.xaead_decrypt(cookie.cookie_key(public), mv[8:32], mv[32:64], mac1)
