"""Noise_IKpsk2 handshake of WireGuard (protocol.md §2): create/consume per message.

Pure functions over a per-peer `Handshake`; no clock is read (timestamps and `now` come in) and
randomness (ephemeral keys, sender indices) is passed in, so tests are deterministic. State is
committed only after a message fully verified; secrets we hold are zeroed when done.
"""
import struct

from .. import crypto
from .constants import CONSTRUCTION, IDENTIFIER, INITIATION_FLOOD_MS, INITIATION_SIZE, \
    MESSAGE_INITIATION, MESSAGE_RESPONSE, RESPONSE_SIZE
from ..compat import const, ticks_diff
from .messages import (INIT_EPHEMERAL, INIT_SENDER, INIT_STATIC, INIT_TIMESTAMP, RESP_EMPTY,
                       RESP_EPHEMERAL, RESP_RECEIVER, RESP_SENDER, new_message, u32)

# Handshake states (wireguard-go handshakeState).
ZEROED = const(0)
CREATED_INITIATION = const(1)
CONSUMED_INITIATION = const(2)
CREATED_RESPONSE = const(3)
CONSUMED_RESPONSE = const(4)

CHAIN_KEY0 = crypto.blake2s(CONSTRUCTION)  # C0
HASH0 = crypto.blake2s(CHAIN_KEY0 + IDENTIFIER)  # H0: IDENTIFIER is the prologue
_ZERO32 = bytes(32)


class Rejected(Exception):
    """A handshake message that does not verify; args[0] is the drop reason (a counter name)."""


class Identity:
    """Our static key pair."""

    def __init__(self, private):
        self.private = bytes(private)
        self.public = crypto.public_key(private)


class Handshake:
    """Per-peer handshake state; `precomputed_ss` = DH(S_local, S_remote) is computed once."""

    def __init__(self, identity, remote_static, preshared_key=None):
        self.remote_static = bytes(remote_static)
        self.preshared_key = bytes(preshared_key) if preshared_key else _ZERO32
        self.precomputed_ss = crypto.x25519(identity.private, remote_static)  # ValueError: low order
        self.state = ZEROED
        self.hash = bytearray(32)
        self.chaining_key = bytearray(32)
        self.ephemeral_private = bytearray(32)
        self.remote_ephemeral = bytearray(32)
        self.local_index = 0
        self.remote_index = 0
        self.latest_timestamp = bytes(12)  # greatest TAI64N accepted from this peer
        self.last_initiation_consumed = None  # ms ticks, for the flood check

    def clear(self):
        for buf in (self.hash, self.chaining_key, self.ephemeral_private, self.remote_ephemeral):
            _wipe(buf)
        self.state = ZEROED

    def _commit(self, state, h, ck):
        self.hash[:] = h
        self.chaining_key[:] = ck
        self.state = state


def _wipe(buf):
    for i in range(len(buf)):
        buf[i] = 0


def _mix_hash(h, data):
    return crypto.blake2s(bytes(h) + bytes(data))


def _encrypt_and_hash(msg, offset, key, plaintext, h):
    """Noise EncryptAndHash into msg[offset:]; returns the new hash."""
    enc = crypto.aead_encrypt(key, 0, plaintext, h)
    msg[offset:offset + len(enc)] = enc
    return _mix_hash(h, enc)


def _decrypt_and_hash(msg, offset, size, key, h, reason):
    """Noise DecryptAndHash of msg[offset:offset + size]: (plaintext, new hash); Rejected(reason)."""
    enc = memoryview(msg)[offset:offset + size]
    plaintext = crypto.aead_decrypt(key, 0, enc, h)
    if plaintext is None:
        raise Rejected(reason)
    return plaintext, _mix_hash(h, enc)


def _dh(private, public):
    try:
        return crypto.x25519(private, public)
    except ValueError:
        raise Rejected("zero_dh")


# --- Initiation: -> e, es, s, ss, {t} ---

def create_initiation(identity, hs, ephemeral_private, sender_index, timestamp):
    """The 148-byte initiation without mac1/mac2 (the cookie module adds them)."""
    msg = new_message(MESSAGE_INITIATION, INITIATION_SIZE)
    struct.pack_into("<I", msg, INIT_SENDER, sender_index)
    h = _mix_hash(HASH0, hs.remote_static)
    # e
    e_pub = crypto.public_key(ephemeral_private)
    msg[INIT_EPHEMERAL:INIT_EPHEMERAL + 32] = e_pub
    h = _mix_hash(h, e_pub)
    ck = crypto.kdf(CHAIN_KEY0, e_pub, 1)[0]  # psk-mode rule: the ephemeral enters the chain
    # es
    ck, key = crypto.kdf(ck, _dh(ephemeral_private, hs.remote_static), 2)
    # s
    h = _encrypt_and_hash(msg, INIT_STATIC, key, identity.public, h)
    # ss
    ck, key = crypto.kdf(ck, hs.precomputed_ss, 2)
    # {t}
    h = _encrypt_and_hash(msg, INIT_TIMESTAMP, key, timestamp, h)
    hs.ephemeral_private[:] = ephemeral_private
    hs.local_index = sender_index
    hs._commit(CREATED_INITIATION, h, ck)
    return msg


def consume_initiation(identity, msg, handshake_for, now):
    """Verify an initiation (mac1 already checked); returns the peer's Handshake, updated.

    `handshake_for(static_public)` finds the Handshake of a configured peer or returns None.
    Raises Rejected(reason) without touching any state on failure.
    """
    e_remote = bytes(msg[INIT_EPHEMERAL:INIT_EPHEMERAL + 32])
    h = _mix_hash(HASH0, identity.public)
    # e
    h = _mix_hash(h, e_remote)
    ck = crypto.kdf(CHAIN_KEY0, e_remote, 1)[0]
    # es
    ck, key = crypto.kdf(ck, _dh(identity.private, e_remote), 2)
    # s
    static, h = _decrypt_and_hash(msg, INIT_STATIC, 48, key, h, "bad_initiation")
    hs = handshake_for(static)
    if hs is None:
        raise Rejected("unknown_peer")
    # ss
    ck, key = crypto.kdf(ck, hs.precomputed_ss, 2)
    # {t}
    timestamp, h = _decrypt_and_hash(msg, INIT_TIMESTAMP, 28, key, h, "bad_initiation")
    if timestamp <= hs.latest_timestamp:  # big-endian TAI64N: bytewise order is time order
        raise Rejected("replayed_timestamp")
    last = hs.last_initiation_consumed
    if last is not None and ticks_diff(now, last) < INITIATION_FLOOD_MS:
        raise Rejected("initiation_flood")
    hs.latest_timestamp = timestamp
    hs.last_initiation_consumed = now
    hs.remote_ephemeral[:] = e_remote
    hs.remote_index = u32(msg, INIT_SENDER)
    hs._commit(CONSUMED_INITIATION, h, ck)
    return hs


# --- Response: <- e, ee, se, psk, {} ---

def _response_chain(hs, e_pub, dh_ee, dh_se):
    """e, ee, se, psk of the response (protocol.md §2), the same on both sides: (h, ck, key)."""
    h = _mix_hash(hs.hash, e_pub)
    ck = crypto.kdf(hs.chaining_key, e_pub, 1)[0]
    ck = crypto.kdf(ck, dh_ee, 1)[0]
    ck = crypto.kdf(ck, dh_se, 1)[0]
    ck, tau, key = crypto.kdf(ck, hs.preshared_key, 3)
    return _mix_hash(h, tau), ck, key


def create_response(hs, ephemeral_private, sender_index):
    """The 92-byte response to a consumed initiation, without mac1/mac2."""
    msg = new_message(MESSAGE_RESPONSE, RESPONSE_SIZE)
    struct.pack_into("<II", msg, RESP_SENDER, sender_index, hs.remote_index)
    # e
    e_pub = crypto.public_key(ephemeral_private)
    msg[RESP_EPHEMERAL:RESP_EPHEMERAL + 32] = e_pub
    # ee, se, psk
    h, ck, key = _response_chain(hs, e_pub, _dh(ephemeral_private, hs.remote_ephemeral),
                                 _dh(ephemeral_private, hs.remote_static))
    # {}
    h = _encrypt_and_hash(msg, RESP_EMPTY, key, b"", h)
    hs.ephemeral_private[:] = ephemeral_private
    hs.local_index = sender_index
    hs._commit(CREATED_RESPONSE, h, ck)
    return msg


def consume_response(identity, hs, msg):
    """Verify a response to our initiation (mac1 checked, hs in CREATED_INITIATION)."""
    e_remote = bytes(msg[RESP_EPHEMERAL:RESP_EPHEMERAL + 32])
    # e, ee, se (initiator side of se: DH(S_i, E_r)), psk
    h, ck, key = _response_chain(hs, e_remote, _dh(hs.ephemeral_private, e_remote),
                                 _dh(identity.private, e_remote))
    # {}
    _, h = _decrypt_and_hash(msg, RESP_EMPTY, 16, key, h, "bad_response")
    hs.remote_index = u32(msg, RESP_SENDER)
    hs._commit(CONSUMED_RESPONSE, h, ck)
    return hs


def receiver_index(msg):
    return u32(msg, RESP_RECEIVER)


def derive_transport_keys(hs):
    """(send_key, receive_key) after a completed handshake; then the handshake secrets are erased."""
    t1, t2 = crypto.kdf(hs.chaining_key, b"", 2)
    initiator = hs.state == CONSUMED_RESPONSE
    hs.clear()
    return (t1, t2) if initiator else (t2, t1)
