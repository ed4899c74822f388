"""The client as a task of an asyncio program (issue 11), both runtimes, no lab: two real clients
in one process (tests/aiopair.py: real loops, UDP sockets on loopback, stacks) - the device
(192.0.2.2) and one in the server's place (192.0.2.1). The API of README "asyncio", routing by
address, a forward to an in-process asyncio server, unmodified microdot, stop()."""
# tools/test runs this module on the 32-bit board proxy with more heap than 96K: two clients (each
# with its stack buffers), microdot and a 64 KB body in one process (test data, not the client).
UNIX32_HEAP = "768K"
import asyncio

from client.net import api
from tests import aiopair
from tests.aiopair import DEV_IP, SRV_IP

BODY = bytes(range(251)) * 261  # 65.5 KB, not a multiple of any buffer size


async def _echo(reader, writer):
    while True:
        line = await reader.readline()
        if not line:
            break
        writer.write(b"echo " + line)
        await writer.drain()
    writer.close()
    await writer.wait_closed()


def test_the_api_between_two_clients():
    """start_server, open_connection, UDP sockets (ip as text both ways), ping, status, stop."""
    async def main():
        dev, srv = await aiopair.pair()
        net = dev.network
        server = await srv.network.start_server(_echo, 7)
        reader, writer = await net.open_connection(SRV_IP, 7)
        assert writer.get_extra_info("peername") == (SRV_IP, 7)
        writer.write(b"one\n")
        writer.write(b"two\n")
        await writer.drain()
        assert await reader.readline() == b"echo one\n"
        assert await reader.readexactly(9) == b"echo two\n"
        await writer.awrite(b"three\n")
        buf = bytearray(20)
        n = await reader.readinto(buf)
        assert bytes(buf[:n]) == b"echo three\n"[:n]
        await writer.aclose()
        server.close()

        answers = srv.network.udp_socket(53)
        sock = net.udp_socket(5000)
        sock.sendto(b"x", (SRV_IP, 53))
        data, (ip, port) = await answers.recvfrom(timeout_ms=5000)
        assert (data, ip, port) == (b"x", DEV_IP, 5000)
        answers.sendto(b"y", (ip, port))
        assert await sock.recvfrom(timeout_ms=5000) == (b"y", (SRV_IP, 53))
        assert await net.ping(SRV_IP, timeout_ms=5000) is not None
        status = dev.status()
        assert "handshakes: 1 as initiator" in status and "loop wake-ups:" in status
        await aiopair.close(dev, srv)
        assert dev.sock is None and dev.task is None

    aiopair.run(main())


def test_route_sends_asyncio_by_address_and_stop_restores_it():
    async def main():
        original = (asyncio.open_connection, asyncio.start_server)
        dev, srv = await aiopair.pair(route=True)
        assert asyncio.open_connection != original[0]
        await srv.network.start_server(_echo, 1883)
        # A peer's address: through the tunnel, by asyncio's own function.
        reader, writer = await asyncio.open_connection(SRV_IP, 1883)
        writer.write(b"via the tunnel\n")
        await writer.drain()
        assert await reader.readline() == b"echo via the tunnel\n"
        assert writer.get_extra_info("peername") == (SRV_IP, 1883)
        writer.close()
        # Loopback: the board's (here: the OS's) own stack, asyncio's original server and connection.
        port = aiopair.free_port()
        local = await asyncio.start_server(_echo, "127.0.0.1", port)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"local\n")
        await writer.drain()
        assert await reader.readline() == b"echo local\n"
        writer.close()
        local.close()
        # A server on every address: reachable through the tunnel and on the board's stack.
        port = aiopair.free_port()
        both = await asyncio.start_server(_echo, "0.0.0.0", port)
        reader, writer = await srv.network.open_connection(DEV_IP, port)
        writer.write(b"from the server\n")
        await writer.drain()
        assert await reader.readline() == b"echo from the server\n"
        writer.close()
        reader, writer = await original[0]("127.0.0.1", port)
        writer.write(b"from the board\n")
        await writer.drain()
        assert await reader.readline() == b"echo from the board\n"
        writer.close()
        both.close()
        await both.wait_closed()
        await aiopair.close(dev, srv)
        assert (asyncio.open_connection, asyncio.start_server) == original

    aiopair.run(main())


def test_forward_to_an_in_process_asyncio_server():
    """A forward (config "forward") to an asyncio server of the same program on 127.0.0.1: the
    server's side downloads the body through the tunnel, intact, in the one loop."""
    port = aiopair.free_port()

    async def serve(reader, writer):
        await reader.readline()
        writer.write(BODY)
        await writer.drain()
        writer.close()
        await writer.wait_closed()  # MicroPython's streams close the socket here

    async def main():
        local = await asyncio.start_server(serve, "127.0.0.1", port)
        dev, srv = await aiopair.pair(forward=[{"proto": "tcp", "port": 80, "to": "127.0.0.1:%d" % port}])
        reader, writer = await srv.network.open_connection(DEV_IP, 80)
        writer.write(b"GET\n")
        got = await reader.read()
        assert len(got) == len(BODY) and got == BODY
        assert "tcp_forwarded 1" in dev.status()
        writer.close()
        local.close()
        await aiopair.close(dev, srv)

    aiopair.run(main())


def test_microdot_unmodified_answers_through_the_tunnel():
    """microdot (PyPI, unchanged: tests/testlib.py) started as its docs say, with the client routing:
    the server's side gets its page through the tunnel."""
    from tests import testlib
    testlib.ensure()
    from microdot import Microdot

    async def main():
        dev, srv = await aiopair.pair(route=True)
        app = Microdot()

        @app.route("/")
        async def index(request):
            return "hello from microdot, %d wake-ups" % dev.wakeups

        port = aiopair.free_port()
        task = asyncio.create_task(app.start_server(port=port))
        reply = b""
        for _ in range(50):  # until microdot is listening
            await asyncio.sleep(0.05)
            if port in dev.netif.stack.listeners:
                break
        reader, writer = await srv.network.open_connection(DEV_IP, port)
        writer.write(b"GET / HTTP/1.0\r\nHost: device\r\n\r\n")
        await writer.drain()
        reply = await reader.read()
        assert reply.startswith(b"HTTP/1.0 200 OK\r\n"), reply
        assert b"hello from microdot, " in reply
        app.shutdown()
        await asyncio.wait_for(task, 5)
        await aiopair.close(dev, srv)

    aiopair.run(main())


def test_stop_resets_connections_and_wakes_their_readers():
    async def main():
        dev, srv = await aiopair.pair()
        accepted = []

        async def hold(reader, writer):
            accepted.append(reader)
            try:
                await reader.read()
            except OSError as e:
                accepted.append(e.args[0])

        await srv.network.start_server(hold, 9)
        reader, writer = await dev.network.open_connection(SRV_IP, 9)
        blocked = asyncio.create_task(reader.read(10))
        for _ in range(20):
            await asyncio.sleep(0.01)
            if accepted:
                break
        await dev.stop()
        try:
            await asyncio.wait_for(blocked, 5)
            raise AssertionError("read after stop() returned")
        except OSError as e:
            assert e.args[0] == api.ECONNABORTED
        for _ in range(50):  # the RST reaches the server's side
            await asyncio.sleep(0.02)
            if len(accepted) == 2:
                break
        assert accepted[1] == api.ECONNRESET
        await srv.stop()

    aiopair.run(main())


def test_a_failing_program_leaves_the_tunnel_up():
    async def main():
        dev, srv = await aiopair.pair()

        async def bad(net):
            await net.sleep_ms(1)
            raise ValueError("program bug")

        await dev.network.spawn(bad(dev.network), "bad")
        assert dev.network.errors[0][0] == "bad" and "programs: 0 running; failed: bad" in dev.status()
        assert await dev.network.ping(SRV_IP, timeout_ms=5000) is not None
        await aiopair.close(dev, srv)

    aiopair.run(main())
