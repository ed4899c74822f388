"""TCP with a fake clock: handshakes both ways, data, loss, reordering, zero window, FIN, RST, caps."""
# tools/test runs this module on the 32-bit board proxy with more heap than 96K: transfers of up to
# 51 KB collected by the test, recv(100_000) buffers (test data, not the client).
UNIX32_HEAP = "2M"
from client.compat import ticks_diff
from client.net import tcp
from client.net.ring import Ring
from tests.netpair import DEV_IP, HOST_IP, NetPair


def _connected(**kw):
    """Host connects to a listener on the device (passive open on the device side)."""
    p = NetPair(**kw)
    accepted = []
    p.dev.listen(80, on_accept=accepted.append)
    client = p.host.connect(DEV_IP, 80, p.now)
    p.exchange()
    assert client.state == tcp.ESTABLISHED and len(accepted) == 1
    return p, client, accepted[0]


def _pump(p, sender, receiver, data, chunk=4096, step_ms=10, limit_ms=120_000):
    """Write all of data into sender while reading receiver; returns what arrived."""
    got = bytearray()
    sent = 0
    waited = 0
    while (sent < len(data) or len(got) < len(data)) and waited < limit_ms:
        if sent < len(data):
            sent += sender.send(data[sent:sent + chunk])
        p.exchange()
        while True:
            piece = receiver.recv(65536)
            if not piece:
                break
            got += piece
        p.exchange()
        if len(got) < len(data):
            p.advance(step_ms)
            waited += step_ms
    return bytes(got)


def test_three_way_handshake_passive_and_mss():
    p, client, server = _connected()
    assert server.state == tcp.ESTABLISHED and server.remote == (HOST_IP, client.local[1])
    syn = p.sent("host")[0]
    syn_ack = p.sent("dev")[0]
    assert syn[33] & 0x3F == tcp.SYN and syn_ack[33] & 0x3F == tcp.SYN | tcp.ACK
    assert syn_ack[40:44] == bytes((2, 4, 1420 - 40 >> 8, (1420 - 40) & 0xFF))  # MSS option
    assert server.mss == 1380


def test_active_open_from_the_device():
    p = NetPair()
    accepted = []
    p.host.listen(8080, on_accept=accepted.append)
    conn = p.dev.connect(HOST_IP, 8080, p.now)
    p.exchange()
    assert conn.state == tcp.ESTABLISHED and accepted[0].state == tcp.ESTABLISHED
    assert conn.send(b"GET / HTTP/1.0\r\n\r\n") == 18
    p.exchange()
    assert accepted[0].recv() == b"GET / HTTP/1.0\r\n\r\n"


def test_data_both_ways_and_in_order():
    p, client, server = _connected()
    data = bytes(range(256)) * 200  # 51200 bytes, several windows
    assert _pump(p, client, server, data) == data
    back = bytes(reversed(data))
    assert _pump(p, server, client, back) == back
    assert not p.dev.counters.get("tcp_retransmits")


def test_loss_and_retransmission_with_backoff():
    p, client, server = _connected()
    data = bytes(range(251)) * 100
    n = [0]

    def lossy(sender, packet):
        n[0] += 1
        return n[0] % 7 == 0  # every seventh packet, both directions
    p.drop = lossy
    assert _pump(p, client, server, data) == data
    assert p.host.counters.get("tcp_retransmits", 0) + p.host.counters.get("tcp_fast_retransmits", 0) > 0


def test_rto_backs_off_exponentially_and_gives_up():
    p, client, server = _connected()
    p.drop = lambda sender, packet: True  # the path is gone
    client.send(b"x" * 100)
    p.exchange()
    times = []
    for _ in range(600):
        before = len(p.sent("host"))
        p.advance(1000)
        if len(p.sent("host")) > before:
            times.append(p.now)
    gaps = [ticks_diff(b, a) for a, b in zip(times, times[1:])]
    assert gaps[:4] == sorted(gaps[:4]) and gaps[1] >= 2 * gaps[0] - 1000
    assert client.state == tcp.CLOSED and client.error == "timeout"
    assert len(times) == tcp.MAX_RETRANSMITS + 1  # the retransmissions, then the RST of the abort
    assert gaps[-1] == tcp.RTO_MAX_MS


def test_rtt_estimate_follows_rfc6298():
    c = tcp.Connection(type("S", (), {"mtu": 1420})(), (DEV_IP, 1), (HOST_IP, 2), 0, Ring(100), Ring(100), 0)
    c._rtt_sample(100)
    assert (c.srtt, c.rttvar) == (100, 50) and c.rto_ms == 300
    c._rtt_sample(100)
    assert c.srtt == 100 and c.rttvar == 37 and c.rto_ms == 248
    c._rtt_sample(10_000_000)
    assert c.rto_ms == tcp.RTO_MAX_MS


def test_out_of_order_segments_are_buffered():
    p, client, server = _connected()
    held = []

    def reorder(sender, packet):
        # Hold the first data segment from the host; let the next ones overtake it.
        if sender == "host" and len(packet) > 40 and not held:
            held.append(bytes(packet))
            return True
        return False
    p.drop = reorder
    data = bytes(range(200)) * 20  # 4000 bytes = 3 segments
    client.send(data)
    p.exchange()
    assert server.recv() is None and len(server.ooo) == 2
    p.dev.receive(held[0], p.now)  # the late segment arrives
    p.exchange()
    assert server.recv(10_000) == data
    assert p.dev.counters["tcp_out_of_order"] == 2


def test_zero_window_and_probing():
    p, client, server = _connected(rx_size=2000)
    data = bytes(range(250)) * 16  # 4000 bytes: twice the receive buffer
    assert client.send(data) == len(data)
    p.exchange()
    assert server.window() == 0 and client.snd_wnd == 0
    probes_before = p.host.counters.get("tcp_window_probes", 0)
    p.advance(5_000)  # nobody reads: the sender probes the closed window
    assert p.host.counters.get("tcp_window_probes", 0) > probes_before
    got = bytearray()
    for _ in range(20):
        piece = server.recv(100_000)
        if piece:
            got += piece
        p.exchange()
        p.advance(200)
    assert bytes(got) == data


def test_a_lost_window_update_is_recovered_by_the_probe():
    # The receiver reads (its window opens) but that window update is lost: the sender's probe must
    # bring the window back and the transfer must finish. (A probe carrying a byte of new data got
    # that byte accepted and its ACK refused as acknowledging unsent data: a livelock.)
    p, client, server = _connected(rx_size=2000)
    data = bytes(range(250)) * 16
    assert client.send(data) == len(data)
    p.exchange()
    assert server.window() == 0 and client.snd_wnd == 0
    p.drop = lambda sender, packet: sender == "dev"  # the device's window updates are lost
    got = bytearray(server.recv(100_000))
    p.exchange()
    assert client.snd_wnd == 0 and len(got) == 2000
    p.drop = None
    for _ in range(40):
        p.advance(500)
        got += server.recv(100_000) or b""
    assert bytes(got) == data and p.host.counters.get("tcp_window_probes", 0) >= 1


def test_fin_from_either_side():
    p, client, server = _connected()
    client.send(b"bye")
    client.close()
    p.exchange()
    assert server.recv() == b"bye" and server.recv() == b"" and server.state == tcp.CLOSE_WAIT
    assert client.state == tcp.FIN_WAIT_2
    server.close()
    p.exchange()
    assert client.state == tcp.TIME_WAIT and server.state == tcp.CLOSED
    p.advance(p.host.time_wait_ms + 10)
    assert client.state == tcp.CLOSED
    # The device closes first this time.
    p, client, server = _connected()
    server.send(b"done")
    server.close()
    p.exchange()
    assert client.recv() == b"done" and client.recv() == b""
    client.close()
    p.exchange()
    assert server.state == tcp.TIME_WAIT
    p.advance(p.dev.time_wait_ms + 10)
    assert not p.dev.tcp  # TIME-WAIT is bounded, then forgotten


def test_rst_on_closed_port_and_on_abort():
    p = NetPair()
    conn = p.host.connect(DEV_IP, 81, p.now)  # nothing listens on 81
    p.exchange()
    assert conn.state == tcp.CLOSED and conn.error == "refused"
    assert p.dev.counters["tcp_closed_port"] == 1
    p, client, server = _connected()
    server.abort()
    p.exchange()
    assert client.state == tcp.CLOSED and client.error == "reset"


def test_connection_cap():
    p = NetPair(max_connections=2)
    p.dev.listen(80)
    conns = [p.host.connect(DEV_IP, 80, p.now) for _ in range(3)]
    p.exchange()
    assert [c.state for c in conns] == [tcp.ESTABLISHED, tcp.ESTABLISHED, tcp.CLOSED]
    assert p.dev.counters["tcp_connection_cap"] == 1
    assert p.dev.connect(HOST_IP, 9, p.now) is None


def test_buffers_are_bounded():
    p, client, server = _connected(tx_size=1000, rx_size=1500)
    assert server.send(bytes(5000)) == 1000 and server.send(b"more") == 0
    assert client.send(bytes(100_000)) == 4096  # the host's default send buffer
    p.exchange()
    assert len(server.rx) <= 1500


def test_buffers_come_from_a_pool_and_never_leak_between_connections():
    # All connection buffers are allocated when the stack is made; a forgotten connection gives its
    # rings back emptied and keeps none, so its late reads see nothing of the next connection's data.
    p = NetPair(max_connections=1)
    rings = p.dev.free_buffers[0]
    accepted = []
    p.dev.listen(80, on_accept=accepted.append)
    first = p.host.connect(DEV_IP, 80, p.now)
    p.exchange()
    old = accepted[0]
    assert (old.rx, old.tx) == rings and not p.dev.free_buffers
    first.send(b"unread by the device")
    p.exchange()
    first.abort()
    p.exchange()
    assert old.state == tcp.CLOSED and p.dev.free_buffers == [rings] and len(rings[0]) == 0
    second = p.host.connect(DEV_IP, 80, p.now)
    p.exchange()
    second.send(b"for the second connection only")
    p.exchange()
    new = accepted[1]
    assert new.rx is rings[0] and old.recv() == b"" and old.send(b"x") == 0
    assert new.recv() == b"for the second connection only"


def test_packets_built_in_the_reused_buffer_through_a_sink():
    # As in the client: every packet the device sends is built in one buffer and taken at once.
    p, client, server = _connected(sink=True)
    assert p.dev.packet_buffer() is not None and NetPair().dev.packet_buffer() is None
    data = bytes(i * 7 & 0xFF for i in range(20_000))
    p.drop = lambda sender, packet: sender == "dev" and len(p.log) % 9 == 0  # and some loss
    assert _pump(p, server, client, data) == data
    back = bytes(reversed(data))
    assert _pump(p, client, server, back) == back
