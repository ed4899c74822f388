"""Two devices in memory: handshake, data, timers, roaming, cookies (fake clock, both runtimes)."""
from client.wg.constants import (INITIATION_SIZE, KEEPALIVE_TIMEOUT_MS, REKEY_AFTER_TIME_MS,
                                 REJECT_AFTER_TIME_MS, RESPONSE_SIZE, COOKIE_REPLY_SIZE, ZERO_KEYS_AFTER_MS)
from client.compat import ticks_diff
from client.wg.counters import peer_status
from tests.wgpair import IP_A, IP_B, Pair, ipv4

KEEPALIVE_SIZE = 32


def test_handshake_and_data_both_ways():
    p = Pair()
    p.a_sends(b"hello")
    assert [len(d) for d in p.sent("a")] == [INITIATION_SIZE, 64]  # initiation, then the queued data (25 B padded to 32)
    assert [len(d) for d in p.sent("b")] == [RESPONSE_SIZE]
    assert p.received["b"] == [ipv4(IP_A, IP_B, b"hello")]
    p.b_sends(b"world")
    assert p.received["a"] == [ipv4(IP_B, IP_A, b"world")]
    assert p.pa.counters.handshakes == {"initiator": 1, "responder": 0}
    assert p.pb.counters.handshakes == {"initiator": 0, "responder": 1}
    assert p.pa.counters.sent["data"] == 1 and p.pb.counters.received["data"] == 1
    assert not p.a.drops and not p.b.drops


def test_transport_padding_and_trimming():
    p = Pair()
    p.handshake()
    for size in (1, 15, 16, 17, 100):
        p.a_sends(b"x" * size)
        plain = 20 + size
        assert len(p.sent("a")[-1]) == 32 + ((plain + 15) // 16) * 16
        assert p.received["b"][-1] == ipv4(IP_A, IP_B, b"x" * size)


def test_with_preshared_key():
    p = Pair(psk=bytes(range(32)))
    p.handshake()
    p.b_sends()
    assert len(p.received["a"]) == 1


def test_mismatched_preshared_key_fails_the_response():
    p = Pair(psk=bytes(range(32)))
    p.pb.handshake.preshared_key = bytes(32)
    p.a_sends()
    assert p.pa.counters.drops.get("bad_response") == 1
    assert p.pa.keypairs.current is None and not p.received["b"]


def test_responder_rotates_on_first_data():
    p = Pair()
    p.drop = lambda sender, d: sender == "a" and len(d) != INITIATION_SIZE  # lose A's data for now
    p.a_sends()
    assert p.pb.keypairs.next is not None and p.pb.keypairs.current is None
    p.drop = None
    p.a_sends()
    assert p.pb.keypairs.current is not None and p.pb.keypairs.next is None
    first = p.pb.keypairs.current
    # A second handshake: B's new keys wait in `next` until A's first message under them.
    p.advance(REKEY_AFTER_TIME_MS)
    p.a_sends()  # keys older than REKEY_AFTER_TIME: A initiates after this send
    assert p.pa.counters.handshakes["initiator"] == 2
    assert p.pb.keypairs.current is not first and p.pb.keypairs.previous is first
    assert p.pb.counters.handshakes["responder"] == 2


def test_rekey_after_120_seconds_with_traffic():
    p = Pair()
    p.handshake()
    for _ in range(14):  # 140 s of traffic both ways, every 10 s
        p.advance(10_000)
        p.a_sends()
        p.b_sends()
    assert p.pa.counters.handshakes["initiator"] == 2
    assert len(p.sent("a", size=INITIATION_SIZE)) == 2
    assert len(p.received["b"]) == 15 and len(p.received["a"]) == 14
    assert not p.a.drops and not p.b.drops


def test_keys_refused_after_180_seconds():
    p = Pair()
    p.handshake()
    p.drop = lambda sender, d: True
    p.a_sends(b"late")  # sealed now, delivered later
    late = p.sent("a")[-1]
    p.drop = None
    p.advance(REJECT_AFTER_TIME_MS + 1000)
    p.b.receive(late, "A:51820", p.now)
    assert p.pb.counters.drops == {"expired_keypair": 1}
    # A does not send with keys that old: the packet waits for a new handshake.
    before = len(p.sent("a", size=INITIATION_SIZE))
    p.a_sends(b"fresh")
    assert len(p.sent("a", size=INITIATION_SIZE)) == before + 1
    assert p.received["b"][-1] == ipv4(IP_A, IP_B, b"fresh")


def test_give_up_after_18_retransmits():
    p = Pair()
    p.drop = lambda sender, d: sender == "a"  # B never hears A
    start = p.now
    p.a_sends()
    p.advance(200_000)
    inits = [t for t, s, d in p.wire if s == "a" and len(d) == INITIATION_SIZE]
    assert len(inits) == 1 + 18
    assert ticks_diff(inits[-1], start) <= 90_000 + 18 * 333
    assert ticks_diff(inits[-1], start) >= 90_000
    assert p.pa.counters.drops.get("handshake_gave_up") == 1  # the queued packet
    assert not p.pa.queue
    # Nothing left but the timer that erases the partial handshake, then nothing at all.
    p.advance(ZERO_KEYS_AFTER_MS)
    assert p.a.next_deadline() is None


def test_retransmits_use_fresh_ephemeral_and_index():
    p = Pair()
    p.drop = lambda sender, d: sender == "a"
    p.a_sends()
    p.advance(11_000)
    inits = p.sent("a", size=INITIATION_SIZE)
    assert len(inits) == 3
    assert len(set(d[4:8] for d in inits)) == 3 and len(set(d[8:40] for d in inits)) == 3


def test_passive_keepalive_after_10_seconds():
    p = Pair()
    p.handshake()
    t = p.now
    p.advance(KEEPALIVE_TIMEOUT_MS + 1000)
    keepalives = [(tt, d) for tt, s, d in p.wire if s == "b" and len(d) == KEEPALIVE_SIZE]
    assert len(keepalives) == 1
    assert ticks_diff(keepalives[0][0], t) == KEEPALIVE_TIMEOUT_MS
    assert p.pa.counters.received["keepalive"] == 1
    # Keepalives do not call data_received: no keepalive answers a keepalive.
    p.advance(60_000)
    assert len([1 for _, s, d in p.wire if len(d) == KEEPALIVE_SIZE]) == 1


def test_data_sent_without_answer_starts_a_new_handshake():
    p = Pair()
    p.handshake()
    p.advance(1000)
    p.drop = lambda sender, d: sender == "b"  # B's answers are lost from now on
    t = p.now
    p.a_sends()
    p.advance(16_000)
    inits = [tt for tt, s, d in p.wire if s == "a" and len(d) == INITIATION_SIZE]
    assert len(inits) == 2  # the first handshake, then "sent data, heard nothing" at 15 s + jitter
    assert 15_000 <= ticks_diff(inits[1], t) < 15_333


def test_roaming_follows_authenticated_packets_only():
    p = Pair()
    p.handshake()
    assert p.pb.endpoint == "A:51820"
    p.source_a = "A:40000"  # the NAT gave A a new port
    p.a_sends()
    assert p.pb.endpoint == "A:40000"
    # A forged transport message and a cookie reply from elsewhere do not move it.
    forged = bytearray(p.sent("a")[-1])
    forged[-1] ^= 1
    p.b.receive(bytes(forged), "X:1", p.now)
    p.b.receive(bytes((3, 0, 0, 0)) + bytes(60), "X:1", p.now)
    assert p.pb.endpoint == "A:40000"
    p.b_sends()
    assert p.received["a"][-1] == ipv4(IP_B, IP_A, b"pong")


def test_cookie_flow_when_the_responder_is_under_load():
    p = Pair()
    p.b.under_load = True
    p.a_sends()
    assert [len(d) for d in p.sent("b")] == [COOKIE_REPLY_SIZE]
    assert p.pa.counters.received["cookie"] == 1
    assert len(p.sent("a")) == 1  # no immediate retransmit
    assert p.pa.endpoint == "B:51820" and p.pa.keypairs.current is None
    p.advance(5_400)  # the retransmit timer sends a new initiation, now with mac2
    second = p.sent("a", size=INITIATION_SIZE)[-1]
    assert second[132:148] != bytes(16)
    assert p.pa.counters.handshakes["initiator"] == 1
    assert p.received["b"] == [ipv4(IP_A, IP_B, b"ping")]


def test_cookie_reply_is_accepted_once_per_mac1():
    p = Pair()
    p.b.under_load = True
    p.a_sends()
    reply = p.sent("b")[-1]
    p.a.receive(reply, "B:51820", p.now)
    assert p.pa.counters.drops.get("bad_cookie") == 1


def test_responder_refuses_replayed_initiation_and_floods():
    p = Pair()
    p.drop = lambda sender, d: sender == "b"
    p.a_sends()
    init = p.sent("a")[0]
    p.b.receive(init, "A:51820", p.now)  # the same timestamp again
    assert p.b.drops.get("replayed_timestamp") == 1
    # A second initiation within 20 ms of the last accepted one: a flood, dropped.
    p.pa.last_sent_handshake = None
    p.advance(10)
    p.pa.send_initiation(p.now, False)
    p.deliver()
    assert p.b.drops.get("initiation_flood") == 1


def test_persistent_keepalive_standard_semantics():
    p = Pair(keepalive_a=25)
    p.a.up(p.now)  # one keepalive at once when the interface comes up: a handshake first
    p.deliver()
    assert p.pa.counters.handshakes["initiator"] == 1
    t = p.now
    p.advance(100_000)
    sends = [ticks_diff(tt, t) for tt, s, d in p.wire if s == "a" and len(d) == KEEPALIVE_SIZE]
    # Re-armed on every authenticated packet either way: 25 s after the previous one.
    assert sends[:5] == [0, 25_000, 50_000, 75_000, 100_000][:len(sends[:5])]
    assert len(sends) == 5


def test_idle_device_has_no_deadline():
    p = Pair()
    assert p.a.next_deadline() is None and p.b.next_deadline() is None
    p.handshake()
    p.advance(ZERO_KEYS_AFTER_MS + 20_000)
    assert p.a.next_deadline() is None and p.b.next_deadline() is None
    assert p.pa.keypairs.current is None  # erased after 540 s


def test_status_reports_counters():
    p = Pair()
    p.handshake()
    p.advance(3000)
    s = peer_status(p.pa, p.now)
    assert s["endpoint"] == "B:51820" and s["handshakes"]["initiator"] == 1
    assert s["sent"]["initiation"] == 1 and s["sent"]["data"] == 1 and s["received"]["response"] == 1
    assert s["last_handshake_ago_ms"] == 3000 and s["keepalive"] == "standard"
