"""The tunnel's sockets for asyncio programs (client.net.api): real asyncio tasks on both runtimes,
the stack driven with a fake clock - the API's waits and timeouts go through a scheduler whose
clock is the test's (client/aio.py's Scheduler is the real one, tests/test_asyncio_client.py)."""
# tools/test runs this module on the 32-bit board proxy with more heap than 96K: the test collects
# whole transfers in bytes objects (test data, not the client).
UNIX32_HEAP = "512K"
import asyncio

from client.aio import Scheduler
from client.compat import earliest, ticks_add, ticks_diff
from client.net import api, tcp
from client.net.api import Network
from tests.netpair import DEV_IP, HOST_IP, NetPair


class _Sched:
    """client/aio.py's Scheduler with the NetPair's fake clock: timeouts fire when the test's time
    passes them (fire()), not in real time."""

    TimeoutError = asyncio.TimeoutError
    event = asyncio.Event
    incomplete = staticmethod(Scheduler.incomplete)

    def __init__(self, p):
        self.p = p
        self.timers = []  # [deadline, event, fired]
        self.kicks = 0
        self.failures = []

    def now(self):
        return self.p.now

    def kick(self):
        self.kicks += 1

    def spawn(self, coro):
        return asyncio.create_task(coro)

    async def wait(self, event, timeout_ms=None):
        if timeout_ms is None:
            await event.wait()
            return True
        timer = [ticks_add(self.p.now, timeout_ms), event, False]
        self.timers.append(timer)
        try:
            await event.wait()
        finally:
            self.timers.remove(timer)
        return not timer[2]

    async def sleep_ms(self, ms):
        await self.wait(asyncio.Event(), ms)

    def failed(self, what, e):
        self.failures.append((what, e))

    def fire(self):
        for timer in self.timers:
            if not timer[2] and ticks_diff(self.p.now, timer[0]) >= 0:
                timer[2] = True
                timer[1].set()

    def next_deadline(self):
        best = None
        for timer in self.timers:
            best = earliest(best, timer[0])
        return best


def _setup(**kw):
    p = NetPair(**kw)
    sched = _Sched(p)
    return p, Network(p.dev, sched), sched


async def _turn(p, net):
    """What one step of the client's loop does for the programs: they run, packets move both ways."""
    for _ in range(4):
        await asyncio.sleep(0)
        net.service()
        p.exchange()
        net.service()


async def _run(p, net, sched, tasks, ms=5_000, step=50):
    """Drive until the tasks are done: turns, then the fake clock moves on (stack timers, timeouts)."""
    for _ in range(ms // step):
        await _turn(p, net)
        if all(t.done() for t in tasks):
            return
        d = sched.next_deadline()
        p.advance(step if d is None else max(1, min(step, ticks_diff(d, p.now))))
        sched.fire()
    raise AssertionError("programs still running after %d ms" % ms)


def test_open_connection_read_write():
    async def main():
        p, net, sched = _setup()
        accepted = []
        p.host.listen(80, on_accept=accepted.append)
        result = {}

        async def program():
            reader, writer = await net.open_connection("192.0.2.1", 80)
            writer.write(b"GET / HTTP/1.0\r\n\r\n")
            await writer.drain()
            result["reply"] = await reader.readexactly(5)
            result["eof"] = await reader.read()
            result["peer"] = writer.get_extra_info("peername")
            writer.close()
            await writer.wait_closed()

        task = asyncio.create_task(program())
        for _ in range(3):
            await _turn(p, net)
        server = accepted[0]
        assert server.recv() == b"GET / HTTP/1.0\r\n\r\n"
        server.send(b"hello")
        server.close()
        await _run(p, net, sched, [task])
        assert result == {"reply": b"hello", "eof": b"", "peer": ("192.0.2.1", 80)}
        assert sched.kicks > 0  # every write and the SYN woke the loop to send

    asyncio.run(main())


def test_start_server_echo_with_backpressure():
    async def main():
        p, net, sched = _setup(tx_size=1000)
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

        server = await net.start_server(handler, 7)
        client = p.host.connect(DEV_IP, 7, p.now)
        await _turn(p, net)
        data = bytes(range(256)) * 40
        client.send(data[:4096])
        got = bytearray()
        sent = 4096
        for _ in range(400):
            await _turn(p, net)
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
        assert bytes(got) == data and served == [("192.0.2.1", client.local[1])]
        assert server.is_serving()
        server.close()
        await server.wait_closed()
        assert not server.is_serving() and 7 not in p.dev.listeners and not net.errors

    asyncio.run(main())


def test_connection_refused_and_timeout():
    async def main():
        p, net, sched = _setup()
        outcome = []

        async def refused():
            try:
                await net.open_connection("192.0.2.1", 9)
            except OSError as e:
                outcome.append(("refused", e.args[0]))

        async def timeout():
            p.drop = lambda sender, packet: True
            try:
                await net.open_connection("192.0.2.1", 10, timeout_ms=2000)
            except asyncio.TimeoutError:
                outcome.append(("timeout", None))

        await _run(p, net, sched, [asyncio.create_task(refused())], 1000)
        await _run(p, net, sched, [asyncio.create_task(timeout())], 5000)
        assert outcome == [("refused", api.ECONNREFUSED), ("timeout", None)]

    asyncio.run(main())


def test_udp_socket_and_ping_and_sleep():
    async def main():
        p, net, sched = _setup()
        host_sock = p.host.udp_bind(53)
        out = {}

        async def program():
            sock = net.udp_socket(5353)
            sock.sendto(b"query", ("192.0.2.1", 53))
            out["answer"] = await sock.recvfrom(timeout_ms=1000)
            try:
                await sock.recvfrom(timeout_ms=300)
            except asyncio.TimeoutError:
                out["timeout"] = True
            out["rtt"] = await net.ping("192.0.2.1")
            p.drop = lambda sender, packet: True
            out["lost"] = await net.ping("192.0.2.1", timeout_ms=500)
            before = p.now
            await net.sleep_ms(1234)
            out["slept"] = ticks_diff(p.now, before)

        task = asyncio.create_task(program())
        await _turn(p, net)
        data, addr = host_sock.recvfrom()
        assert data == b"query"
        host_sock.sendto(b"answer", addr)
        await _run(p, net, sched, [task], 5000, step=1)
        assert out["answer"] == (b"answer", ("192.0.2.1", 53)) and out["timeout"]  # ip as text
        assert out["rtt"] == 0 and out["lost"] is None and out["slept"] >= 1234

    asyncio.run(main())


def test_a_failing_program_does_not_stop_the_others():
    async def main():
        p, net, sched = _setup()
        done = []

        async def bad():
            await net.sleep_ms(10)
            raise ValueError("program bug")

        async def good():
            await net.sleep_ms(20)
            done.append(True)

        tasks = [net.spawn(bad(), "bad"), net.spawn(good(), "good")]
        assert net.tasks == ["bad", "good"]
        await _run(p, net, sched, tasks, 100, step=5)
        assert done == [True] and len(net.errors) == 1 and net.errors[0][0] == "bad"
        assert isinstance(net.errors[0][1], ValueError) and sched.failures[0][0] == "program bad"
        assert net.tasks == []

    asyncio.run(main())


def test_stream_reads_as_asyncio_streams():
    """readline, readinto, readexactly past the end (IncompleteReadError / EOFError), at_eof."""
    async def main():
        p, net, sched = _setup()
        accepted = []
        p.host.listen(80, on_accept=accepted.append)
        out = {}

        async def program():
            reader, writer = await net.open_connection("192.0.2.1", 80)
            out["line1"] = await reader.readline()
            out["line2"] = await reader.readline()
            buf = bytearray(3)
            out["into"] = (await reader.readinto(buf), bytes(buf))
            out["rest"] = await reader.read(2)
            try:
                await reader.readexactly(10)
            except EOFError as e:  # CPython: asyncio.IncompleteReadError, an EOFError
                out["short"] = getattr(e, "partial", b"")
            out["eof"] = (reader.at_eof(), await reader.readline(), await reader.read())
            writer.close()

        task = asyncio.create_task(program())
        await _turn(p, net)
        accepted[0].send(b"first line\r\nsecond")
        await _turn(p, net)
        accepted[0].send(b" line\nabcdefg")
        accepted[0].close()
        await _run(p, net, sched, [task])
        assert out["line1"] == b"first line\r\n" and out["line2"] == b"second line\n"
        assert out["into"] == (3, b"abc") and out["rest"] == b"de" and out["short"] in (b"", b"fg")
        assert out["eof"] == (True, b"", b"")

    asyncio.run(main())


def test_close_sends_everything_written_then_fin():
    """close() right after a write bigger than the send buffer: all of it arrives, then the FIN."""
    async def main():
        p, net, sched = _setup(tx_size=1000)
        accepted = []
        p.host.listen(80, on_accept=accepted.append)
        data = bytes(range(256)) * 30

        async def program():
            reader, writer = await net.open_connection("192.0.2.1", 80)
            writer.write(data)
            writer.close()
            await writer.wait_closed()

        task = asyncio.create_task(program())
        got = bytearray()
        for _ in range(200):
            await _turn(p, net)
            for conn in accepted:
                piece = conn.recv(100_000)
                if piece:
                    got += piece
            if task.done():
                break
            p.advance(10)
        assert bytes(got) == data and accepted[0].eof and task.done()

    asyncio.run(main())


def test_close_wakes_waiting_tasks_with_an_error():
    """The client stops (Network.close, after the stack reset every connection): a task blocked in
    read() gets OSError at once, a recvfrom gets TimeoutError, and no wait is left behind."""
    async def main():
        p, net, sched = _setup()
        p.host.listen(80)
        out = {}

        async def reading():
            reader, writer = await net.open_connection("192.0.2.1", 80)
            try:
                await reader.read(10)
            except OSError as e:
                out["read"] = e.args[0]

        async def receiving():
            try:
                await net.udp_socket(5000).recvfrom()
            except asyncio.TimeoutError:
                out["udp"] = True

        tasks = [asyncio.create_task(reading()), asyncio.create_task(receiving())]
        for _ in range(3):
            await _turn(p, net)
        for conn in list(p.dev.tcp.values()):
            conn.abort()
        net.close()
        await _run(p, net, sched, tasks, 100)
        assert out == {"read": api.ECONNABORTED, "udp": True}, out
        assert not net.waiting

    asyncio.run(main())
