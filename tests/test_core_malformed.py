"""Hostile and malformed datagrams are dropped and counted; the session keeps working after each."""
# tools/test runs this module on the 32-bit board proxy with more heap than 96K: two devices in
# memory and every datagram kept for inspection (test data, not the client).
UNIX32_HEAP = "192K"
import struct

from client import crypto
from client.wg import cookie
from client.wg.constants import INITIATION_SIZE, REPLAY_WINDOW_BITS, RESPONSE_SIZE
from tests.harness import cpython_only
from client.wg.device import Device
from tests.wgpair import IP_A, IP_B, Pair, Rng, Tai64n, ipv4


def _session():
    p = Pair()
    p.handshake()
    p.b_sends()
    return p


def _still_works(p):
    n_a, n_b = len(p.received["a"]), len(p.received["b"])
    p.a_sends(b"after")
    p.b_sends(b"after")
    assert len(p.received["b"]) == n_b + 1 and len(p.received["a"]) == n_a + 1


def _check(p, datagram, reason, source="A:51820"):
    before = p.b.drops.get(reason, 0)
    p.b.receive(bytes(datagram), source, p.now)
    p.deliver()
    assert p.b.drops.get(reason, 0) == before + 1, (reason, p.b.drops)
    _still_works(p)


def test_wrong_type_reserved_bytes_and_sizes():
    p = _session()
    data = p.sent("a")[-1]
    init = p.sent("a", size=INITIATION_SIZE)[0]
    _check(p, b"\x05\x00\x00\x00" + bytes(60), "malformed")
    _check(p, b"\x00\x00\x00\x00" + bytes(60), "malformed")
    _check(p, b"\x01\x00\x00\x01" + init[4:], "malformed")  # reserved byte set
    _check(p, data[:1] + b"\x01" + data[2:], "malformed")
    _check(p, init[:-1], "malformed")  # 147 bytes
    _check(p, init + b"\x00", "malformed")  # 149 bytes
    _check(p, bytes((2, 0, 0, 0)) + bytes(RESPONSE_SIZE - 5), "malformed")
    _check(p, bytes((3, 0, 0, 0)) + bytes(59), "malformed")
    _check(p, data[:31], "short")
    _check(p, b"\x00", "short")  # a NAT refresh is never answered


def test_bad_mac1_and_unknown_indices():
    p = _session()
    init = bytearray(p.sent("a", size=INITIATION_SIZE)[0])
    init[120] ^= 1
    _check(p, init, "bad_mac1")
    data = bytearray(p.sent("a")[-1])
    data[4:8] = b"\xff\xff\xff\xfe"
    _check(p, data, "unknown_index")
    _check(p, bytes((3, 0, 0, 0)) + b"\xee" * 60, "unknown_index")


def test_bad_tag_replay_and_too_old():
    p = _session()
    data = p.sent("a")[-1]
    # A fresh counter with a flipped tag (a counter already seen is refused before its AEAD: replay).
    bad = p.pa._seal(p.pa.keypairs.current, ipv4(IP_A, IP_B, b"x"), p.now)
    bad[-1] ^= 0x80
    before = p.pb.counters.drops.get("bad_tag", 0)
    p.b.receive(bytes(bad), "A:51820", p.now)
    assert p.pb.counters.drops.get("bad_tag") == before + 1
    p.b.receive(data, "A:51820", p.now)  # replayed
    assert p.pb.counters.drops.get("replay") == 1
    old = data
    for i in range(REPLAY_WINDOW_BITS):  # move the window past `old`
        p.a.send_packet(ipv4(IP_A, IP_B, b"."), p.now)
        if i % 64 == 63:
            # In batches, forgetting what was checked: 2048 datagrams kept would not fit a board.
            p.deliver()
            p.wire.clear()
            p.received["b"].clear()
    p.deliver()
    p.b.receive(old, "A:51820", p.now)
    assert p.pb.counters.drops.get("replay") == 2
    assert p.b.drops.get("replay") == 2
    _still_works(p)


def test_inner_source_outside_allowed_ips():
    p = _session()
    p.a.send_packet(ipv4(bytes((192, 0, 2, 9)), IP_B, b"spoof"), p.now)
    p.deliver()
    assert p.pb.counters.drops.get("source_not_allowed") == 1
    assert ipv4(bytes((192, 0, 2, 9)), IP_B, b"spoof") not in p.received["b"]
    p.a.send_packet(b"\x70" + bytes(40), p.now)  # neither IPv4 nor IPv6: no route at A
    assert p.a.drops.get("no_route") == 1
    _still_works(p)


def test_invalid_inner_packet_is_dropped():
    p = _session()
    kp = p.pa.keypairs.current
    p.a.outbox.append((p.pa._seal(kp, b"\x45\x00\xff\xff" + bytes(16), p.now), "B"))  # length > packet
    p.deliver()
    assert p.pb.counters.drops.get("invalid_ip") == 1
    _still_works(p)


def test_all_zero_dh_initiation():
    p = _session()
    init = bytearray(p.sent("a", size=INITIATION_SIZE)[0])
    init[8:40] = bytes(32)
    key = cookie.mac1_key(p.b.identity.public)
    init[116:132] = crypto.blake2s(bytes(init[:116]), key=key, digest_size=16)
    _check(p, init, "zero_dh")


def test_unknown_peer_initiation():
    p = _session()
    other = Device(Rng(b"stranger")(32), Tai64n(), random_bytes=Rng(b"s"))
    other.add_peer(p.b.identity.public, None, "B", ["192.0.2.2/32"])
    other.send_packet(ipv4(IP_A, IP_B), p.now)
    init = other.outbox[0][0]
    _check(p, init, "unknown_peer")


@cpython_only("hypothesis")
def test_random_datagrams_never_raise():
    from hypothesis import given, settings, strategies as st
    p = _session()
    templates = [p.sent("a", size=INITIATION_SIZE)[0], p.sent("b", size=RESPONSE_SIZE)[0], p.sent("a")[-1]]

    @settings(max_examples=400, deadline=None)
    @given(st.one_of(
        st.binary(max_size=200),
        st.tuples(st.sampled_from(templates), st.integers(0, 147), st.integers(0, 255)),
        st.tuples(st.integers(1, 4), st.binary(max_size=160))))
    def check(case):
        if isinstance(case, bytes):
            datagram = case
        elif isinstance(case[0], int):
            datagram = struct.pack("<I", case[0]) + case[1]
        else:
            template, pos, value = case
            datagram = bytearray(template)
            datagram[pos % len(datagram)] = value
            datagram = bytes(datagram)
        p.b.receive(datagram, "R:1", p.now)
        p.a.receive(datagram, "R:1", p.now)
        p.a.outbox.clear()
        p.b.outbox.clear()

    check()
    _still_works(p)
