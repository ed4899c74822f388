"""The stack's dispatcher: IPv4 in, ICMP/UDP/TCP demultiplexed, IP packets out (`outbox`).

Sans-I/O like the core: `receive(packet, now)` for packets from the tunnel, `flush(now)` after a
burst (sends pending data and coalesced ACKs), `poll(now)` when `next_deadline()` is due. Every
dropped packet is counted by reason in `counters`.
"""
import os
import struct

from ..compat import earliest, ticks_diff
from . import ipv4, tcp, udp
from .addr import parse_cidr
from .ring import Ring
from .checksum import checksum

_ICMP_ECHO_REPLY = 0
_ICMP_UNREACHABLE = 3
_ICMP_PORT_UNREACHABLE = 3
_ICMP_ECHO_REQUEST = 8
_EPHEMERAL_FIRST = 49152
_PACKET_SLACK = 64  # a TCP packet is at most MTU + 4 (MSS = MTU - 40, plus the 4-byte MSS option)


class Stack:
    def __init__(self, addresses, mtu=1420, random_bytes=os.urandom, max_connections=4, rx_size=4096,
                 tx_size=4096, udp_queue=8, time_wait_ms=2000, icmp_per_second=10, buffers=None):
        """buffers: a bytearray of max_connections * (rx_size + tx_size) bytes for the connections'
        rings (a board allocates it before loading the code, while the heap is still in one piece)."""
        parsed = [parse_cidr(a) for a in addresses]
        self.addresses = [net for version, net, _ in parsed if version == 4]
        self.mtu = mtu
        self.random_bytes = random_bytes
        self.max_connections = max_connections
        # Every connection's buffers are allocated here, once: a board that starts has the RAM for
        # all its connections, and the heap never fragments around kilobyte blocks coming and going.
        per_connection = rx_size + tx_size
        block = memoryview(buffers or bytearray(max_connections * per_connection))
        if len(block) < max_connections * per_connection:
            raise ValueError("buffers: %d bytes needed" % (max_connections * per_connection))
        self.free_buffers = []  # (rx ring, tx ring) for each connection not open
        for at in range(0, max_connections * per_connection, per_connection):
            self.free_buffers.append((Ring(rx_size, block[at:at + rx_size]),
                                      Ring(tx_size, block[at + rx_size:at + per_connection])))
        self.udp_queue = udp_queue
        self.time_wait_ms = time_wait_ms
        self.icmp_per_second = icmp_per_second
        self.icmp_tokens = icmp_per_second
        self.icmp_refilled = None
        self.outbox = []  # IP packets for the tunnel
        # When set, each packet goes to sink(packet) as it is built instead of the outbox: the client's
        # loop seals and sends it at once, so a burst never holds a list of packets in RAM.
        self.sink = None
        self._packet_buffer = memoryview(bytearray(mtu + _PACKET_SLACK))
        self.udp = {}  # port -> UdpSocket
        self.listeners = {}  # port -> Listener
        self.tcp = {}  # (local port, remote ip, remote port) -> Connection
        self.pings = {}  # (ident, seq) -> ms ticks of the reply
        self.ident = 0
        self.next_port = _EPHEMERAL_FIRST
        self.counters = {}

    def count(self, name):
        self.counters[name] = self.counters.get(name, 0) + 1

    # --- output ---

    def _ip(self, src, dst, proto, packet):
        """packet: the payload after ipv4.HEADER_SIZE bytes of room, where the header goes."""
        self.ident = (self.ident + 1) & 0xFFFF
        ipv4.emit(packet, src, dst, proto, len(packet) - ipv4.HEADER_SIZE, self.ident)
        if self.sink is not None:
            self.sink(packet)
        else:
            self.outbox.append(packet)

    def packet_buffer(self):
        """Where the next TCP packet may be built: the stack's one reused buffer while a sink takes
        each packet before the next is built, else None (a fresh buffer each, for the outbox)."""
        return self._packet_buffer if self.sink is not None else None

    def send_tcp(self, local, remote, packet):
        """packet: from tcp.emit(..., headroom=ipv4.HEADER_SIZE)."""
        self._ip(local[0], remote[0], ipv4.PROTO_TCP, packet)

    def send_udp(self, port, address, payload):
        self._ip(self.addresses[0], address[0], ipv4.PROTO_UDP,
                 udp.emit(self.addresses[0], address[0], port, address[1], payload, ipv4.HEADER_SIZE))

    def _icmp(self, src, dst, kind, code, rest, body):
        h = ipv4.HEADER_SIZE
        packet = bytearray(h + 4 + len(rest) + len(body))
        packet[h], packet[h + 1] = kind, code
        packet[h + 4:h + 4 + len(rest)] = rest
        packet[h + 4 + len(rest):] = body
        struct.pack_into(">H", packet, h + 2, checksum(packet, h, len(packet)))
        self._ip(src, dst, ipv4.PROTO_ICMP, packet)

    def ping(self, dst, ident, seq, data=b"wg-micro"):
        """Send an ICMP echo request; its reply time appears in self.pings[(ident, seq)]."""
        self._icmp(self.addresses[0], dst, _ICMP_ECHO_REQUEST, 0, struct.pack(">HH", ident, seq), data)

    # --- input ---

    def receive(self, packet, now):
        header = ipv4.parse(packet)
        if isinstance(header, str):
            return self.count(header)
        if header.dst not in self.addresses:
            return self.count("not_for_us")
        start, end = header.ihl, header.total
        if header.proto == ipv4.PROTO_TCP:
            self._receive_tcp(header, packet, now)
        elif header.proto == ipv4.PROTO_UDP:
            self._receive_udp(header, packet, now)
        elif header.proto == ipv4.PROTO_ICMP:
            self._receive_icmp(header, packet, start, end, now)
        else:
            self.count("unknown_protocol")

    def _receive_icmp(self, header, packet, start, end, now):
        if end - start < 8 or checksum(packet, start, end):
            return self.count("icmp_bad")
        kind = packet[start]
        if kind == _ICMP_ECHO_REQUEST:
            # Sized to the MTU: a request that fit arrives as a reply that fits.
            self._icmp(header.dst, header.src, _ICMP_ECHO_REPLY, 0, packet[start + 4:start + 8],
                       packet[start + 8:end])
            self.count("icmp_echo_replies")
        elif kind == _ICMP_ECHO_REPLY:
            ident, seq = struct.unpack_from(">HH", packet, start + 4)
            self.pings[(ident, seq)] = now
        else:
            self.count("icmp_ignored")

    def _receive_udp(self, header, packet, now):
        parsed = udp.parse(packet, header.ihl, header.total, header.src, header.dst)
        if isinstance(parsed, str):
            return self.count(parsed)
        src_port, dst_port, payload = parsed
        sock = self.udp.get(dst_port)
        if sock is None:
            self.count("udp_closed_port")
            self.port_unreachable(header, packet, now)
            return
        sock.deliver(payload, (header.src, src_port))

    def port_unreachable(self, header, packet, now):
        """ICMP port unreachable quoting the offending header + 8 bytes, at most icmp_per_second."""
        if self.icmp_refilled is None or ticks_diff(now, self.icmp_refilled) >= 1000:
            self.icmp_tokens = self.icmp_per_second
            self.icmp_refilled = now
        if self.icmp_tokens <= 0:
            return self.count("icmp_rate_limited")
        self.icmp_tokens -= 1
        self._icmp(header.dst, header.src, _ICMP_UNREACHABLE, _ICMP_PORT_UNREACHABLE, b"\x00\x00\x00\x00",
                   packet[:header.ihl + 8])

    def unreachable_udp(self, remote_ip, remote_port, local_port, payload, now):
        """Port unreachable for a datagram we took but could not deliver (a forward to a closed port)."""
        seg = udp.emit(remote_ip, self.addresses[0], remote_port, local_port, payload[:8])
        packet = bytearray(ipv4.HEADER_SIZE + len(seg))
        ipv4.emit(packet, remote_ip, self.addresses[0], ipv4.PROTO_UDP, len(seg), 0)
        packet[ipv4.HEADER_SIZE:] = seg
        self.port_unreachable(ipv4.Header(ipv4.HEADER_SIZE, len(packet), ipv4.PROTO_UDP, remote_ip,
                                          self.addresses[0]), packet, now)

    def _receive_tcp(self, header, packet, now):
        seg = tcp.parse(packet, header.ihl, header.total, header.src, header.dst)
        if isinstance(seg, str):
            return self.count(seg)
        conn = self.tcp.get((seg.dst_port, header.src, seg.src_port))
        if conn is not None:
            conn.segment_arrives(seg, now)
            return
        listener = self.listeners.get(seg.dst_port)
        if listener is not None and seg.flags & (tcp.SYN | tcp.ACK | tcp.RST) == tcp.SYN:
            self._passive_open(listener, header, seg, now)
        elif not seg.flags & tcp.RST:
            self.count("tcp_closed_port")
            self._reset(header, seg)

    def _reset(self, header, seg):
        self.send_reset((header.dst, seg.dst_port), (header.src, seg.src_port), seg)

    def send_reset(self, local, remote, seg):
        """The RST answering an unwanted segment (RFC 9293 §3.10.7.1)."""
        seq, ack, flags = tcp.reset_for(seg)
        self.send_tcp(local, remote, tcp.emit(local[0], remote[0], local[1], remote[1], seq, ack, flags, 0,
                                              headroom=ipv4.HEADER_SIZE))

    def _room_for_connection(self):
        if len(self.tcp) < self.max_connections:
            return True
        # TIME-WAIT is bounded: the oldest one makes room for a new connection.
        waiting = [c for c in self.tcp.values() if c.state == tcp.TIME_WAIT]
        if not waiting:
            return False
        oldest = min(waiting, key=lambda c: c.created)
        self._forget(oldest)
        return True

    def _passive_open(self, listener, header, seg, now):
        if not self._room_for_connection() or len(listener.pending) >= listener.backlog:
            self.count("tcp_connection_cap")
            return self._reset(header, seg)
        conn = self._new_connection((header.dst, seg.dst_port), (header.src, seg.src_port), now)
        conn.listener = listener
        conn.open_passive(seg, now)

    # --- sockets ---

    def _new_connection(self, local, remote, now):
        iss = struct.unpack(">I", self.random_bytes(4))[0]
        rx, tx = self.free_buffers.pop()
        conn = tcp.Connection(self, local, remote, iss, rx, tx, now)
        self.tcp[(local[1], remote[0], remote[1])] = conn
        return conn

    def connect(self, remote_ip, remote_port, now):
        """Active open to (remote_ip bytes, port); None when the connection cap is reached."""
        if not self._room_for_connection():
            self.count("tcp_connection_cap")
            return None
        for _ in range(16384):
            port = self.next_port
            self.next_port = _EPHEMERAL_FIRST + (self.next_port + 1 - _EPHEMERAL_FIRST) % 16384
            if (port, remote_ip, remote_port) not in self.tcp:
                break
        conn = self._new_connection((self.addresses[0], port), (remote_ip, remote_port), now)
        conn.open_active(now)
        return conn

    def listen(self, port, backlog=2, on_accept=None):
        listener = Listener(self, port, backlog, on_accept)
        self.listeners[port] = listener
        return listener

    def udp_bind(self, port):
        if port in self.udp:
            raise ValueError("UDP port %d is already bound" % port)
        sock = udp.UdpSocket(self, port, self.udp_queue)
        self.udp[port] = sock
        return sock

    def _forget(self, conn):
        key = (conn.local[1], conn.remote[0], conn.remote[1])
        if self.tcp.get(key) is not conn:
            return
        del self.tcp[key]
        if conn.state != tcp.CLOSED:
            conn._become_closed("evicted")
        self.free_buffers.append(conn.release_buffers())

    # --- time ---

    def flush(self, now):
        """Send what connections have ready (data, FIN, coalesced ACKs); forget closed ones."""
        for conn in list(self.tcp.values()):
            conn.output(now)
            if conn.state == tcp.CLOSED:
                self._forget(conn)

    def poll(self, now):
        for conn in list(self.tcp.values()):
            d = conn.next_deadline()
            if d is not None and ticks_diff(now, d) >= 0:
                conn.poll(now)
        self.flush(now)

    def next_deadline(self):
        best = None
        for conn in self.tcp.values():
            best = earliest(best, conn.next_deadline())
        return best


class Listener:
    """A listening port; established connections wait in `pending` until accepted."""

    def __init__(self, stack, port, backlog, on_accept):
        self.stack = stack
        self.port = port
        self.backlog = backlog
        self.pending = []
        self.on_accept = on_accept

    def ready(self, conn):
        conn.listener = None
        if self.on_accept is not None:
            self.on_accept(conn)
        else:
            self.pending.append(conn)

    def accept(self):
        return self.pending.pop(0) if self.pending else None

    def close(self):
        self.stack.listeners.pop(self.port, None)
