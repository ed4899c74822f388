"""The stack per layer with crafted packets: IPv4 checks, ICMP, UDP sockets; drops counted."""
# tools/test runs this module on the 32-bit board proxy with more heap than 96K: packets built and
# kept by the test (test data, not the client).
UNIX32_HEAP = "192K"
from client.net import ipv4, tcp, udp
from client.net.checksum import checksum, transport_checksum
from client.net.stack import Stack
from tests.harness import cpython_only
from tests.ipkit import checksum as reference_checksum, icmp_echo, ipv4_packet, parse_icmp_echo
from tests.netpair import DEV_IP, HOST_IP, NetPair

ME = DEV_IP
SERVER = HOST_IP


def _stack(**kw):
    return Stack(["192.0.2.2/32"], **kw)


def test_checksum_matches_reference():
    for data in (b"", b"\x01", bytes(range(255)), b"\xff" * 33):
        assert checksum(data) == reference_checksum(data)


def test_checksum_fast_sum_equals_the_loop():
    # The sum picked at import (viper on MicroPython, a big integer on CPython) against the plain
    # loop: every length to 70, MTU sizes and one past the viper code's 16 KB fold, odd offsets of a
    # memoryview, all-0xFF words, and sums that are multiples of 0xFFFF (0xFFFF, never 0, unless
    # every word is 0). One buffer of each kind at a time: the 32-bit proxy runs this in 192 KB.
    from client.net import checksum as c
    for n in list(range(70)) + [1439, 1440, 1441, 20001]:
        for kind in range(4):
            if kind == 0:
                data = bytes(range(7, 256, 3)) * (n // 83 + 1)
            elif kind == 1:
                data = b"\xff" * n
            elif kind == 2:
                data = b"\xff\xff" + bytes(max(0, n - 2))
            else:
                data = bytes(n)
            view = memoryview(data)
            for start in (0, 1, 3):
                if start <= n:
                    loop = c._ones_sum_loop(view, start, n)
                    assert c.fold(c.ones_sum(view, start, n, 7)) == c.fold(loop + 7), (n, kind, start)
                    assert c.ones_sum(view, start, n) % 0xFFFF == loop % 0xFFFF, (n, kind, start)
            data = view = None


def test_echo_reply():
    s = _stack()
    s.receive(icmp_echo(SERVER, ME, 0x1234, 7, data=b"payload!"), 0)
    reply = s.outbox.pop()
    assert parse_icmp_echo(reply) == (0, 0x1234, 7, ME, SERVER, b"payload!")
    assert checksum(reply, 0, 20) == 0 and checksum(reply, 20, len(reply)) == 0
    assert s.counters["icmp_echo_replies"] == 1


def test_ipv4_drops_are_counted():
    s = _stack()
    good = icmp_echo(SERVER, ME, 1, 1)
    bad_ip = bytearray(good)
    bad_ip[8] ^= 1  # TTL changed without fixing the header checksum
    bad_icmp = bytearray(good)
    bad_icmp[-1] ^= 1
    fragment = bytearray(good)
    fragment[6] |= 0x20  # more fragments
    fragment[10:12] = b"\x00\x00"
    fragment[10:12] = checksum(fragment, 0, 20).to_bytes(2, "big")
    long_claim = bytearray(good)
    long_claim[3] += 1  # total length beyond the packet
    cases = ((b"", "bad_header"), (b"\x45" + bytes(10), "bad_header"), (bytes(bad_ip), "bad_checksum"),
             (bytes(long_claim), "bad_header"), (bytes(bad_icmp), "icmp_bad"),
             (icmp_echo(SERVER, bytes((192, 0, 2, 9)), 1, 1), "not_for_us"),
             (b"\x60" + bytes(39), "ipv6_ignored"), (bytes(fragment), "fragment"),
             (ipv4_packet(SERVER, ME, 99, b"x"), "unknown_protocol"))
    for packet, counter in cases:
        before = s.counters.get(counter, 0)
        s.receive(packet, 0)
        assert s.counters.get(counter, 0) == before + 1, counter
    assert not s.outbox


def _udp_packet(payload, dst_port, src_port=5000):
    seg = udp.emit(SERVER, ME, src_port, dst_port, payload)
    return ipv4_packet(SERVER, ME, 17, seg)


def test_udp_bind_sendto_recvfrom_and_bounded_queue():
    s = _stack(udp_queue=2)
    sock = s.udp_bind(7)
    for i in range(3):
        s.receive(_udp_packet(b"msg%d" % i, 7), 0)
    assert sock.recvfrom() == (b"msg0", (SERVER, 5000)) and sock.recvfrom()[0] == b"msg1"
    assert sock.recvfrom() is None and sock.dropped == 1 and s.counters["udp_queue_full"] == 1
    sock.sendto(b"answer", (SERVER, 5000))
    out = s.outbox.pop()
    assert out[9] == 17 and transport_checksum(out, 20, len(out), ME, SERVER, 17) == 0
    assert bytes(out[28:]) == b"answer"


def test_udp_closed_port_gets_rate_limited_icmp_unreachable():
    s = _stack(icmp_per_second=3)
    for _ in range(5):
        s.receive(_udp_packet(b"hello", 9999), 0)
    assert len(s.outbox) == 3 and s.counters["icmp_rate_limited"] == 2
    icmp = s.outbox[0]
    assert icmp[9] == 1 and icmp[20] == 3 and icmp[21] == 3  # destination unreachable, port
    assert bytes(icmp[28:48]) == bytes(_udp_packet(b"hello", 9999)[:20])  # the quoted header
    s.receive(_udp_packet(b"hello", 9999), 1000)  # a second later, tokens are back
    assert len(s.outbox) == 4


def test_udp_bad_checksum_and_length():
    s = _stack()
    s.udp_bind(7)
    bad = bytearray(_udp_packet(b"data", 7))
    bad[-1] ^= 1
    s.receive(bytes(bad), 0)
    assert s.counters["udp_bad_checksum"] == 1
    short = bytearray(_udp_packet(b"data", 7))
    short[24:26] = b"\x00\x40"  # UDP length beyond the packet
    s.receive(bytes(short), 0)
    assert s.counters["udp_bad_length"] == 1


def test_ping_api():
    p = NetPair()
    p.dev.ping(HOST_IP, 9, 1)
    p.exchange()
    assert (9, 1) in p.dev.pings


@cpython_only("scapy, an independent implementation of the checksums")
def test_checksums_cross_checked_with_scapy():
    from scapy.all import ICMP, IP, TCP, UDP, raw
    seg = udp.emit(SERVER, ME, 1234, 53, b"query bytes")
    scapy_udp = raw(IP(src="192.0.2.1", dst="192.0.2.2") / UDP(sport=1234, dport=53) / b"query bytes")[20:]
    assert bytes(seg) == scapy_udp
    t = tcp.emit(ME, SERVER, 80, 40000, 0x01020304, 0x0A0B0C0D, tcp.ACK | tcp.PSH, 4096, b"hello", None)
    scapy_tcp = raw(IP(src="192.0.2.2", dst="192.0.2.1") / TCP(sport=80, dport=40000, seq=0x01020304,
                                                                 ack=0x0A0B0C0D, flags="PA", window=4096) / b"hello")[20:]
    assert bytes(t) == scapy_tcp
    syn = tcp.emit(ME, SERVER, 80, 40000, 5, 0, tcp.SYN, 4096, b"", 1380)
    scapy_syn = raw(IP(src="192.0.2.2", dst="192.0.2.1") / TCP(sport=80, dport=40000, seq=5, flags="S",
                                                                 window=4096, options=[("MSS", 1380)]))[20:]
    assert bytes(syn) == scapy_syn
    packet = bytearray(20)
    ipv4.emit(packet, ME, SERVER, 1, 0, 77)
    assert bytes(packet) == raw(IP(src="192.0.2.2", dst="192.0.2.1", id=77, flags="DF", ttl=64, proto=1))
    echo = icmp_echo(SERVER, ME, 5, 6, data=b"abc")
    assert echo[20:] == raw(ICMP(type=8, id=5, seq=6) / b"abc")


def test_emit_with_headroom_is_the_same_segment_after_the_room():
    # The stack builds whole packets in one buffer: the segment after 20 bytes left for the IP header.
    t = tcp.emit(ME, SERVER, 80, 40000, 7, 9, tcp.ACK | tcp.SYN, 512, b"data", 1380)
    th = tcp.emit(ME, SERVER, 80, 40000, 7, 9, tcp.ACK | tcp.SYN, 512, b"data", 1380, headroom=20)
    assert th[20:] == t and th[:20] == bytes(20)
    u = udp.emit(ME, SERVER, 5353, 53, b"query")
    uh = udp.emit(ME, SERVER, 5353, 53, b"query", 20)
    assert uh[20:] == u and uh[:20] == bytes(20)


@cpython_only("hypothesis")
def test_random_packets_never_raise_nor_disturb_a_connection():
    from hypothesis import given, settings, strategies as st
    p = NetPair()
    p.dev.udp_bind(7)
    accepted = []
    p.dev.listen(80, on_accept=accepted.append)
    client = p.host.connect(DEV_IP, 80, p.now)
    p.exchange()
    server = accepted[0]
    state = (server.state, server.rcv_nxt, server.snd_nxt, server.snd_una)
    ports = st.sampled_from([7, 80, 81])

    @settings(max_examples=300, deadline=None)
    @given(st.one_of(
        st.binary(max_size=120),
        st.builds(lambda proto, body: ipv4_packet(SERVER, ME, proto, body), st.sampled_from([1, 6, 17]),
                  st.binary(max_size=60)),
        st.builds(lambda sp, dp, seq, flags, data: ipv4_packet(bytes((192, 0, 2, 77)), ME, 6, tcp.emit(
            bytes((192, 0, 2, 77)), ME, sp, dp, seq, 0, flags, 1000, data)),
                  st.integers(1, 65535), ports, st.integers(0, 2 ** 32 - 1), st.integers(0, 63),
                  st.binary(max_size=20))))
    def check(packet):
        p.dev.receive(packet, p.now)
        p.dev.flush(p.now)
        p.dev.outbox.clear()

    check()
    assert (server.state, server.rcv_nxt, server.snd_nxt, server.snd_una) == state
    client.send(b"still fine")
    p.exchange()
    assert server.recv() == b"still fine"
