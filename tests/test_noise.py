"""The handshake stepped by hand: chaining key and hash after each Noise step (protocol.md §2)."""
import struct

from client import crypto
from client.wg import noise
from client.wg.constants import CONSTRUCTION, IDENTIFIER
from tests.harness import raises
from tests.wgpair import Rng

TS = struct.pack(">QI", 0x400000000000000A + 1_780_000_000, 0x12000000)


def _keys():
    rng = Rng(b"noise")
    return [rng(32) for _ in range(4)]  # S_i, S_r, E_i, E_r private keys


def _h(*parts):
    return crypto.blake2s(b"".join(parts))


def test_initial_constants():
    assert noise.CHAIN_KEY0 == _h(CONSTRUCTION)
    assert noise.HASH0 == _h(_h(CONSTRUCTION), IDENTIFIER)


def _by_hand_initiation(s_i, s_r_pub, e_i, psk):
    """Returns [(ck, h) after each step], the message body fields, from protocol.md alone."""
    steps = []
    h = _h(noise.HASH0, s_r_pub)
    e_pub = crypto.public_key(e_i)
    h = _h(h, e_pub)
    ck = crypto.kdf(noise.CHAIN_KEY0, e_pub, 1)[0]
    steps.append((ck, h))  # e
    ck, k = crypto.kdf(ck, crypto.x25519(e_i, s_r_pub), 2)
    steps.append((ck, h))  # es
    enc_static = crypto.aead_encrypt(k, 0, crypto.public_key(s_i), h)
    h = _h(h, enc_static)
    steps.append((ck, h))  # s
    ck, k = crypto.kdf(ck, crypto.x25519(s_i, s_r_pub), 2)
    steps.append((ck, h))  # ss
    enc_ts = crypto.aead_encrypt(k, 0, TS, h)
    h = _h(h, enc_ts)
    steps.append((ck, h))  # {t}
    return steps, e_pub, enc_static, enc_ts


def test_initiation_step_by_step():
    s_i, s_r, e_i, _ = _keys()
    ident_i, ident_r = noise.Identity(s_i), noise.Identity(s_r)
    hs_i = noise.Handshake(ident_i, ident_r.public)
    msg = noise.create_initiation(ident_i, hs_i, e_i, 0x11223344, TS)
    steps, e_pub, enc_static, enc_ts = _by_hand_initiation(s_i, ident_r.public, e_i, None)
    assert msg[:8] == bytes((1, 0, 0, 0, 0x44, 0x33, 0x22, 0x11))
    assert msg[8:40] == e_pub and msg[40:88] == enc_static and msg[88:116] == enc_ts
    assert bytes(hs_i.chaining_key) == steps[-1][0] and bytes(hs_i.hash) == steps[-1][1]
    # The responder, consuming it, reaches the same chaining key and hash.
    hs_r = noise.Handshake(ident_r, ident_i.public)
    got = noise.consume_initiation(ident_r, msg, lambda s: hs_r if s == ident_i.public else None, 0)
    assert got is hs_r and hs_r.state == noise.CONSUMED_INITIATION
    assert hs_r.chaining_key == hs_i.chaining_key and hs_r.hash == hs_i.hash
    assert hs_r.remote_index == 0x11223344 and hs_r.latest_timestamp == TS


def _response_by_hand(ck, h, e_r, e_i_pub, s_i_pub, psk):
    steps = []
    e_pub = crypto.public_key(e_r)
    h = _h(h, e_pub)
    ck = crypto.kdf(ck, e_pub, 1)[0]
    steps.append((ck, h))  # e
    ck = crypto.kdf(ck, crypto.x25519(e_r, e_i_pub), 1)[0]
    steps.append((ck, h))  # ee
    ck = crypto.kdf(ck, crypto.x25519(e_r, s_i_pub), 1)[0]
    steps.append((ck, h))  # se
    ck, tau, k = crypto.kdf(ck, psk, 3)
    h = _h(h, tau)
    steps.append((ck, h))  # psk
    enc = crypto.aead_encrypt(k, 0, b"", h)
    h = _h(h, enc)
    steps.append((ck, h))  # {}
    return steps, e_pub, enc


def test_response_step_by_step_with_and_without_psk():
    for psk in (None, bytes(range(32))):
        s_i, s_r, e_i, e_r = _keys()
        ident_i, ident_r = noise.Identity(s_i), noise.Identity(s_r)
        hs_i = noise.Handshake(ident_i, ident_r.public, psk)
        hs_r = noise.Handshake(ident_r, ident_i.public, psk)
        init = noise.create_initiation(ident_i, hs_i, e_i, 1, TS)
        noise.consume_initiation(ident_r, init, lambda s: hs_r, 0)
        ck0, h0 = bytes(hs_r.chaining_key), bytes(hs_r.hash)
        resp = noise.create_response(hs_r, e_r, 2)
        steps, e_pub, enc = _response_by_hand(ck0, h0, e_r, crypto.public_key(e_i), ident_i.public,
                                              psk or bytes(32))
        assert resp[4:12] == bytes((2, 0, 0, 0, 1, 0, 0, 0)) and resp[12:44] == e_pub and resp[44:60] == enc
        assert bytes(hs_r.chaining_key) == steps[-1][0] and bytes(hs_r.hash) == steps[-1][1]
        noise.consume_response(ident_i, hs_i, resp)
        assert hs_i.chaining_key == hs_r.chaining_key and hs_i.hash == hs_r.hash
        t1, t2 = crypto.kdf(steps[-1][0], b"", 2)
        assert noise.derive_transport_keys(hs_i) == (t1, t2)  # initiator sends with T1
        assert noise.derive_transport_keys(hs_r) == (t2, t1)
        # Secrets are erased once the keys are derived.
        assert hs_i.chaining_key == bytearray(32) and hs_i.ephemeral_private == bytearray(32)
        assert hs_r.state == noise.ZEROED


def test_all_zero_dh_is_refused():
    s_i, s_r, e_i, _ = _keys()
    ident_i, ident_r = noise.Identity(s_i), noise.Identity(s_r)
    hs_i = noise.Handshake(ident_i, ident_r.public)
    msg = noise.create_initiation(ident_i, hs_i, e_i, 1, TS)
    msg[8:40] = bytes(32)  # a low-order ephemeral: DH(S_r, E_i) is all zeros
    e = raises(noise.Rejected, noise.consume_initiation, ident_r, msg, lambda s: None, 0)
    assert e.args[0] == "zero_dh"
    raises(ValueError, noise.Handshake, ident_i, bytes(32))  # a low-order static key
