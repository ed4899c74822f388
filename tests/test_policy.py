"""The loop's decisions, now in the core: when to look a peer's name up again, when the local
network changed, how long to back off after a failing step (fake values, both runtimes)."""
from client.wg.backoff import Backoff
from client.wg.endpoints import REFRESOLVE_EVERY, Endpoints, is_ip_literal


class _Timers:
    handshake_attempts = 0


class _Peer:
    def __init__(self):
        self.timers = _Timers()
        self.endpoint = None


def test_a_name_is_looked_up_again_every_third_failed_handshake():
    peer = _Peer()
    endpoints = Endpoints()
    endpoints.add(peer, "vpn.example.org", 51820)
    due = []
    for attempt in range(1, 10):
        peer.timers.handshake_attempts = attempt
        due.append(len(endpoints.lookups_due()))
        assert endpoints.lookups_due() == []  # each retry count is judged once
    assert due == [1 if a % REFRESOLVE_EVERY == 0 else 0 for a in range(1, 10)]
    peer.timers.handshake_attempts = 0  # a handshake completed: nothing to look up
    assert endpoints.lookups_due() == []


def test_an_address_literal_is_never_looked_up_again():
    peer = _Peer()
    endpoints = Endpoints()
    endpoints.add(peer, "192.0.2.1", 51820)
    peer.timers.handshake_attempts = REFRESOLVE_EVERY
    assert endpoints.lookups_due() == []
    assert is_ip_literal("203.0.113.7") and is_ip_literal("2001:db8::1") and not is_ip_literal("wg.lan")


def test_resolved_endpoint_is_kept_immutable():
    peer = _Peer()
    endpoints = Endpoints()
    endpoints.add(peer, "server", 51820)
    endpoints.targets[0].resolved(bytearray(b"\x02\x00\xca\x6c"))  # the unix port's sockaddr
    assert peer.endpoint == b"\x02\x00\xca\x6c" and isinstance(peer.endpoint, bytes)
    assert endpoints.probe_endpoint() is peer.endpoint
    assert Endpoints().probe_endpoint() is None


def test_network_change_is_a_change_between_two_known_addresses():
    endpoints = Endpoints()
    assert not endpoints.local_address_seen(None)  # the runtime cannot tell
    assert not endpoints.local_address_seen("100.64.0.2")  # first seen
    assert not endpoints.local_address_seen("100.64.0.2")
    assert endpoints.local_address_seen("100.64.0.3")  # a new network (keepalive.md 4a)
    assert not endpoints.local_address_seen(None)  # Wi-Fi down: nothing to confirm yet
    assert not endpoints.local_address_seen("100.64.0.3")  # back: same address as before it went
    assert endpoints.local_address == "100.64.0.3"


def test_backoff_doubles_from_10_ms_to_1_s_and_resets():
    b = Backoff()
    assert b.delay_ms() == 0
    logged, delays = [], []
    for _ in range(12):
        logged.append(b.failed())
        delays.append(b.delay_ms())
    assert delays == [10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000, 1000, 1000]
    assert [i + 1 for i, x in enumerate(logged) if x] == [1, 2, 4, 8]  # no log flood
    assert b.failures == 12
    b.succeeded()
    assert b.delay_ms() == 0 and b.failures == 12
    b.failed()
    assert b.delay_ms() == 10
