"""The sans-I/O WireGuard device: static identity, peers, index table, routing out, timers.

Datagrams and `now` (ms ticks) go in (`receive`, dispatched in receive.py); datagrams to send and
decrypted IP packets come out, to the sinks when set (`datagram_sink(datagram, endpoint)`,
`sink(packet, peer)`), else to `outbox` ((bytes, endpoint)) and `inbox` ((bytes, peer)), which the
caller drains; `next_deadline()` is for the caller's sleep. No I/O, no clock: TAI64N timestamps
come from the `timestamp` callable given at construction, randomness from `random_bytes`.
"""
import os

from .. import crypto
from ..compat import earliest, ticks_diff
from . import noise
from .allowedips import AllowedIPs
from .constants import DATAGRAM_SLACK, DEFAULT_MTU, REKEY_TIMEOUT_JITTER_MAX_MS, TAG_SIZE, TRANSPORT_HEADER_SIZE
from .cookie import CookieChecker
from .load import CookieLimiter, LoadMeter
from .messages import ip_destination, u32
from .peer import Peer
from .receive import Receiver


class Device:
    def __init__(self, private_key, timestamp, mtu=DEFAULT_MTU, random_bytes=os.urandom):
        self.identity = noise.Identity(private_key)
        self.timestamp = timestamp  # () -> 12-byte TAI64N, strictly increasing
        self.random_bytes = random_bytes
        self.mtu = mtu
        self.cookie_checker = CookieChecker(self.identity.public, random_bytes)
        # Under load (load.py), handshakes must carry a valid mac2, else they get a cookie reply. The
        # meter decides from the handshake work asked for; under_load = True forces it (tests).
        self.load = LoadMeter()  # the client sets its measured X25519 cost (client/calibrate.py)
        self.cookie_limiter = CookieLimiter()
        self.under_load = False
        self.peers = []
        self.allowed_ips = AllowedIPs()
        self.index = {}  # local index -> Peer (pending handshake) or Keypair
        self.outbox = []
        self.inbox = []
        # When set, decrypted packets go to sink(packet, peer) as a memoryview into rx_buffer, valid
        # only during the call (the client's loop hands them to the stack or TUN, which copy what they
        # keep): a received packet then costs no allocation. Otherwise they are copied to the inbox.
        self.sink = None
        self.rx_buffer = bytearray(mtu + DATAGRAM_SLACK)
        # When set, datagrams go to datagram_sink(datagram, endpoint) as they are made, instead of the
        # outbox; transport messages are then sealed in tx_buffer, which the sink must have sent (or
        # copied) before it returns.
        self.datagram_sink = None
        self.tx_buffer = bytearray(TRANSPORT_HEADER_SIZE + mtu + TAG_SIZE)
        self.drops = {}
        self.receiver = Receiver(self)
        # Hooks for deterministic tests: replace to inject ephemeral keys.
        self.new_ephemeral = crypto.generate_private

    # --- Configuration ---

    def add_peer(self, public_key, preshared_key=None, endpoint=None, allowed_ips=(), keepalive=None):
        """A peer; ValueError for our own key, a duplicate or a low-order public key."""
        if bytes(public_key) == self.identity.public:
            raise ValueError("public_key: a peer cannot have this device's own key")
        if self.peer_by_key(public_key) is not None:
            raise ValueError("public_key: peer already present")
        try:
            peer = Peer(self, public_key, preshared_key, endpoint, keepalive)
        except ValueError:
            raise ValueError("public_key: not usable (low-order point)")
        for cidr in allowed_ips:
            self.allowed_ips.insert(cidr, peer)
        self.peers.append(peer)
        return peer

    def peer_by_key(self, public_key):
        for peer in self.peers:
            if peer.public_key == bytes(public_key):
                return peer
        return None

    def handshake_for(self, static):
        peer = self.peer_by_key(static)
        return peer.handshake if peer is not None else None

    # --- Indices, randomness ---

    def assign_index(self, peer, old):
        """A fresh random local index for peer's handshake (the old one, if any, is forgotten)."""
        self.forget_index_value(old)
        while True:
            index = u32(self.random_bytes(4), 0)
            if index not in self.index:
                self.index[index] = peer
                return index

    def forget_index_value(self, index):
        if index is not None and isinstance(self.index.get(index), Peer):
            del self.index[index]

    def forget_index(self, kp):
        if self.index.get(kp.local_index) is kp:
            del self.index[kp.local_index]

    def jitter_ms(self):
        return u32(self.random_bytes(4), 0) % REKEY_TIMEOUT_JITTER_MAX_MS

    def count_drop(self, reason):
        self.drops[reason] = self.drops.get(reason, 0) + 1

    # --- From the tunnel (TUN or stack) ---

    def send_packet(self, packet, now):
        """Route an IP packet by its destination (cryptokey routing) and send or queue it."""
        version, dst = ip_destination(packet)
        peer = self.allowed_ips.lookup(version, dst) if version else None
        if peer is None:
            self.count_drop("no_route")
            return False
        if peer.endpoint is None:
            peer.drop("no_endpoint")
            return False
        peer.send_packet(packet, now)
        return True

    def output(self, datagram, endpoint):
        """Every datagram the device sends: to datagram_sink at once when set, else the outbox."""
        if self.datagram_sink is not None:
            self.datagram_sink(datagram, endpoint)
        else:
            self.outbox.append((datagram, endpoint))

    # --- From the network ---

    def receive(self, data, source, now):
        """One UDP datagram from `source` (dispatched by receive.Receiver)."""
        self.receiver.receive(data, source, now)

    # --- Time ---

    def up(self, now):
        """The interface came up: peers with a persistent keepalive send one at once."""
        self.load.start(now)
        for peer in self.peers:
            peer.up(now)

    def next_deadline(self):
        """The earliest armed timer of any peer (ms ticks), or None: nothing is periodic."""
        d = None
        for peer in self.peers:
            d = earliest(d, peer.next_deadline())
        return d

    def expire(self, now):
        """Run every timer due at `now`."""
        for peer in self.peers:
            peer.expire(now)

    def network_changed(self, now):
        """The local network changed (new socket or address): every peer confirms its endpoint."""
        for peer in self.peers:
            peer.confirm_endpoint(now)

    def due(self, now):
        d = self.next_deadline()
        return d is not None and ticks_diff(now, d) >= 0
