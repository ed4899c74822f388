"""Random and mutated datagrams never raise and never change an established session (issue 12).

A seeded generator runs on both runtimes, hypothesis on CPython. Each datagram goes to both ends of
an established session, from a stranger's address or from the peer's own; the fake clock moves in
small steps (no timer runs) so the load meter goes in and out of load. Afterwards each side's
keys, counters, replay window, endpoint and handshake state are what they were, and data flows.
"""
UNIX32_HEAP = "2M"  # tests/wgpair.py keeps every datagram (test data, not the client)
import struct

from client.compat import ticks_add
from client.wg.constants import COOKIE_REPLY_SIZE, INITIATION_SIZE, RESPONSE_SIZE
from tests.harness import cpython_only
from tests.hostile import (forged_cookie_reply, forged_initiation, forged_response, forged_transport,
                           with_mac1)
from tests.wgpair import ADDR_A, ADDR_B, Pair, Rng

SOURCES = ("100.64.9.1:1000", "100.64.9.2:2000", ADDR_A, ADDR_B)


def _session():
    p = Pair()
    p.a.load.set_dh_cost(3000)
    p.b.load.set_dh_cost(3000)
    p.handshake()
    p.b_sends()
    # A cookie reply of B's, to A's second initiation, for the templates.
    p.b.under_load = True
    p.pa.confirm_endpoint(p.now)
    p.deliver()
    p.b.under_load = False
    p.advance(6000)  # A's retry with mac2 completes the second handshake
    p.b_sends()
    assert p.pa.counters.handshakes["initiator"] == 2
    return p


def _keypair_state(kp):
    if kp is None:
        return None
    return (bytes(kp.send_key), bytes(kp.receive_key), kp.send_counter, kp.local_index, kp.remote_index,
            kp.replay.top, bytes(kp.replay.ring), kp.sending_valid)


def _snapshot(peer):
    kps = peer.keypairs
    hs = peer.handshake
    c = peer.counters
    return (tuple(_keypair_state(k) for k in (kps.current, kps.previous, kps.next)), peer.endpoint,
            hs.state, hs.latest_timestamp, hs.local_index, hs.remote_index, dict(c.sent), dict(c.received),
            dict(c.handshakes), c.rx_bytes, c.tx_bytes, peer.cookies.cookie, list(peer.queue))


def _templates(p):
    wire = [d for t, s, d in p.wire]
    return ([d for d in wire if len(d) == INITIATION_SIZE] + [d for d in wire if len(d) == RESPONSE_SIZE]
            + [d for d in wire if len(d) == COOKIE_REPLY_SIZE] + [d for d in wire if len(d) >= 32][-6:])


def _hit(p, datagram, source):
    """Both ends receive the datagram; whatever they answer is not delivered."""
    for dev in (p.a, p.b):
        dev.receive(datagram, source, p.now)
        dev.outbox = []


def _check_untouched(p, before):
    assert (_snapshot(p.pa), _snapshot(p.pb)) == before
    n_a, n_b = len(p.received["a"]), len(p.received["b"])
    p.a_sends(b"after")
    p.b_sends(b"after")
    assert len(p.received["b"]) == n_b + 1 and len(p.received["a"]) == n_a + 1


class Generator:
    """Hostile datagrams from a seeded BLAKE2s stream (the same on both runtimes)."""

    def __init__(self, p, seed):
        self.rng = Rng(seed)
        self.templates = _templates(p)
        self.publics = (p.a.identity.public, p.b.identity.public)
        self.indices = [kp.local_index for peer in (p.pa, p.pb)
                        for kp in (peer.keypairs.current, peer.keypairs.previous) if kp is not None]

    def below(self, n):
        return struct.unpack("<I", self.rng(4))[0] % n

    def datagram(self):
        kind = self.below(9)
        rng = self.rng
        if kind == 0:
            return rng(self.below(200))  # noise of any length
        if kind == 1:  # a valid type and size, noise inside
            t = 1 + self.below(4)
            size = (0, INITIATION_SIZE, RESPONSE_SIZE, COOKIE_REPLY_SIZE, 32 + self.below(100))[t]
            return struct.pack("<I", t) + rng(size - 4)
        template = self.templates[self.below(len(self.templates))]
        if kind == 2:
            return template  # replayed as is
        if kind == 3:  # a few bytes changed
            msg = bytearray(template)
            for _ in range(1 + self.below(3)):
                msg[self.below(len(msg))] ^= 1 + self.below(255)
            return bytes(msg)
        if kind == 4:  # a handshake message changed, then given a valid mac1 again: it reaches X25519
            if len(template) not in (INITIATION_SIZE, RESPONSE_SIZE):
                return template[:self.below(len(template))]
            msg = bytearray(template)
            msg[4 + self.below(len(msg) - 36)] ^= 1 + self.below(255)
            return with_mac1(msg, self.publics[self.below(2)])
        if kind == 5:
            return forged_initiation(rng, self.publics[self.below(2)], mac2=self.below(2) == 1)
        index = self.indices[self.below(len(self.indices))] if self.below(4) else self.below(1 << 32)
        if kind == 6:
            return forged_response(rng, self.publics[self.below(2)], index)
        if kind == 7:
            return forged_cookie_reply(rng, index)
        return forged_transport(rng, index, self.below(1 << 20), 32 + self.below(80))


def test_seeded_hostile_datagrams_never_raise_nor_touch_the_session():
    p = _session()
    before = (_snapshot(p.pa), _snapshot(p.pb))
    gen = Generator(p, b"hostile seed 1")
    loaded = 0
    for i in range(1500):
        _hit(p, gen.datagram(), SOURCES[gen.below(len(SOURCES))])
        if gen.below(8) == 0:
            p.now = ticks_add(p.now, gen.below(40))  # time moves, no timer runs
        if gen.below(200) == 0:
            p.now = ticks_add(p.now, 1500)  # a pause: the load clears
        loaded += p.b.load.under_load(p.now)
    assert 0 < loaded < 1500  # in and out of load
    assert p.b.drops.get("cookie_sent", 0) > 0 and p.b.drops.get("bad_mac1", 0) > 0
    _check_untouched(p, before)


@cpython_only("hypothesis")
def test_hypothesis_hostile_datagrams_never_raise_nor_touch_the_session():
    from hypothesis import HealthCheck, given, settings, strategies as st
    p = _session()
    before = (_snapshot(p.pa), _snapshot(p.pb))
    templates = _templates(p)
    publics = (p.a.identity.public, p.b.identity.public)
    indices = [p.pa.keypairs.current.local_index, p.pb.keypairs.current.local_index]

    def mutated(args):
        template, edits, remac = args
        msg = bytearray(template)
        for pos, value in edits:
            msg[pos % len(msg)] = value
        if remac is not None and len(msg) in (INITIATION_SIZE, RESPONSE_SIZE):
            return with_mac1(msg, publics[remac])
        return bytes(msg)

    def typed(args):
        t, index, body = args
        return struct.pack("<II", t, index) + body

    datagrams = st.one_of(
        st.binary(max_size=200),
        st.sampled_from(templates),
        st.tuples(st.sampled_from(templates), st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)),
                                                        min_size=1, max_size=4),
                  st.one_of(st.none(), st.integers(0, 1))).map(mutated),
        st.tuples(st.integers(1, 4), st.one_of(st.sampled_from(indices), st.integers(0, (1 << 32) - 1)),
                  st.one_of(st.binary(min_size=140, max_size=140), st.binary(min_size=84, max_size=84),
                            st.binary(min_size=56, max_size=56), st.binary(min_size=24, max_size=120))).map(typed))

    @settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
    @given(datagrams, st.sampled_from(SOURCES), st.integers(0, 300))
    def check(datagram, source, step_ms):
        p.now = ticks_add(p.now, step_ms)
        _hit(p, datagram, source)

    check()
    _check_untouched(p, before)
