"""The API for device programs: asyncio-shaped coroutines over the userspace stack.

    async def main(net):
        reader, writer = await net.open_connection("192.0.2.1", 80)
        writer.write(b"GET / HTTP/1.0\\r\\n\\r\\n")
        await writer.drain()
        body = await reader.read(4096)
        writer.close()
        await net.start_server(handler, 8080)       # handler(reader, writer) runs per connection
        sock = net.udp_socket(5353)
        data, addr = await sock.recvfrom()
        rtt_ms = await net.ping("192.0.2.1")
    net = client.network_api(); net.spawn(main(net))

The coroutines are run by the client's own loop (there is one loop per client, and it keeps
sleeping until a packet or a deadline): `await` yields a wait condition to `Network.run(now)`,
which resumes a coroutine once its condition holds or its deadline passed. The same code runs on
CPython and MicroPython; it is shaped like asyncio's streams, but not an asyncio event loop.
"""
from ..compat import earliest, ticks_add, ticks_diff
from . import tcp
from .addr import parse_ip

_PING_IDENT = 0x7767


class TimeoutError(Exception):  # noqa: A001 - the name programs expect from asyncio
    pass


class ConnectionError(Exception):  # noqa: A001
    pass


class _Wait:
    """What a coroutine waits for: a condition (callable) and/or a deadline (ms ticks)."""

    def __init__(self, ready=None, deadline=None):
        self.ready = ready
        self.deadline = deadline

    def __iter__(self):
        yield self

    __await__ = __iter__


def _ip(text):
    version, raw = parse_ip(text) if isinstance(text, str) else (4, bytes(text))
    if version != 4:
        raise ValueError("the stack speaks IPv4 only: %r" % (text,))
    return raw


class StreamReader:
    def __init__(self, net, conn):
        self.net = net
        self.conn = conn

    async def read(self, n=4096):
        """Up to n bytes; b"" at end of stream. Raises ConnectionError if the peer reset."""
        await _Wait(lambda: self.conn.readable)
        data = self.conn.recv(n)
        if data == b"" and self.conn.error not in (None, "evicted"):
            raise ConnectionError(self.conn.error)
        return data if data is not None else b""

    async def readexactly(self, n):
        out = b""
        while len(out) < n:
            piece = await self.read(n - len(out))
            if not piece:
                raise ConnectionError("end of stream after %d of %d bytes" % (len(out), n))
            out += piece
        return out


class StreamWriter:
    def __init__(self, net, conn):
        self.net = net
        self.conn = conn
        self.pending = b""  # written, not yet in the connection's send buffer

    def get_extra_info(self, name):
        return {"peername": (self.conn.remote[0], self.conn.remote[1]),
                "sockname": (self.conn.local[0], self.conn.local[1])}.get(name)

    def write(self, data):
        self.pending += data
        self._move()

    def _move(self):
        if self.pending:
            n = self.conn.send(self.pending)
            self.pending = self.pending[n:]

    async def drain(self):
        """Wait until everything written is in the send buffer (backpressure)."""
        def ready():
            self._move()
            return not self.pending or self.conn.state == tcp.CLOSED
        await _Wait(ready)
        if self.pending:
            raise ConnectionError(self.conn.error or "closed")

    def close(self):
        self._move()
        self.conn.close()

    async def wait_closed(self):
        await _Wait(lambda: self.conn.state in (tcp.CLOSED, tcp.TIME_WAIT, tcp.FIN_WAIT_2))


class Server:
    def __init__(self, listener):
        self.listener = listener

    def close(self):
        self.listener.close()


class DatagramSocket:
    def __init__(self, net, sock):
        self.net = net
        self.sock = sock

    def sendto(self, data, address):
        self.sock.sendto(data, (_ip(address[0]), address[1]))

    async def recvfrom(self, timeout_ms=None):
        """(data, (ip bytes, port)); TimeoutError after timeout_ms."""
        deadline = None if timeout_ms is None else ticks_add(self.net.now, timeout_ms)
        await _Wait(lambda: bool(self.sock.queue), deadline)
        item = self.sock.recvfrom()
        if item is None:
            raise TimeoutError()
        return item

    def close(self):
        self.sock.close()


class Network:
    """Runs device programs' coroutines against a Stack; driven by the client loop."""

    def __init__(self, stack):
        self.stack = stack
        self.tasks = []  # [coroutine, _Wait or None]
        self.now = 0
        self.errors = []  # (coroutine name, exception) of programs that failed
        self._seq = 0

    def spawn(self, coro):
        self.tasks.append([coro, None])
        return coro

    # --- the program-facing calls ---

    async def sleep_ms(self, ms):
        await _Wait(None, ticks_add(self.now, ms))

    async def open_connection(self, host, port, timeout_ms=10_000):
        conn = self.stack.connect(_ip(host), port, self.now)
        if conn is None:
            raise ConnectionError("connection limit reached")
        await _Wait(lambda: conn.state != tcp.SYN_SENT, ticks_add(self.now, timeout_ms))
        if conn.state == tcp.SYN_SENT:
            conn.abort()
            raise TimeoutError()
        if not conn.established:
            raise ConnectionError(conn.error or "refused")
        return StreamReader(self, conn), StreamWriter(self, conn)

    async def start_server(self, callback, port, backlog=2):
        def accept(conn):
            self.spawn(callback(StreamReader(self, conn), StreamWriter(self, conn)))
        return Server(self.stack.listen(port, backlog, accept))

    def udp_socket(self, port=0):
        if not port:
            port = self.stack.next_port
            self.stack.next_port += 1
        return DatagramSocket(self, self.stack.udp_bind(port))

    async def ping(self, host, timeout_ms=1000):
        """Round-trip time in ms, or None when no echo reply came in time."""
        self._seq = (self._seq + 1) & 0xFFFF
        key = (_PING_IDENT, self._seq)
        sent = self.now
        self.stack.ping(_ip(host), _PING_IDENT, self._seq)
        await _Wait(lambda: key in self.stack.pings, ticks_add(self.now, timeout_ms))
        replied = self.stack.pings.pop(key, None)
        return None if replied is None else ticks_diff(replied, sent)

    # --- the loop-facing calls ---

    def run(self, now):
        """Resume every coroutine whose condition holds or whose deadline passed."""
        self.now = now
        progressed = True
        while progressed:
            progressed = False
            for task in list(self.tasks):
                wait = task[1]
                if wait is not None and not self._due(wait, now):
                    continue
                progressed = True
                self._step(task)

    def _due(self, wait, now):
        if wait.deadline is not None and ticks_diff(now, wait.deadline) >= 0:
            return True
        return wait.ready is not None and wait.ready()

    def _step(self, task):
        try:
            task[1] = task[0].send(None)
        except StopIteration:
            self.tasks.remove(task)
        except Exception as e:  # a failing program must not stop the tunnel
            self.tasks.remove(task)
            self.errors.append((getattr(task[0], "__name__", "program"), e))

    def next_deadline(self):
        best = None
        for _, wait in self.tasks:
            best = earliest(best, wait.deadline if wait is not None else self.now)
        return best
