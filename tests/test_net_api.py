"""The device-program API: asyncio-shaped coroutines run by the loop, with a fake clock."""
from client.net import tcp
from client.net.api import ConnectionError, Network, TimeoutError
from tests.netpair import DEV_IP, HOST_IP, NetPair


def _run(p, net, ms=5_000, step=50):
    """Drive the programs as the client loop does: run them, exchange packets, advance time."""
    for _ in range(ms // step):
        net.run(p.now)
        p.exchange()
        net.run(p.now)
        p.exchange()
        if not net.tasks:
            return
        p.advance(step)


def test_open_connection_read_write():
    p = NetPair()
    net = Network(p.dev)
    accepted = []
    p.host.listen(80, on_accept=accepted.append)
    result = {}

    async def program():
        reader, writer = await net.open_connection("192.0.2.1", 80)
        writer.write(b"GET / HTTP/1.0\r\n\r\n")
        await writer.drain()
        result["reply"] = await reader.readexactly(5)
        result["eof"] = await reader.read()
        writer.close()
        await writer.wait_closed()

    net.spawn(program())
    for _ in range(3):
        net.run(p.now)
        p.exchange()
    server = accepted[0]
    assert server.recv() == b"GET / HTTP/1.0\r\n\r\n"
    server.send(b"hello")
    server.close()
    _run(p, net)
    assert result == {"reply": b"hello", "eof": b""} and not net.tasks and not net.errors


def test_start_server_echo_with_backpressure():
    p = NetPair(tx_size=1000)
    net = Network(p.dev)
    served = []

    async def handler(reader, writer):
        while True:
            data = await reader.read(700)
            if not data:
                break
            writer.write(data)
            await writer.drain()  # waits while the small send buffer is full
        served.append(writer.get_extra_info("peername"))
        writer.close()

    async def start():
        await net.start_server(handler, 7)

    net.spawn(start())
    net.run(p.now)
    client = p.host.connect(DEV_IP, 7, p.now)
    p.exchange()
    data = bytes(range(256)) * 40
    client.send(data[:4096])
    got = bytearray()
    sent = 4096
    for _ in range(400):
        net.run(p.now)
        p.exchange()
        piece = client.recv(10_000)
        if piece:
            got += piece
        if sent < len(data):
            sent += client.send(data[sent:sent + 2048])
        elif client.state == tcp.ESTABLISHED and len(got) == len(data):
            client.close()
        p.advance(10)
        if served:
            break
    assert bytes(got) == data and served == [(HOST_IP, client.local[1])]


def test_connection_refused_and_timeout():
    p = NetPair()
    net = Network(p.dev)
    outcome = []

    async def refused():
        try:
            await net.open_connection("192.0.2.1", 9)
        except ConnectionError as e:
            outcome.append(("refused", e.args[0]))

    async def timeout():
        p.drop = lambda sender, packet: True
        try:
            await net.open_connection("192.0.2.1", 10, timeout_ms=2000)
        except TimeoutError:
            outcome.append(("timeout", None))

    net.spawn(refused())
    _run(p, net, 1000)
    net.spawn(timeout())
    _run(p, net, 5000)
    assert outcome == [("refused", "refused"), ("timeout", None)]


def test_udp_socket_and_ping_and_sleep():
    p = NetPair()
    net = Network(p.dev)
    host_sock = p.host.udp_bind(53)
    out = {}

    async def program():
        sock = net.udp_socket(5353)
        sock.sendto(b"query", ("192.0.2.1", 53))
        out["answer"] = await sock.recvfrom(timeout_ms=1000)
        try:
            await sock.recvfrom(timeout_ms=300)
        except TimeoutError:
            out["timeout"] = True
        out["rtt"] = await net.ping("192.0.2.1")
        p.drop = lambda sender, packet: True
        out["lost"] = await net.ping("192.0.2.1", timeout_ms=500)
        before = net.now
        await net.sleep_ms(1234)
        out["slept"] = net.now - before

    net.spawn(program())
    net.run(p.now)
    p.exchange()
    data, addr = host_sock.recvfrom()
    assert data == b"query"
    host_sock.sendto(b"answer", addr)
    _run(p, net, 5000, step=1)
    assert out["answer"] == (b"answer", (HOST_IP, 53)) and out["timeout"]
    assert out["rtt"] == 0 and out["lost"] is None and out["slept"] >= 1234


def test_a_failing_program_does_not_stop_the_others():
    p = NetPair()
    net = Network(p.dev)
    done = []

    async def bad():
        await net.sleep_ms(10)
        raise ValueError("program bug")

    async def good():
        await net.sleep_ms(20)
        done.append(True)

    net.spawn(bad())
    net.spawn(good())
    _run(p, net, 100, step=5)
    assert done == [True] and len(net.errors) == 1 and isinstance(net.errors[0][1], ValueError)
