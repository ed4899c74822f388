"""The minimal stack: ICMP echo replies for the device's tunnel address; bad packets counted."""
from client.stack import Stack, checksum
from tests.harness import cpython_only
from tests.ipkit import checksum as reference_checksum, icmp_echo, parse_icmp_echo

ME = bytes((192, 0, 2, 2))
SERVER = bytes((192, 0, 2, 1))


def test_echo_reply():
    s = Stack(["192.0.2.2/32"])
    reply = s.receive(icmp_echo(SERVER, ME, 0x1234, 7, data=b"payload!"))
    assert parse_icmp_echo(reply) == (0, 0x1234, 7, ME, SERVER, b"payload!")
    assert checksum(reply, 0, 20) == 0 and checksum(reply, 20, len(reply)) == 0
    assert s.counters["echo_replies"] == 1


def test_checksum_matches_reference():
    for data in (b"", b"\x01", bytes(range(255)), b"\xff" * 33):
        assert checksum(data) == reference_checksum(data)


def test_drops_are_counted():
    s = Stack(["192.0.2.2/32"])
    good = icmp_echo(SERVER, ME, 1, 1)
    bad_ip = bytearray(good)
    bad_ip[8] ^= 1  # TTL changed without fixing the header checksum
    bad_icmp = bytearray(good)
    bad_icmp[-1] ^= 1
    fragment = bytearray(icmp_echo(SERVER, ME, 1, 1))
    fragment[6] |= 0x20
    cases = ((b"", "bad_header"), (b"\x45" + bytes(10), "bad_header"), (bytes(bad_ip), "bad_checksum"),
             (bytes(bad_icmp), "bad_checksum"), (icmp_echo(SERVER, bytes((192, 0, 2, 9)), 1, 1), "not_for_us"),
             (b"\x60" + bytes(39), "ipv6_ignored"), (icmp_echo(SERVER, ME, 1, 1, reply=True), "unhandled"))
    for packet, counter in cases:
        before = s.counters[counter]
        assert s.receive(packet) is None
        assert s.counters[counter] == before + 1, counter
    f = bytearray(fragment)
    f[10:12] = b"\x00\x00"
    from client.stack import checksum as ck
    f[10:12] = ck(f, 0, 20).to_bytes(2, "big")
    assert s.receive(bytes(f)) is None and s.counters["fragment"] == 1


@cpython_only("hypothesis")
def test_random_packets_never_raise():
    from hypothesis import given, settings, strategies as st
    s = Stack(["192.0.2.2/32"])

    @settings(max_examples=300, deadline=None)
    @given(st.binary(max_size=120))
    def check(packet):
        s.receive(packet)

    check()
