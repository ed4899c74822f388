"""The client's one loop: the only module that touches sockets, the netif and the clock.

It sleeps in poll() until the core's next deadline or a packet (UDP socket or TUN) - no periodic
tick, no busy polling - then feeds what arrived to the core and sends what the core produced.
"""
import gc
import select
import socket
import time

from . import log
from .clock import Clock
from .compat import MICROPYTHON, ticks_diff, ticks_ms
from .constants import DATAGRAM_SLACK
from .device import Device
from .keepalive import PowerKeepalive, StandardKeepalive
from .log import format_endpoint
from .net.stack import Stack
from .timers import earliest

_RECV_BURST = 64  # datagrams read per wake-up before timers get their turn
_REFRESOLVE_EVERY = 3  # handshake retries between DNS lookups of a peer's endpoint name
_OOM_BACKOFF_MS = 5  # doubled per consecutive MemoryError: 10, 20, ... ms
_OOM_BACKOFF_MAX_MS = 1000

current = None  # the running Client, for client.status() on a board


def _is_ip_literal(host):
    return all(c in "0123456789." for c in host) or ":" in host


def _local_address(endpoint):
    """The local address used towards endpoint (CPython), the Wi-Fi address (boards), or None."""
    if not MICROPYTHON:
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                s.connect(endpoint)  # no packet is sent: this only asks the routing table
                return s.getsockname()[0]
            finally:
                s.close()
        except (OSError, TypeError):
            return None
    try:
        import network
        wlan = network.WLAN(network.STA_IF)
        return wlan.ifconfig()[0] if wlan.isconnected() else None
    except (ImportError, AttributeError, OSError):
        return None  # the unix port: no way to ask, no change detected


def _heap_in_use():
    if not MICROPYTHON:
        return None
    gc.collect()
    return gc.mem_alloc()


class Client:
    def __init__(self, cfg, name="wgm0", buffers=None):
        """buffers: the stack's TCP buffers, allocated early by __main__ (see _stack_buffers there);
        made here when not given."""
        self.cfg = cfg
        self.name = name
        self.clock = Clock(cfg.state_file)
        self.device = Device(cfg.private_key, self.clock.tai64n, mtu=cfg.mtu)
        self.device.sink = self._tunnel_in
        self.device.datagram_sink = self._send_datagram
        self.targets = []  # [peer, host, port, retries seen]
        for pc in cfg.peers:
            if pc.keepalive_mode == "power":
                policy = PowerKeepalive(pc.persistent_keepalive, pc.confirm_interval)
            else:
                policy = StandardKeepalive(pc.persistent_keepalive)
            peer = self.device.add_peer(pc.public_key, pc.preshared_key, None, pc.allowed_ips, policy)
            if pc.endpoint is not None:
                self.targets.append([peer, pc.endpoint[0], pc.endpoint[1], 0])
        self.stack = None
        self.tun = None
        self.forwarder = None
        self.network = None  # device programs' API (client.net.api): loaded by network_api()
        self.poller = select.poll()
        if cfg.netif == "tun":
            from .netif_tun import Tun
            routes = [r for pc in cfg.peers for r in pc.allowed_ips]
            self.tun = Tun(name, cfg.addresses, routes, cfg.mtu)
        else:
            self.stack = Stack(cfg.addresses, mtu=cfg.mtu, max_connections=cfg.tcp_connections,
                               rx_size=cfg.tcp_buffer, tx_size=cfg.tcp_buffer, udp_queue=cfg.udp_queue,
                               buffers=buffers)
            self.stack.sink = self._tunnel_packet
            if cfg.forward:
                from .net.forward import Forwarder
                self.forwarder = Forwarder(self.stack, cfg.forward, self.poller)
        self.sock = None
        self.port = cfg.listen_port
        self.wakeups = 0
        self.local_address = None
        self.recreate_socket = False
        self.peak_connections = 0
        self.heap_at_peak = None  # MicroPython: gc.mem_alloc() after a collect, at the most connections
        self.now = ticks_ms()  # the current wake-up's time, for the stack's sink
        self.out_of_memory = 0  # steps cut short by MemoryError (boards under memory pressure)
        self.oom_streak = 0  # consecutive ones: the next step waits longer

    def network_api(self):
        """The device-program API over the stack, loaded on first use: a client that only forwards
        never holds that code in RAM."""
        if self.network is None:
            if self.stack is None:
                raise OSError("device programs need netif \"stack\"")
            from .net.api import Network
            self.network = Network(self.stack)
        return self.network

    # --- sockets and names ---

    def open_socket(self):
        if self.sock is not None:
            self.poller.unregister(self.sock)
            self.sock.close()
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(socket.getaddrinfo("0.0.0.0", self.cfg.listen_port)[0][-1])
        s.setblocking(False)
        self.sock = s
        self.poller.register(s, select.POLLIN)
        if not MICROPYTHON:
            self.port = s.getsockname()[1]
        log.info("listening on UDP port %s" % (self.port or "(chosen by the system)"))

    def resolve(self, target):
        peer, host, port = target[0], target[1], target[2]
        try:
            addr = socket.getaddrinfo(host, port)[0][-1]
        except OSError as e:
            log.warning("cannot resolve %s: %s" % (host, e))
            return
        peer.endpoint = bytes(addr) if isinstance(addr, (bytes, bytearray)) else addr
        log.info("peer endpoint %s:%d is %s" % (host, port, format_endpoint(peer.endpoint)))

    def _watch_retries(self):
        # Names are resolved again after failed handshakes (the server may have moved).
        for target in self.targets:
            attempts = target[0].timers.handshake_attempts
            if attempts != target[3]:
                target[3] = attempts
                if attempts and attempts % _REFRESOLVE_EVERY == 0 and not _is_ip_literal(target[1]):
                    self.resolve(target)

    def _network_changed(self, now, why):
        log.info("network change (%s): new socket, handshake now" % why)
        self.open_socket()
        for peer in self.device.peers:
            peer.confirm_endpoint(now)

    def _check_address(self, now):
        endpoint = self.targets[0][0].endpoint if self.targets else None
        if endpoint is None:
            return
        address = _local_address(endpoint)
        if address != self.local_address:
            previous, self.local_address = self.local_address, address
            if previous is not None and address is not None:
                self._network_changed(now, "local address %s -> %s" % (previous, address))

    # --- packets ---

    def _read_socket(self, now):
        for _ in range(_RECV_BURST):
            try:
                data, source = self.sock.recvfrom(self.cfg.mtu + DATAGRAM_SLACK)
            except OSError:
                return  # EAGAIN: drained (other errors: the next send finds out)
            # Each datagram all the way through (device.sink) before the next is read: a burst of
            # 64 never sits in RAM as 64 decrypted packets plus their replies.
            self.device.receive(data, source, now)

    def _read_tun(self, now):
        for _ in range(_RECV_BURST):
            packet = self.tun.read()
            if packet is None:
                return
            self.device.send_packet(packet, now)

    def _tunnel_in(self, packet, peer):
        # The device's sink: a decrypted packet (a view of the device's buffer) to TUN or the stack.
        if self.tun is not None:
            self.tun.write(packet)
        else:
            self.stack.receive(packet, self.now)

    def _run_stack(self, now):
        # After a burst: forwards move data, then the stack sends data and one ACK per connection.
        stack = self.stack
        d = stack.next_deadline()
        if d is not None and ticks_diff(now, d) >= 0:
            stack.poll(now)
        if self.forwarder is not None:
            self.forwarder.service(now)
        if self.network is not None and self.network.tasks:
            self.network.run(now)
        stack.flush(now)
        if len(stack.tcp) > self.peak_connections:
            self.peak_connections = len(stack.tcp)
            self.heap_at_peak = _heap_in_use()

    def _tunnel_packet(self, packet):
        # The stack's sink: sealed and sent as soon as it is built (one packet in RAM at a time).
        self.device.send_packet(packet, self.now)

    def _send_datagram(self, datagram, endpoint):
        # The device's datagram sink, for everything it sends: sent at once (the datagram may be the
        # device's reused buffer), so no outbox is ever kept.
        if endpoint is None or self.sock is None:
            return
        try:
            self.sock.sendto(datagram, endpoint)
        except OSError as e:
            log.warning("send failed: %s" % e)
            self.recreate_socket = True

    # --- the loop ---

    def _timeout_ms(self, now):
        d = self.device.next_deadline()
        if self.stack is not None:
            d = earliest(d, self.stack.next_deadline())
            if self.forwarder is not None:
                d = earliest(d, self.forwarder.next_deadline())
            if self.network is not None and self.network.tasks:
                d = earliest(d, self.network.next_deadline())
        if d is None:
            return -1  # nothing armed: sleep until a packet arrives
        # +1 ms: poll() rounds down, and waking a millisecond early would be a wasted wake-up.
        return max(0, ticks_diff(d, now)) + 1

    def start(self):
        global current
        current = self
        now = ticks_ms()
        self.open_socket()
        if self.tun is not None:
            self.poller.register(self.tun.fileno(), select.POLLIN)
        for target in self.targets:
            self.resolve(target)
        self.local_address = _local_address(self.targets[0][0].endpoint) if self.targets else None
        self.device.up(now)

    def step(self):
        """Sleep until something is due, then handle it."""
        if self.oom_streak:
            # Back off (10 ms doubling to 1 s) rather than spin on a packet that keeps failing.
            time.sleep(min(_OOM_BACKOFF_MAX_MS, _OOM_BACKOFF_MS << self.oom_streak) / 1000)
        now = ticks_ms()
        events = self.poller.poll(self._timeout_ms(now))
        now = self.now = ticks_ms()
        self.wakeups += 1
        try:
            self._handle(events, now)
            self.oom_streak = 0
        except MemoryError as e:
            # A board's heap ran out mid-packet: that packet is lost (TCP and the handshake retry),
            # the client is not. Counted in the status; collected now so the next step has room.
            self.out_of_memory += 1
            self.oom_streak = min(self.oom_streak + 1, 8)
            if self.out_of_memory & (self.out_of_memory - 1) == 0:  # 1, 2, 4, 8...: not a log flood
                log.warning("out of memory (%d times; %s): a packet was dropped" % (self.out_of_memory, e))
            gc.collect()

    def _handle(self, events, now):
        for obj, _ in events:
            if obj is self.sock or (not MICROPYTHON and obj == self.sock.fileno()):
                self._read_socket(now)
            elif self.tun is not None:
                self._read_tun(now)
            elif self.forwarder is not None:
                owner = self.forwarder.owner(obj)
                if owner is not None:
                    self.forwarder.ready(owner, now)
        if self.device.due(now):
            self.device.expire(now)
        if self.stack is not None:
            self._run_stack(now)
        self._watch_retries()
        self._check_address(now)
        if self.recreate_socket:
            self.recreate_socket = False
            self._network_changed(now, "socket error")

    def run(self):
        self.start()
        while True:
            self.step()

    def close(self):
        if self.forwarder is not None:
            self.forwarder.close()
            self.now = ticks_ms()
            self._run_stack(self.now)
        if self.tun is not None:
            self.tun.close()
            self.tun = None
        if self.sock is not None:
            self.sock.close()
            self.sock = None
