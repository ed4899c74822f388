"""The tunnel's sockets for asyncio programs: streams, servers and UDP sockets over the userspace
stack, as plain asyncio coroutines (both runtimes).

    wg = await client.start("config.json")
    net = wg.network
    reader, writer = await net.open_connection("192.0.2.1", 80)
    writer.write(b"GET / HTTP/1.0\\r\\n\\r\\n")
    await writer.drain()
    body = await reader.read()                    # to the end of the stream
    writer.close(); await writer.wait_closed()
    server = await net.start_server(handler, 80)  # handler(reader, writer), one task per connection
    sock = net.udp_socket(5353)
    sock.sendto(b"query", ("192.0.2.1", 53))
    data, (ip, port) = await sock.recvfrom()      # ip as text, the form sendto takes
    rtt_ms = await net.ping("192.0.2.1")

The streams behave as the runtime's own asyncio streams (read, readinto, readexactly, readline,
write, drain, close, wait_closed, get_extra_info, and awrite/aclose), so libraries written for
asyncio streams work on them unchanged. Sans-I/O like the rest of the stack: asyncio itself comes
from the client (`sched`, client/aio.py: events, waits, tasks, its clock). A task waiting on the
stack (data to read, room to write, an answer) waits on an event; after each loop step the client
calls `service()`, which sets the events whose condition now holds. Whatever a program changes
(data queued, a connection opened) wakes the loop (`sched.kick`), which sends it.
"""
from ..compat import ticks_diff
from . import tcp
from .addr import parse_ip

_PING_IDENT = 0x7767
# Errors as the runtime's own sockets raise them: OSError with an errno (CPython turns these into
# ConnectionRefusedError, ConnectionResetError...). MicroPython's errno values are Linux's.
ECONNABORTED = 103
ECONNRESET = 104
ENOBUFS = 105
ENOTCONN = 107
ETIMEDOUT = 110
ECONNREFUSED = 111
_ERRORS = {"refused": (ECONNREFUSED, "connection refused"), "reset": (ECONNRESET, "connection reset by peer"),
           "timeout": (ETIMEDOUT, "connection timed out"), "aborted": (ECONNABORTED, "connection aborted")}


def _error(conn):
    code, text = _ERRORS.get(conn.error, (ENOTCONN, "not connected"))
    return OSError(code, text)


def _ip(text):
    version, raw = parse_ip(text) if isinstance(text, str) else (4 if len(text) == 4 else 6, bytes(text))
    if version != 4:
        raise ValueError("the stack speaks IPv4 only: %r" % (text,))
    return raw


def ip_text(raw):
    return "%d.%d.%d.%d" % (raw[0], raw[1], raw[2], raw[3])


class StreamReader:
    def __init__(self, net, conn):
        self.net = net
        self.conn = conn
        self.buffer = b""  # read from the connection by readline, not yet returned

    def _readable(self):
        return self.conn.readable

    async def _wait_readable(self):
        if not self.conn.readable:
            await self.net.until(self._readable)

    def _opened(self):
        if self.conn.ack_pending:
            self.net.sched.kick()  # the window opened enough to tell the peer: the loop sends it

    def _take(self, n):
        """Up to n bytes now (buffered first); None when nothing is there yet; b"" at the end."""
        if self.buffer:
            data, self.buffer = self.buffer[:n], self.buffer[n:]
            return data
        data = self.conn.recv(n)
        if data:
            self._opened()
            return data
        if data == b"" and self.conn.error not in (None, "evicted"):
            raise _error(self.conn)
        return data

    async def read(self, n=-1):
        """Up to n bytes as soon as some are there; b"" at end of stream; n < 0: up to the end."""
        if n < 0:
            pieces = []
            while True:
                piece = await self.read(4096)
                if not piece:
                    return b"".join(pieces)
                pieces.append(piece)
        if n == 0:
            return b""
        while True:
            data = self._take(n)
            if data is not None:
                return data
            await self._wait_readable()

    async def readinto(self, buf):
        """Bytes into buf as soon as some are there; the count, 0 at end of stream."""
        data = await self.read(len(buf))
        buf[:len(data)] = data
        return len(data)

    async def readexactly(self, n):
        out = b""
        while len(out) < n:
            piece = await self.read(n - len(out))
            if not piece:
                raise self.net.sched.incomplete(out, n)
            out += piece
        return out

    async def readline(self):
        """Up to and including b"\\n"; what is left at end of stream; b"" after it."""
        while True:
            i = self.buffer.find(b"\n")
            if i >= 0:
                line, self.buffer = self.buffer[:i + 1], self.buffer[i + 1:]
                return line
            data = self.conn.recv(4096)
            if data:
                self.buffer += data
                self._opened()
            elif data is None:
                await self._wait_readable()
            elif self.buffer or self.conn.error in (None, "evicted"):
                line, self.buffer = self.buffer, b""
                return line
            else:
                raise _error(self.conn)

    def at_eof(self):
        return not self.buffer and self.conn.eof


class StreamWriter:
    def __init__(self, net, conn):
        self.net = net
        self.conn = conn
        self.pending = []  # written, not yet in the connection's send buffer (bytes pieces)
        self.closing = False

    def get_extra_info(self, name, default=None):
        if name == "peername":
            return ip_text(self.conn.remote[0]), self.conn.remote[1]
        if name == "sockname":
            return ip_text(self.conn.local[0]), self.conn.local[1]
        return default

    def write(self, data):
        if self.closing:
            return  # as asyncio: written after close, ignored
        if not self.pending:
            n = self.conn.send(data)
            if n < len(data):
                self.pending.append(bytes(data[n:]))
        else:
            self.pending.append(bytes(data))
        self.net.sched.kick()

    def _move(self):
        """Pending pieces into the send buffer as room appears; True when none is left."""
        while self.pending:
            piece = self.pending[0]
            n = self.conn.send(piece)
            if n < len(piece):
                self.pending[0] = piece[n:]
                return False
            self.pending.pop(0)
        return True

    def _drained(self):
        return self._move() or self.conn.state == tcp.CLOSED

    async def drain(self):
        """Wait until everything written is in the send buffer (backpressure)."""
        if not self._drained():
            await self.net.until(self._drained)
        if self.pending:
            raise _error(self.conn)

    async def awrite(self, data, off=0, sz=-1):
        if off or sz >= 0:
            data = memoryview(data)[off:off + sz if sz >= 0 else len(data)]
        self.write(data)
        await self.drain()

    def close(self):
        """FIN once everything written is sent (graceful close)."""
        if self.closing:
            return
        self.closing = True
        if self._move():
            self.conn.close()
        else:
            self.net.later(self._close_when_drained)
        self.net.sched.kick()

    def _close_when_drained(self):
        if not self._drained():
            return False
        self.conn.close()
        return True

    def is_closing(self):
        return self.closing

    def _closed(self):
        return not self.pending and self.conn.state in (tcp.CLOSED, tcp.TIME_WAIT, tcp.FIN_WAIT_2)

    async def wait_closed(self):
        if not self._closed():
            await self.net.until(self._closed)

    async def aclose(self):
        self.close()
        await self.wait_closed()


class Server:
    def __init__(self, net, listener):
        self.net = net
        self.listener = listener
        self.closed = net.sched.event()

    def close(self):
        self.listener.close()
        self.closed.set()

    def is_serving(self):
        return not self.closed.is_set()

    async def wait_closed(self):
        await self.closed.wait()

    async def serve_forever(self):
        """Until closed; cancelled, it closes the server (as CPython's asyncio server does)."""
        try:
            await self.closed.wait()
        finally:
            self.close()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self.close()
        await self.wait_closed()


class DatagramSocket:
    def __init__(self, net, sock):
        self.net = net
        self.sock = sock

    def sendto(self, data, address):
        self.net.sched.now()
        self.sock.sendto(data, (_ip(address[0]), address[1]))
        self.net.sched.kick()

    async def recvfrom(self, timeout_ms=None):
        """(data, (ip text, port)); asyncio's TimeoutError after timeout_ms."""
        if not self.sock.queue:
            if not await self.net.until(lambda: bool(self.sock.queue), timeout_ms):
                raise self.net.sched.TimeoutError()
        data, (ip, port) = self.sock.recvfrom()
        return data, (ip_text(ip), port)

    def close(self):
        self.sock.close()


class Network:
    """The tunnel's sockets for asyncio programs; `service()` after each step of the client's loop."""

    def __init__(self, stack, sched):
        self.stack = stack
        self.sched = sched
        self.waiting = []  # [condition, event] of tasks waiting on the stack
        self.watchers = []  # conditions with a side effect, called each step until they return True
        self.tasks = []  # programs running (spawn)
        self.errors = []  # (name, exception) of programs that failed
        self.servers = []
        self.closed = False
        self._seq = 0

    # --- waiting ---

    async def until(self, ready, timeout_ms=None):
        """Wait until ready() holds (checked after each loop step): what it says then, so False
        after timeout_ms or once the client stopped."""
        if self.closed:
            return ready()  # the client stopped: nothing will change any more
        entry = [ready, self.sched.event()]
        self.waiting.append(entry)
        try:
            await self.sched.wait(entry[1], timeout_ms)
            return ready()
        finally:
            self.waiting.remove(entry)

    def later(self, fn):
        self.watchers.append(fn)

    def service(self):
        """After a loop step: move what waits to move, wake the tasks whose condition holds."""
        if self.watchers:
            self.watchers = [fn for fn in self.watchers if not fn()]
        for ready, event in self.waiting:
            if not event.is_set() and ready():
                event.set()

    # --- programs ---

    def spawn(self, coro, name=None):
        """Run a program's coroutine as a task; an exception is listed in the status (and logged),
        never passed on to the tunnel."""
        name = name or getattr(coro, "__name__", "program")
        self.tasks.append(name)
        return self.sched.spawn(self._guard(coro, name))

    async def _guard(self, coro, name):
        try:
            await coro
        except Exception as e:  # a failing program must not stop the tunnel
            self.errors.append((name, e))
            self.sched.failed("program %s" % name, e)
        finally:
            self.tasks.remove(name)

    async def sleep_ms(self, ms):
        await self.sched.sleep_ms(ms)

    # --- the sockets ---

    async def open_connection(self, host, port, timeout_ms=10_000):
        """(reader, writer) once connected; OSError (ECONNREFUSED...) or asyncio's TimeoutError."""
        conn = self.stack.connect(_ip(host), port, self.sched.now())
        if conn is None:
            raise OSError(ENOBUFS, "connection limit reached")
        self.sched.kick()  # the SYN's retransmission timer
        if conn.state == tcp.SYN_SENT:
            await self.until(lambda: conn.state != tcp.SYN_SENT, timeout_ms)
        if conn.state == tcp.SYN_SENT:
            conn.abort()
            raise self.sched.TimeoutError()
        if not conn.established:
            raise _error(conn)
        return StreamReader(self, conn), StreamWriter(self, conn)

    async def start_server(self, callback, port, backlog=2):
        """callback(reader, writer) runs as a task for each connection arriving on port."""
        def accept(conn):
            self.spawn(callback(StreamReader(self, conn), StreamWriter(self, conn)), "handler")
        server = Server(self, self.stack.listen(port, backlog, accept))
        self.servers.append(server)
        return server

    def udp_socket(self, port=0):
        if not port:
            port = self.stack.next_port
            self.stack.next_port += 1
        return DatagramSocket(self, self.stack.udp_bind(port))

    async def ping(self, host, timeout_ms=1000):
        """Round-trip time in ms, or None when no echo reply came in time."""
        self._seq = (self._seq + 1) & 0xFFFF
        key = (_PING_IDENT, self._seq)
        sent = self.sched.now()
        self.stack.ping(_ip(host), _PING_IDENT, self._seq)
        self.sched.kick()
        await self.until(lambda: key in self.stack.pings, timeout_ms)
        replied = self.stack.pings.pop(key, None)
        return None if replied is None else max(0, ticks_diff(replied, sent))

    def close(self):
        """The client stops: servers close, and every waiting task is woken (its connection is gone)."""
        self.closed = True
        for server in self.servers:
            server.close()
        self.watchers = []
        for _, event in self.waiting:
            event.set()
