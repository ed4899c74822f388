"""Port forwards: connections arriving through the tunnel, bridged to the device's own sockets.

config "forward": [{"proto": "tcp"|"udp", "port": 80, "to": "127.0.0.1:8080"}] — on a board the
local side is lwIP, on a host the OS. Data moves both ways with backpressure: we read from a side
only while the other side has room (the TCP window closes when the local program is slow; the local
socket is not read while our send buffer is full). Either side's close is passed on; a local port
with nothing listening answers with RST (TCP) or ICMP port unreachable (UDP).
"""
import errno
import select
import socket

from ..compat import earliest, ticks_add, ticks_diff
from ..net import tcp

_UDP_FLOW_IDLE_MS = 60_000
_POLLIN = select.POLLIN
_POLLOUT = select.POLLOUT


def _addr(host, port):
    return socket.getaddrinfo(host, port)[0][-1]


def _would_block(e):
    return e.args and e.args[0] in (errno.EAGAIN, getattr(errno, "EWOULDBLOCK", errno.EAGAIN), errno.ETIMEDOUT)


_RECV_INTO = hasattr(socket.socket, "recv_into")  # CPython; MicroPython sockets have readinto


def _read_into(sock, view):
    """Bytes from a non-blocking socket straight into view (a TCP send ring): the count, 0 at end of
    stream, None when nothing is ready."""
    if _RECV_INTO:
        try:
            return sock.recv_into(view)
        except OSError as e:
            if _would_block(e):
                return None
            raise
    return sock.readinto(view)  # None when nothing is ready


class _TcpPair:
    def __init__(self, conn, sock):
        self.conn = conn
        self.sock = sock
        self.local_eof = False
        self.tunnel_eof = False
        self.events = 0


class Forwarder:
    def __init__(self, stack, forwards, poller):
        self.stack = stack
        self.poller = poller
        self.pairs = []
        self.udp_flows = {}  # (port, remote ip, remote port) -> [local socket, last use, target]
        self.by_fd = {}  # fileno -> pair or flow key (CPython poll returns fds)
        self._now = 0  # ms ticks of the last service(): UDP flows' last use
        self.counters = {"tcp_forwarded": 0, "tcp_refused": 0, "udp_forwarded": 0, "udp_refused": 0}
        for proto, port, host, to_port in forwards:
            if proto == "tcp":
                stack.listen(port, backlog=4, on_accept=self._tcp_handler(host, to_port))
            else:
                sock = stack.udp_bind(port)
                sock.on_datagram = self._udp_handler(host, to_port)

    # --- TCP ---

    def _tcp_handler(self, host, port):
        def accept(conn):
            try:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.settimeout(1)  # local targets answer at once; a dead LAN host costs 1 s at most
                sock.connect(_addr(host, port))
                sock.setblocking(False)
            except OSError:
                self.counters["tcp_refused"] += 1
                conn.abort()  # RST: nothing listens there
                return
            pair = _TcpPair(conn, sock)
            self.pairs.append(pair)
            self._watch(pair, sock)
            self.counters["tcp_forwarded"] += 1
        return accept

    def _watch(self, owner, sock, events=_POLLIN):
        self.poller.register(sock, events)
        if hasattr(sock, "fileno"):
            self.by_fd[sock.fileno()] = owner
        if isinstance(owner, _TcpPair):
            owner.events = events

    def _unwatch(self, sock):
        try:
            self.poller.unregister(sock)
        except (KeyError, ValueError, OSError):
            pass
        if hasattr(sock, "fileno"):
            self.by_fd.pop(sock.fileno(), None)
        sock.close()

    def owner(self, obj):
        """The pair or UDP flow behind a poll() result (an fd on CPython, the socket on MicroPython)."""
        owner = self.by_fd.get(obj) if isinstance(obj, int) else None
        if owner is not None:
            return owner
        for pair in self.pairs:
            if pair.sock is obj:
                return pair
        for key, flow in self.udp_flows.items():
            if flow[0] is obj:
                return key
        return None

    def ready(self, owner, now):
        if isinstance(owner, _TcpPair):
            self._local_to_tunnel(owner)
        elif owner in self.udp_flows:
            self._udp_reply(owner)

    # Data moves between the local socket and the connection's rings without copies or allocation:
    # the socket reads into the send ring's free space and sends from the receive ring's data.

    def _local_to_tunnel(self, pair):
        while not pair.local_eof:
            view = pair.conn.send_view()
            if not len(view):
                return  # our send buffer is full: the local socket is not read (backpressure)
            try:
                n = _read_into(pair.sock, view)
            except OSError as e:
                if not _would_block(e):
                    self._local_failed(pair)
                return
            if n is None:
                return
            if n:
                pair.conn.send_commit(n)
            else:
                pair.local_eof = True
                pair.conn.close()  # FIN after what is queued

    def _tunnel_to_local(self, pair):
        conn = pair.conn
        while True:
            view = conn.recv_view()
            if not len(view):
                if conn.eof:
                    pair.tunnel_eof = True
                return
            try:
                n = pair.sock.send(view)
            except OSError as e:
                if not _would_block(e):  # reset by the local program
                    self._local_failed(pair)
                return  # EAGAIN: the local program is slow; the tunnel window closes meanwhile
            if not n:
                return
            conn.recv_consume(n)  # the window reopens only as the local program takes the data

    def _local_failed(self, pair):
        # The local side broke (reset, error): reset the tunnel side too; _reap removes the pair.
        pair.local_eof = pair.tunnel_eof = True
        pair.conn.abort()

    def service(self, now):
        """Move data both ways for every pair, then drop finished ones (called each loop step)."""
        for pair in list(self.pairs):
            self._tunnel_to_local(pair)
            if pair.conn.writable_bytes > 0 and not pair.local_eof:
                self._local_to_tunnel(pair)
            self._update_events(pair)
            self._reap(pair)
        self._expire_udp(now)

    def _update_events(self, pair):
        events = (_POLLIN if pair.conn.writable_bytes > 0 and not pair.local_eof else 0) | \
                 (_POLLOUT if len(pair.conn.rx) else 0)
        if events != pair.events:
            self.poller.modify(pair.sock, events)
            pair.events = events

    def _reap(self, pair):
        conn = pair.conn
        done = conn.state == tcp.CLOSED or (pair.tunnel_eof and pair.local_eof)
        if not done and pair.tunnel_eof and not pair.local_eof:
            # The tunnel side finished sending: tell the local program (half-close where possible).
            try:
                pair.sock.shutdown(socket.SHUT_WR)
            except (AttributeError, OSError):
                pass
        if done:
            self._unwatch(pair.sock)
            self.pairs.remove(pair)
            if conn.state not in (tcp.CLOSED, tcp.TIME_WAIT):
                conn.close()

    # --- UDP ---

    def _udp_handler(self, host, port):
        def datagram(sock):
            while True:
                item = sock.recvfrom()
                if item is None:
                    return
                payload, source = item
                key = (sock.port, source[0], source[1])
                flow = self.udp_flows.get(key)
                if flow is None:
                    local = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    local.setblocking(False)
                    local.connect(_addr(host, port))  # connected: errors (refused) come back to us
                    flow = [local, 0, payload]
                    self.udp_flows[key] = flow
                    self._watch(key, local)
                flow[1] = self._now
                flow[2] = payload
                try:
                    flow[0].send(payload)
                    self.counters["udp_forwarded"] += 1
                except OSError:
                    self._udp_refused(key)
        return datagram

    def _udp_reply(self, key):
        flow = self.udp_flows[key]
        try:
            data = flow[0].recv(2048)
        except OSError:
            self._udp_refused(key)  # ECONNREFUSED: nothing listens on the local port
            return
        self.stack.send_udp(key[0], (key[1], key[2]), data)

    def _udp_refused(self, key):
        self.counters["udp_refused"] += 1
        flow = self.udp_flows.pop(key, None)
        if flow is not None:
            self._unwatch(flow[0])
            self.stack.unreachable_udp(key[1], key[2], key[0], flow[2], self._now)

    def _expire_udp(self, now):
        self._now = now
        for key in list(self.udp_flows):
            if ticks_diff(now, self.udp_flows[key][1]) >= _UDP_FLOW_IDLE_MS:
                self._unwatch(self.udp_flows.pop(key)[0])

    def next_deadline(self):
        best = None
        for flow in self.udp_flows.values():
            best = earliest(best, ticks_add(flow[1], _UDP_FLOW_IDLE_MS))
        return best

    def close(self):
        for pair in self.pairs:
            pair.conn.abort()
            self._unwatch(pair.sock)
        for flow in self.udp_flows.values():
            self._unwatch(flow[0])
        self.pairs = []
        self.udp_flows = {}
