"""The power-aware persistent keepalive (keepalive.md "Required behaviour"), with a fake clock."""
# tools/test runs this module on the 32-bit board proxy with more heap than 96K: the test records
# every send of hours of fake-clock time (test data, not the client).
UNIX32_HEAP = "192K"
from client.compat import ticks_diff
from client.wg.constants import INITIATION_SIZE, REJECT_AFTER_TIME_MS
from tests.wgpair import Pair

HOUR_MS = 3_600_000


def _a_sends(p, since):
    return [(ticks_diff(t, since), len(d)) for t, s, d in p.wire if s == "a" and ticks_diff(t, since) > 0]


def _idle(p, ms):
    """Advance deadline by deadline, counting the device's wake-ups."""
    start = p.pa.counters.wakeups
    p.advance(ms)
    return p.pa.counters.wakeups - start


def test_up_confirms_with_a_handshake_at_once():
    p = Pair(keepalive_a=25, power_a=True)
    p.a.up(p.now)
    p.deliver()
    assert p.pa.counters.handshakes["initiator"] == 1
    assert p.pa.keypairs.current is not None


def test_idle_hour_spacing_kinds_and_wakeups():
    p = Pair(keepalive_a=25, power_a=True)
    p.a.up(p.now)
    p.deliver()
    t0 = p.now
    wakeups = _idle(p, HOUR_MS)
    sends = _a_sends(p, t0)
    gaps = [b[0] - a[0] for a, b in zip(sends, sends[1:])]
    assert max(gaps) <= 25_000  # exactly the interval: no jitter, no early sends
    assert len(sends) <= 3600 // 25 + 6
    handshakes = p.pa.counters.handshakes["initiator"]
    assert handshakes <= 6  # the first one, then one per confirm_interval after the session lapsed
    # Authenticated keepalives (32 bytes) while the session lives, 1-byte refreshes after it.
    lapsed = [size for t, size in sends if REJECT_AFTER_TIME_MS < t < 600_000]
    assert set(lapsed) == {1}
    assert 32 in set(size for t, size in sends if t < REJECT_AFTER_TIME_MS)
    # Every wake-up sent something: nothing periodic, no polling.
    assert wakeups == len(sends) - p.pa.counters.sent["data"]
    assert p.pb.counters.received["keepalive"] > 0 and p.b.drops.get("short", 0) == p.pa.counters.sent["nat_refresh"]


def test_keepalives_do_not_start_a_rekey():
    p = Pair(keepalive_a=25, power_a=True, confirm_a=0)
    p.a.up(p.now)
    p.deliver()
    p.advance(170_000)
    assert p.pa.counters.handshakes["initiator"] == 1
    assert len(p.sent("a", size=INITIATION_SIZE)) == 1


def test_inbound_packets_do_not_move_the_nat_deadline():
    p = Pair(keepalive_a=10, power_a=True)
    p.a.up(p.now)
    p.deliver()
    t0 = p.now
    p.advance(5_000)
    p.b_sends()  # inbound data at 5 s
    p.advance(5_000)
    sends = _a_sends(p, t0)
    assert sends[0][0] == 10_000  # 10 s after the last datagram sent, not after the inbound one


def test_confirmation_after_confirm_interval_without_authenticated_sends():
    p = Pair(keepalive_a=20, power_a=True, confirm_a=60)
    p.a.up(p.now)
    p.deliver()
    t0 = p.now
    p.advance(REJECT_AFTER_TIME_MS + 60_000 + 1_000)
    sends = _a_sends(p, t0)
    inits = [t for t, size in sends if size == INITIATION_SIZE]
    # Keepalives are authenticated while the session lives (< 180 s); the refreshes after it are not.
    last_authenticated = max(t for t, size in sends if size == 32 and t < REJECT_AFTER_TIME_MS)
    assert last_authenticated == 160_000
    assert inits == [last_authenticated + 60_000]


def test_data_traffic_still_follows_the_protocol():
    p = Pair(keepalive_a=25, power_a=True)
    p.a.up(p.now)
    p.deliver()
    p.advance(1_000)
    p.b_sends()
    p.advance(10_000)  # passive keepalive 10 s after received data (needed by the other side)
    assert p.pa.counters.sent["keepalive"] >= 1


def test_power_device_reachable_by_server_after_the_session_lapsed():
    p = Pair(keepalive_a=25, power_a=True, b_knows_a=True)
    p.a.up(p.now)
    p.deliver()
    p.advance(200_000)  # the session lapsed; refreshes keep the mapping
    p.b_sends(b"wake up")  # the server initiates; the device answers as responder
    assert p.received["a"][-1][20:] == b"wake up"
    assert p.pa.counters.handshakes["responder"] == 1
