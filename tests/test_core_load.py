"""Hostile load with a fake clock (issue 12, both runtimes): the device goes under load by itself,
answers with cookies instead of X25519, rate-limits them per source, and a forged message of any
type costs no X25519 and no AEAD (crypto calls counted by wrapping client.crypto)."""
UNIX32_HEAP = "2M"  # tests/wgpair.py keeps every datagram (test data, not the client)
from client.compat import ticks_add
from client.wg.constants import (COOKIE_REPLY_BURST, COOKIE_REPLY_SIZE, COOKIE_SOURCES_MAX, DH_COST_MAX_US,
                                 DH_COST_MIN_US, HANDSHAKE_BURST_DH, INITIATION_SIZE, LOAD_SHARE_PERCENT,
                                 REJECT_AFTER_MESSAGES, UNDER_LOAD_LINGER_MS)
from client.wg.device import Device
from client.wg.load import load_status, source_address
from tests.hostile import (cookie_of_reply, costs, forged_cookie_reply, forged_initiation, forged_response,
                           forged_transport, with_mac2)
from tests.wgpair import ADDR_A, Pair, Rng, Tai64n

COST_US = 3000  # the X25519 cost given to the devices (the client measures its own)


def _pair(cost_us=COST_US):
    p = Pair()
    p.a.load.set_dh_cost(cost_us)
    p.b.load.set_dh_cost(cost_us)
    p.handshake()
    p.b_sends()
    p.advance(2000)  # the handshake's work has drained from the buckets
    return p


def _to_b(p, datagram, source):
    """B receives `datagram` from `source`; returns (its crypto calls, the replies it sent there)."""
    calls = costs(p.b.receive, datagram, source, p.now)
    replies = [d for d, e in p.b.outbox if e == source]
    p.b.outbox = [(d, e) for d, e in p.b.outbox if e != source]
    return calls, replies


def _still_works(p):
    n_a, n_b = len(p.received["a"]), len(p.received["b"])
    p.a_sends(b"still")
    p.b_sends(b"still")
    assert len(p.received["b"]) == n_b + 1 and len(p.received["a"]) == n_a + 1


def _under_load_by_burst(p, rng, n=40):
    for i in range(n):
        _to_b(p, forged_initiation(rng, p.b.identity.public), "100.64.8.%d:%d" % (i % 4, 2000 + i))
    assert p.b.load.under_load(p.now)


def test_burst_goes_under_load_answers_with_cookies_and_the_peer_completes_with_mac2():
    p = _pair()
    rng = Rng(b"burst")
    public = p.b.identity.public
    first_cookie = None
    dh_before = dh_after = 0
    last = None
    for i in range(600):  # 100 forged initiations per second for 6 s, from 20 addresses, many ports
        source = "100.64.9.%d:%d" % (i % 20, 1000 + i)
        (dh, aead, xaead), replies = _to_b(p, forged_initiation(rng, public), source)
        if replies and first_cookie is None:
            first_cookie = i
        if first_cookie is None:
            dh_before += dh
        else:
            dh_after += dh
            assert aead == 0 and xaead <= 1, (i, aead, xaead)
            assert [len(r) for r in replies] in ([], [COOKIE_REPLY_SIZE])
        if i == 50:
            # The peer re-handshakes while the device is under load: its initiation gets a cookie reply...
            assert p.b.load.under_load(p.now)
            p.pa.confirm_endpoint(p.now)
            p.deliver()
            assert p.pa.counters.received["cookie"] == 1 and p.b.drops["cookie_sent"] >= 1
        if i % 100 == 99:
            _still_works(p)  # the established session works throughout
        last = p.now
        p.advance(10)
    # The bucket holds HANDSHAKE_BURST_DH X25519 (plus what drained in between): then no more X25519.
    assert first_cookie is not None and 1 <= dh_before <= HANDSHAKE_BURST_DH + 4, (first_cookie, dh_before)
    assert dh_after == 0
    # ... and its retransmission (5 s later, with mac2 from the cookie) completed during the burst.
    second = p.sent("a", size=INITIATION_SIZE)[-1]
    assert second[132:148] != bytes(16)
    assert p.pa.counters.handshakes["initiator"] == 2 and p.pb.counters.handshakes["responder"] == 2
    _still_works(p)
    # Under load until 1 s after the last excess, then not.
    p.advance(UNDER_LOAD_LINGER_MS - 10 - 1)
    assert p.b.load.under_load(p.now)
    p.advance(1)
    assert ticks_add(last, UNDER_LOAD_LINGER_MS) == p.now and not p.b.load.under_load(p.now)
    s = load_status(p.b, p.now)
    assert s["periods"] == 1 and s["under_load_for_ms"] is None and s["last_ended_ago_ms"] == 0
    assert s["cookies_sent"] == p.b.drops["cookie_sent"] and s["handshake_dh"] == dh_before + 4 + 4


def test_cookie_replies_are_rate_limited_per_source_address():
    p = _pair()
    p.b.under_load = True  # the limiter alone
    rng = Rng(b"rate")
    public = p.b.identity.public

    def replies(source, n=1):
        return sum(len(_to_b(p, forged_initiation(rng, public), source)[1]) for _ in range(n))

    assert replies("100.64.9.1:4000", 20) == COOKIE_REPLY_BURST  # the burst of 5
    assert replies("100.64.9.1:4001", 5) == 0  # another port of the same address: the same bucket
    assert replies("100.64.9.2:4000", 20) == COOKIE_REPLY_BURST  # another address: its own
    p.advance(50)
    assert replies("100.64.9.1:4000", 5) == 1  # one more per 50 ms
    p.advance(1000)
    assert replies("100.64.9.1:4000", 20) == COOKIE_REPLY_BURST  # idle: the burst again, no more
    sent = 0
    for _ in range(200):  # 100 per second for 2 s: 20 per second get an answer, after the burst
        p.advance(10)
        sent += replies("100.64.9.3:1")
    assert 5 + 40 - 1 <= sent <= 5 + 40 + 1, sent
    s = load_status(p.b, p.now)
    assert s["cookies_sent"] == p.b.drops["cookie_sent"] == 5 + 5 + 1 + 5 + sent
    assert s["cookies_rate_limited"] == p.b.drops["rate_limited"] > 0


def test_the_source_table_is_bounded_and_never_silences_the_peer():
    p = _pair()
    p.b.under_load = True
    rng = Rng(b"table")
    public = p.b.identity.public
    for i in range(COOKIE_SOURCES_MAX):
        assert len(_to_b(p, forged_initiation(rng, public), "100.64.10.%d:1" % i)[1]) == 1
    # Full of active sources: a new address gets no reply (counted), as the kernel's full table...
    assert _to_b(p, forged_initiation(rng, public), "100.64.11.1:1")[1] == []
    assert load_status(p.b, p.now)["cookies_table_full"] == 1
    assert len(p.b.cookie_limiter.tat) == COOKIE_SOURCES_MAX
    # ... but the configured peer's endpoint has its own slot: its initiation gets its cookie reply.
    p.pa.confirm_endpoint(p.now)
    p.deliver()
    assert p.pa.counters.received["cookie"] == 1
    # Sources whose burst is whole again (after 50 ms for one reply) hold nothing and make room.
    p.advance(60)
    for i in range(10):
        assert len(_to_b(p, forged_initiation(rng, public), "100.64.12.%d:1" % i)[1]) == 1
    assert len(p.b.cookie_limiter.tat) <= COOKIE_SOURCES_MAX


def test_forged_initiation_costs_no_dh_and_no_aead():
    p = _pair()
    rng = Rng(b"initiation")
    public = p.b.identity.public
    junk = bytearray(rng(INITIATION_SIZE))
    junk[0:4] = b"\x01\x00\x00\x00"
    assert _to_b(p, bytes(junk), "100.64.9.1:1")[0] == (0, 0, 0)  # mac1 first
    assert p.b.drops["bad_mac1"] == 1
    # Not under load, a valid mac1 buys one X25519 and one AEAD: what the load meter budgets.
    assert _to_b(p, forged_initiation(rng, public), "100.64.9.1:1")[0] == (1, 1, 0)
    _under_load_by_burst(p, rng)
    # Under load: a cookie reply (its XChaCha20-Poly1305) and no X25519, no ChaCha20-Poly1305 ...
    calls, replies = _to_b(p, forged_initiation(rng, public), "100.64.9.2:1")
    assert calls == (0, 0, 1) and len(replies) == 1
    calls, _ = _to_b(p, forged_initiation(rng, public, mac2=True), "100.64.9.2:1")  # a made-up mac2
    assert calls == (0, 0, 1)
    # ... and once that address's replies are spent, nothing at all.
    for _ in range(COOKIE_REPLY_BURST):
        _to_b(p, forged_initiation(rng, public), "100.64.9.2:2")
    assert _to_b(p, forged_initiation(rng, public), "100.64.9.2:3")[0] == (0, 0, 0)
    _still_works(p)


def test_forged_response_costs_no_dh_and_no_aead():
    p = _pair()
    rng = Rng(b"response")
    public = p.b.identity.public
    p.drop = lambda sender, d: sender == "b"  # B's initiation stays pending: its index is live
    p.pb.confirm_endpoint(p.now)
    p.deliver()
    p.drop = None
    pending = p.pb.handshake.local_index
    assert _to_b(p, forged_response(rng, public, pending ^ 1), "100.64.9.1:1")[0] == (0, 0, 0)
    assert p.b.drops["unknown_index"] == 1  # the index before mac1
    bad = bytearray(forged_response(rng, public, pending))
    bad[70] ^= 1
    assert _to_b(p, bytes(bad), "100.64.9.1:1")[0] == (0, 0, 0)
    assert p.b.drops["bad_mac1"] == 1
    # Not under load, a valid mac1 at the live index buys two X25519 and one AEAD (budgeted).
    assert _to_b(p, forged_response(rng, public, pending), "100.64.9.1:1")[0] == (2, 1, 0)
    _under_load_by_burst(p, rng)
    calls, replies = _to_b(p, forged_response(rng, public, pending), "100.64.9.3:1")
    assert calls == (0, 0, 1) and len(replies) == 1  # a cookie reply only
    _still_works(p)


def test_forged_cookie_reply_costs_no_aead():
    p = _pair()
    rng = Rng(b"cookie")
    assert _to_b(p, forged_cookie_reply(rng, 0x12345678), "100.64.9.1:1")[0] == (0, 0, 0)
    assert p.b.drops["unknown_index"] == 1
    # To the established session's index: the handshake it could answer completed, so no AEAD.
    index = p.pb.keypairs.current.local_index
    assert _to_b(p, forged_cookie_reply(rng, index), "100.64.9.1:1")[0] == (0, 0, 0)
    # A genuine cookie reply is accepted once: a replayed copy costs nothing.
    p.b.under_load = True
    p.pa.confirm_endpoint(p.now)
    p.deliver()
    p.b.under_load = False
    reply = [d for t, s, d in p.wire if s == "b" and len(d) == COOKIE_REPLY_SIZE][-1]
    assert p.pa.counters.received["cookie"] == 1
    assert costs(p.a.receive, reply, "100.64.9.1:1", p.now) == (0, 0, 0)
    assert p.pa.counters.drops["bad_cookie"] == 1
    # (The one forgery that costs an XChaCha20-Poly1305: the live index of a handshake message
    # still waiting for its answer, which only an attacker on the path sees.)
    assert costs(p.a.receive, forged_cookie_reply(rng, p.pa.handshake.local_index), "100.64.9.1:1",
                 p.now) == (0, 0, 0)  # ... here already answered by the genuine one
    p.advance(6000)
    _still_works(p)


def test_forged_transport_costs_no_aead():
    p = _pair()
    rng = Rng(b"transport")
    kp = p.pb.keypairs.current
    assert _to_b(p, forged_transport(rng, kp.local_index ^ 1, 0), "100.64.9.1:1")[0] == (0, 0, 0)
    assert p.b.drops["unknown_index"] == 1
    replayed = p.sent("a")[-1]  # a genuine datagram, delivered: its counter was seen
    assert _to_b(p, replayed, "100.64.9.1:1")[0] == (0, 0, 0)
    assert p.pb.counters.drops["replay"] == 1
    assert _to_b(p, forged_transport(rng, kp.local_index, REJECT_AFTER_MESSAGES), "100.64.9.1:1")[0] == (0, 0, 0)
    assert p.pb.counters.drops["replay"] == 2
    # A fresh counter at the live index is the one case that needs its AEAD to be refused.
    assert _to_b(p, forged_transport(rng, kp.local_index, kp.replay.top + 5), "100.64.9.1:1")[0] == (0, 1, 0)
    assert p.pb.counters.drops["bad_tag"] == 1
    assert p.pb.endpoint == ADDR_A  # and nothing forged moved the endpoint
    _still_works(p)


def test_senders_holding_a_cookie_stay_within_the_handshake_budget():
    p = _pair()
    rng = Rng(b"mac2")
    public = p.b.identity.public
    _under_load_by_burst(p, rng)
    attacker = "100.64.9.7:5000"  # a real address: it receives its cookie and uses it
    first = forged_initiation(rng, public)
    _, replies = _to_b(p, first, attacker)
    cookie = cookie_of_reply(replies[0], public, first[116:132])
    assert cookie is not None
    dh_total = 0
    for _ in range(5000):  # one valid-mac2 initiation per millisecond for 5 s
        p.advance(1)
        (dh, aead, xaead), _ = _to_b(p, with_mac2(forged_initiation(rng, public), cookie), attacker)
        dh_total += dh
    capacity_us = HANDSHAKE_BURST_DH * COST_US
    budget_dh = (capacity_us + 5000 * 1000 * LOAD_SHARE_PERCENT // 100) // COST_US
    assert budget_dh // 4 <= dh_total <= budget_dh, (dh_total, budget_dh)  # served, within the share
    assert p.b.drops["over_budget"] > 4000 and load_status(p.b, p.now)["over_budget"] == p.b.drops["over_budget"]
    _still_works(p)


def test_the_threshold_derives_from_the_measured_dh_cost():
    for cost_us in (1000, 100_000):  # a fast host's X25519 and a slow board's
        threshold_ms = cost_us * 100 // LOAD_SHARE_PERCENT // 1000  # one X25519 per this is 10%
        for interval_ms, expect_load in ((2 * threshold_ms, False), (threshold_ms // 2, True)):
            dev = Device(Rng(b"key")(32), Tai64n(), random_bytes=Rng(b"d"))
            dev.load.set_dh_cost(cost_us)
            rng = Rng(b"steady")
            now = 0
            dh = 0
            for i in range(60):
                dh += costs(dev.receive, forged_initiation(rng, dev.identity.public), "100.64.9.%d:1" % i, now)[0]
                now = ticks_add(now, interval_ms)
            assert dev.load.under_load(now) == expect_load, (cost_us, interval_ms)
            if expect_load:
                assert dh <= 2 * HANDSHAKE_BURST_DH  # the burst, then cookie replies only
            else:
                assert dh == 60 and dev.load.periods == 0  # 5% of the time: everything is served


def test_status_lines_show_the_load():
    from client.status import load_lines
    p = _pair()
    rng = Rng(b"status")
    assert load_lines(p.b, p.now)[0] == "  under load: no"
    _under_load_by_burst(p, rng)
    p.advance(500)
    text = "\n".join(load_lines(p.b, p.now))
    s = load_status(p.b, p.now)
    assert "  under load: yes, for 0.5 s; 1 period, 0.5 s in all" in text, text
    assert "  cookie replies: %d sent, %d rate-limited" % (s["cookies_sent"], s["cookies_rate_limited"]) in text
    assert "handshake work: " in text and "budget 10%" in text and "at 3.00 ms measured" in text, text
    p.advance(1000)
    assert load_lines(p.b, p.now)[0] == "  under load: no; 1 period, 1.0 s in all, the last ended 0.5 s ago"


def test_calibration_times_one_x25519_and_hands_it_to_the_meter():
    from client.calibrate import calibrate
    dev = Device(Rng(b"key")(32), Tai64n(), random_bytes=Rng(b"d"))
    calls, us = [], []
    calls.append(costs(lambda: us.append(calibrate(dev, Rng(b"key")(32)))))
    assert calls == [(1, 0, 0)]  # one X25519, nothing else
    assert dev.load.dh_cost_us == min(max(us[0], DH_COST_MIN_US), DH_COST_MAX_US)
    assert dev.load.capacity_us == HANDSHAKE_BURST_DH * dev.load.dh_cost_us


def test_source_address_drops_the_port():
    sockaddr = bytes((2, 0, 0xCA, 0x6C, 100, 64, 0, 1)) + bytes(8)
    assert source_address(sockaddr) == bytes((100, 64, 0, 1))
    assert source_address(("100.64.0.1", 51820)) == "100.64.0.1"
    assert source_address("100.64.0.1:51820") == "100.64.0.1"
    six = bytes((10, 0, 0, 1)) + bytes(4) + bytes(range(16)) + bytes(4)
    assert source_address(six) == bytes(range(8))  # the /64


def test_handshake_work_share_since_start_and_peak():
    dev = Device(Rng(b"key")(32), Tai64n(), random_bytes=Rng(b"d"))
    dev.load.set_dh_cost(1000)
    dev.up(0)
    dev.load.spent(0, 10)  # 10 ms of X25519 at once
    s = load_status(dev, 1000)
    assert s["share_bp"] == 100 and s["peak_bp"] == 0 and s["handshake_dh"] == 10  # 1% of 1 s; no full window
    dev.load.spent(10_000, 4)  # a new window: the first one (10 ms in 10 s) was 0.1%
    s = load_status(dev, 20_000)
    assert s["share_bp"] == 14_000 * 10 // 20_000 and s["peak_bp"] == 10
    from client.status import load_lines
    assert "handshake work: 0.07% of the time since start, peak 0.10% over 10 s (budget 10%); 14 X25519 " \
           "at 1.00 ms measured; 0 refused over budget" in load_lines(dev, 20_000)[2]


def test_replay_quick_check_agrees_with_the_window():
    # fresh() (before the AEAD) refuses exactly what validate() (after it) would refuse.
    import struct
    from client.wg.replay import ReplayWindow
    rng = Rng(b"counters")
    w = ReplayWindow(ring_bits=1024, limit=1 << 20)
    top = 0
    for _ in range(3000):
        r = struct.unpack("<I", rng(4))[0]
        step = (r & 0xFFF) - 2000 if r & 0x10000 else (r & 0x3F) - 8  # back into / far behind / ahead
        c = max(0, min((1 << 20) + 5, top + step))
        fresh = w.fresh(c)
        assert fresh == w.validate(c), (c, top)
        top = max(top, c) if fresh else top
    assert not w.fresh(1 << 20) and not w.validate(1 << 20)  # the limit
