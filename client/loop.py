"""The client's one loop: the only module that touches the UDP socket, the netif and the clock.

It runs as an asyncio task (`client.start`, `-m client`, main.py: asyncio.run) and sleeps in
asyncio's own I/O wait (client/aio.py) until the core's next deadline, a packet (UDP socket, TUN
or a forward's socket) or a device program's data to send - no periodic tick, no busy polling -
then feeds what arrived to the core and the netif. Other tasks (the user's app, device programs)
run while it sleeps. What to decide (when to look names up again, whether the network changed,
how long to back off) is asked of the core (wg/endpoints.py, wg/backoff.py); this module only does
the I/O.
"""
import asyncio
import gc
import socket

from . import log
from .aio import POLLIN, Poller, Scheduler
from .calibrate import calibrate
from .clock import Clock
from .compat import MICROPYTHON, earliest, ticks_diff, ticks_ms
from .log import format_endpoint
from .wg.backoff import Backoff
from .wg.constants import DATAGRAM_SLACK
from .wg.device import Device
from .wg.endpoints import Endpoints
from .wg.keepalive import PowerKeepalive, StandardKeepalive

_RECV_BURST = 64  # datagrams read per wake-up before timers get their turn

current = None  # the running Client, for client.status() on a board


def _local_address(endpoint):
    """The local address used towards endpoint (CPython), the Wi-Fi address (boards), or None."""
    if endpoint is None:
        return None
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


def _policy(pc):
    if pc.keepalive_mode == "power":
        return PowerKeepalive(pc.persistent_keepalive, pc.confirm_interval)
    return StandardKeepalive(pc.persistent_keepalive)


class Client:
    def __init__(self, cfg, name="wgm0", buffers=None):
        """buffers: the stack's TCP buffers, allocated early by __main__ (see _stack_buffers there);
        made here when not given."""
        self.cfg = cfg
        self.name = name
        self.clock = Clock(cfg.state_file)
        self.device = Device(cfg.private_key, self.clock.tai64n, mtu=cfg.mtu)
        calibrate(self.device, cfg.private_key)  # the X25519 cost the under-load threshold derives from
        self.device.sink = self._tunnel_in
        self.device.datagram_sink = self._send_datagram
        self.endpoints = Endpoints()
        for pc in cfg.peers:
            peer = self.device.add_peer(pc.public_key, pc.preshared_key, None, pc.allowed_ips, _policy(pc))
            if pc.endpoint is not None:
                self.endpoints.add(peer, pc.endpoint[0], pc.endpoint[1])
        self.poller = Poller()
        self.netif = self._netif(cfg, name, buffers)
        self.sock = None
        self.port = cfg.listen_port
        self.wakeups = 0
        self.now = ticks_ms()  # the current wake-up's time, for the device's sink
        self.recreate_socket = False
        self.oom = Backoff()  # steps cut short by MemoryError (boards under memory pressure)
        self.task = None  # the loop's asyncio task (start(), or __main__)
        self.routing = None  # asyncio's open_connection/start_server routed by address (route())

    def _netif(self, cfg, name, buffers):
        send = self.device.send_packet
        if cfg.netif == "tun":
            from .netif.tun import Tun
            routes = [r for pc in cfg.peers for r in pc.allowed_ips]
            return Tun(name, cfg.addresses, routes, cfg.mtu, self.poller, send)
        from .netif.stack import StackNetif
        return StackNetif(cfg, self.poller, send, buffers)

    def network_api(self):
        """The tunnel's sockets for asyncio programs (client.net.api) over the stack netif."""
        if not hasattr(self.netif, "network_api"):
            raise OSError("the tunnel's sockets (device programs, apps) need netif \"stack\"")
        if self.netif.network is not None:  # made once: every wg.network is the same object
            return self.netif.network
        return self.netif.network_api(Scheduler(self.ticks, self.poller.wake))

    network = property(network_api)

    def ticks(self):
        """The time now, for what runs between the loop's steps (device programs sending): it
        becomes the time the device and the stack are handed."""
        now = self.now = self.netif.now = ticks_ms()
        return now

    def status(self):
        """The status text (what SIGUSR1 and the exit print, `client.status()` on a board)."""
        from .status import lines
        return "\n".join(lines(self, ticks_ms()))

    def route(self, on=True):
        """Route asyncio.open_connection / start_server by address (client/route.py); off: restore."""
        if on and self.routing is None:
            from .route import Routing
            self.routing = Routing(self)
        elif not on and self.routing is not None:
            self.routing.remove()
            self.routing = None

    # --- socket and names ---

    def open_socket(self):
        if self.sock is not None:
            self.poller.unregister(self.sock)
            self.sock.close()
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(socket.getaddrinfo("0.0.0.0", self.cfg.listen_port)[0][-1])
        s.setblocking(False)
        self.sock = s
        self.poller.register(s, POLLIN)
        if not MICROPYTHON:
            self.port = s.getsockname()[1]
        log.info("listening on UDP port %s" % (self.port or "(chosen by the system)"))

    def resolve(self, target):
        try:
            address = socket.getaddrinfo(target.host, target.port)[0][-1]
        except OSError as e:
            log.warning("cannot resolve %s: %s" % (target.host, e))
            return
        target.resolved(address)
        log.info("peer endpoint %s:%d is %s" % (target.host, target.port, format_endpoint(target.peer.endpoint)))

    def _network_changed(self, now, why):
        log.info("network change (%s): new socket, handshake now" % why)
        self.open_socket()
        self.device.network_changed(now)

    def _check_address(self, now):
        endpoints = self.endpoints
        previous = endpoints.local_address
        address = _local_address(endpoints.probe_endpoint())
        if endpoints.local_address_seen(address):
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

    def _tunnel_in(self, packet, peer):
        # The device's sink: a decrypted packet (a view of the device's buffer) to the netif.
        self.netif.write(packet, self.now)

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
        d = earliest(self.device.next_deadline(), self.netif.next_deadline())
        if d is None:
            return -1  # nothing armed: sleep until a packet arrives
        # +1 ms: the wait's timer may round down, and waking a millisecond early would be a wasted
        # wake-up.
        return max(0, ticks_diff(d, now)) + 1

    def start(self):
        global current
        current = self
        now = self.now = ticks_ms()
        self.open_socket()
        for target in self.endpoints.targets:
            self.resolve(target)
        self.endpoints.local_address_seen(_local_address(self.endpoints.probe_endpoint()))
        self.device.up(now)

    async def step(self):
        """Sleep until something is due, then handle it."""
        pause_ms = self.oom.delay_ms()
        if pause_ms:
            # Back off rather than spin on a packet that keeps failing (other tasks run meanwhile).
            await self.poller.sleep(pause_ms)
        now = ticks_ms()
        events = await self.poller.wait(self._timeout_ms(now), now)
        now = self.now = ticks_ms()
        self.wakeups += 1
        try:
            self._handle(events, now)
            self.oom.succeeded()
        except MemoryError as e:
            # A board's heap ran out mid-packet: that packet is lost (TCP and the handshake retry),
            # the client is not. Counted in the status; collected now so the next step has room.
            if self.oom.failed():
                log.warning("out of memory (%d times; %s): a packet was dropped" % (self.oom.failures, e))
            gc.collect()

    def _handle(self, events, now):
        for obj, _ in events:
            if obj is self.sock:
                self._read_socket(now)
            else:
                self.netif.ready(obj, now)
        if self.device.due(now):
            self.device.expire(now)
        self.netif.service(now)
        for target in self.endpoints.lookups_due():
            self.resolve(target)
        self._check_address(now)
        if self.recreate_socket:
            self.recreate_socket = False
            self._network_changed(now, "socket error")

    async def serve(self):
        """The loop itself (after start()): until its task is cancelled."""
        while True:
            await self.step()

    async def run(self):
        self.start()
        await self.serve()

    async def stop(self):
        """Stop the tunnel: every connection closed (RST), programs woken, the socket closed,
        asyncio restored if it was routed. Prints nothing (status() tells what happened)."""
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception as e:  # the loop had stopped on an error already
                log.warning("the loop had stopped: %s" % e)
        self.close()

    def close(self):
        self.now = ticks_ms()
        self.route(False)
        self.netif.close(self.now)
        if self.sock is not None:
            self.poller.unregister(self.sock)
            self.sock.close()
            self.sock = None
        self.poller.close()


async def start(config="config.json", route=False):
    """The tunnel as a task of the running asyncio program; returns the Client once its socket is
    open and the handshake started. config: a path or a dict shaped like config.json (a bad one
    raises client.config.ConfigError, one line naming the key). route: asyncio's open_connection and
    start_server go through the tunnel for its addresses (client/route.py)."""
    from .__main__ import load_config, stack_buffers
    cfg = load_config(config)
    log.set_level(cfg.log)
    client = Client(cfg, buffers=stack_buffers(cfg))
    client.start()
    client.task = asyncio.create_task(client.serve())
    if route:
        client.route()
    return client
