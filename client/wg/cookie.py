"""mac1, mac2 and cookie replies (protocol.md §3).

`CookieJar`: one per peer, on the sending side — adds mac1/mac2 to our handshake messages and
consumes the peer's cookie replies. `CookieChecker`: one per device, on the receiving side —
verifies mac1 on every handshake message and, when under load, demands mac2 and makes cookie replies.
"""
import struct

from .. import crypto
from ..compat import ticks_diff
from ..crypto.common import ct_equal
from .constants import (COOKIE_FRESH_MS, COOKIE_REPLY_SIZE, COOKIE_SECRET_MAX_AGE_MS, LABEL_COOKIE,
                        LABEL_MAC1, MESSAGE_COOKIE_REPLY)
from .messages import COOKIE_ENCRYPTED, COOKIE_NONCE, COOKIE_RECEIVER, new_message

_MAC_SIZE = 16
_ZERO_MAC = bytes(_MAC_SIZE)


def mac1_key(public):
    return crypto.blake2s(LABEL_MAC1 + bytes(public))


def cookie_key(public):
    return crypto.blake2s(LABEL_COOKIE + bytes(public))


def _mac(key, data):
    return crypto.blake2s(data, key=key, digest_size=_MAC_SIZE)


class CookieJar:
    """Per peer: macs on what we send to it, the cookie it gave us."""

    def __init__(self, peer_public):
        self.mac1_key = mac1_key(peer_public)
        self.cookie_key = cookie_key(peer_public)
        self.cookie = None
        self.cookie_received = 0  # ms ticks
        self.last_mac1 = None  # the mac1 of our last handshake message: AD of its cookie reply
        self.mac1_answered = True  # kernel: one cookie per mac1 sent

    def add_macs(self, msg, now):
        """Fill mac1 and (with a fresh cookie) mac2 of a handshake message in place."""
        n = len(msg)
        mac1 = _mac(self.mac1_key, memoryview(msg)[:n - 32])
        msg[n - 32:n - 16] = mac1
        self.last_mac1 = mac1
        self.mac1_answered = False
        if self.cookie is not None and ticks_diff(now, self.cookie_received) < COOKIE_FRESH_MS:
            msg[n - 16:n] = _mac(self.cookie, memoryview(msg)[:n - 16])
        else:
            msg[n - 16:n] = bytes(_MAC_SIZE)

    def consume_reply(self, msg, now):
        """Store the cookie of a valid reply; False (drop) otherwise. Touches no timer or endpoint."""
        if self.last_mac1 is None or self.mac1_answered:
            return False
        mv = memoryview(msg)
        cookie = crypto.xaead_decrypt(self.cookie_key, mv[COOKIE_NONCE:COOKIE_NONCE + 24],
                                      mv[COOKIE_ENCRYPTED:COOKIE_ENCRYPTED + 32], self.last_mac1)
        if cookie is None:
            return False
        self.cookie = cookie
        self.cookie_received = now
        self.mac1_answered = True
        return True


class CookieChecker:
    """Per device: mac1 with our public key; under load, mac2 with a cookie bound to the source."""

    def __init__(self, public, random_bytes):
        self.mac1_key = mac1_key(public)
        self.cookie_key = cookie_key(public)
        self.random_bytes = random_bytes
        self.secret = None
        self.secret_born = 0

    def mac1_valid(self, msg):
        n = len(msg)
        mv = memoryview(msg)
        return ct_equal(_mac(self.mac1_key, mv[:n - 32]), mv[n - 32:n - 16], _MAC_SIZE)

    def mac2_valid(self, msg, cookie):
        """mac2 made with `cookie` (cookie_for the message's source). An all-zero mac2 (a sender
        without a cookie) is refused without computing any MAC."""
        n = len(msg)
        mv = memoryview(msg)
        if bytes(mv[n - 16:]) == _ZERO_MAC:
            return False
        return ct_equal(_mac(cookie, mv[:n - 16]), mv[n - 16:], _MAC_SIZE)

    def create_reply(self, msg, sender_index, cookie):
        """The cookie reply to a handshake message whose mac2 we refused."""
        n = len(msg)
        reply = new_message(MESSAGE_COOKIE_REPLY, COOKIE_REPLY_SIZE)
        struct.pack_into("<I", reply, COOKIE_RECEIVER, sender_index)
        nonce = self.random_bytes(24)
        reply[COOKIE_NONCE:COOKIE_NONCE + 24] = nonce
        reply[COOKIE_ENCRYPTED:] = crypto.xaead_encrypt(self.cookie_key, nonce, cookie, bytes(msg[n - 32:n - 16]))
        return reply

    def cookie_for(self, source, now):
        """The cookie of `source`: a MAC of its address under a secret that changes every 2 minutes."""
        if self.secret is None or ticks_diff(now, self.secret_born) >= COOKIE_SECRET_MAX_AGE_MS:
            self.secret = self.random_bytes(32)
            self.secret_born = now
        return _mac(self.secret, address_bytes(source))


def address_bytes(endpoint):
    """Bytes that identify an endpoint: raw sockaddr bytes (MicroPython) or (host, port) tuples."""
    if isinstance(endpoint, (bytes, bytearray)):
        return bytes(endpoint)
    return repr(endpoint).encode()
