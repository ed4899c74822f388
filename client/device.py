"""The sans-I/O WireGuard device: static identity, peers, index table, receive dispatch.

Datagrams and `now` (ms ticks) go in; datagrams to send (`outbox`: (bytes, endpoint)) and decrypted
IP packets (`inbox`: (bytes, peer)) come out, with `next_deadline()` for the caller's sleep. The
caller drains both lists after each call. No I/O, no clock: TAI64N timestamps come from the
`timestamp` callable given at construction, randomness from `random_bytes`.
"""
import os

from . import crypto, noise
from .allowedips import AllowedIPs
from .compat import ticks_diff
from .constants import (DATAGRAM_SLACK, DEFAULT_MTU, MESSAGE_COOKIE_REPLY, MESSAGE_INITIATION,
                        MESSAGE_RESPONSE, MESSAGE_TRANSPORT, REKEY_TIMEOUT_JITTER_MAX_MS,
                        TAG_SIZE, TRANSPORT_HEADER_SIZE)
from .cookie import CookieChecker
from .keypair import Keypair
from .messages import (COOKIE_RECEIVER, DATA_COUNTER, DATA_RECEIVER, INIT_SENDER, RESP_SENDER,
                       ip_destination, message_type, u32, u64)
from .peer import Peer
from .timers import earliest


class Device:
    def __init__(self, private_key, timestamp, mtu=DEFAULT_MTU, random_bytes=os.urandom):
        self.identity = noise.Identity(private_key)
        self.timestamp = timestamp  # () -> 12-byte TAI64N, strictly increasing
        self.random_bytes = random_bytes
        self.mtu = mtu
        self.cookie_checker = CookieChecker(self.identity.public, random_bytes)
        self.under_load = False  # when True, handshakes must carry a valid mac2 (else: cookie reply)
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

    def _handshake_for(self, static):
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
        """One UDP datagram from `source`."""
        kind = message_type(data)
        if kind == MESSAGE_TRANSPORT:
            self._receive_transport(data, source, now)
        elif kind == MESSAGE_INITIATION:
            self._receive_initiation(data, source, now)
        elif kind == MESSAGE_RESPONSE:
            self._receive_response(data, source, now)
        elif kind == MESSAGE_COOKIE_REPLY:
            self._receive_cookie_reply(data, now)
        else:
            # Includes the 1-byte NAT refreshes of the power keepalive: never answered.
            self.count_drop("short" if len(data) < 32 else "malformed")

    def _handshake_gate(self, data, sender_offset, source, now):
        """mac1 first; under load a valid mac2 too, else answer with a cookie reply."""
        if not self.cookie_checker.mac1_valid(data):
            self.count_drop("bad_mac1")
            return False
        if self.under_load and not self.cookie_checker.mac2_valid(data, source, now):
            reply = self.cookie_checker.create_reply(data, u32(data, sender_offset), source, now)
            self.output(reply, source)
            self.count_drop("cookie_sent")
            return False
        return True

    def _receive_initiation(self, data, source, now):
        if not self._handshake_gate(data, INIT_SENDER, source, now):
            return
        try:
            hs = noise.consume_initiation(self.identity, data, self._handshake_for, now)
        except noise.Rejected as e:
            self.count_drop(e.args[0])
            return
        hs.peer.initiation_consumed(source, now)

    def _receive_response(self, data, source, now):
        if not self._handshake_gate(data, RESP_SENDER, source, now):
            return
        peer = self.index.get(noise.receiver_index(data))
        if not isinstance(peer, Peer) or peer.handshake.state != noise.CREATED_INITIATION:
            self.count_drop("unknown_index")
            return
        try:
            noise.consume_response(self.identity, peer.handshake, data)
        except noise.Rejected as e:
            peer.drop(e.args[0])
            return
        peer.response_consumed(source, now)

    def _receive_cookie_reply(self, data, now):
        owner = self.index.get(u32(data, COOKIE_RECEIVER))
        peer = owner.peer if isinstance(owner, Keypair) else owner
        if peer is None:
            self.count_drop("unknown_index")
        elif peer.cookies.consume_reply(data, now):
            peer.received["cookie"] += 1
        else:
            peer.drop("bad_cookie")

    def _receive_transport(self, data, source, now):
        kp = self.index.get(u32(data, DATA_RECEIVER))
        if not isinstance(kp, Keypair):
            self.count_drop("unknown_index")
            return
        peer = kp.peer
        if not kp.can_receive(now):
            peer.drop("expired_keypair")
            return
        counter = u64(data, DATA_COUNTER)
        sealed = memoryview(data)[TRANSPORT_HEADER_SIZE:]
        n = len(sealed) - crypto.TAG_SIZE
        out = self.rx_buffer if n <= len(self.rx_buffer) else bytearray(n)  # bigger than our MTU: rare
        if not crypto.aead_decrypt_into(kp.receive_key, counter, sealed, out):
            peer.drop("bad_tag")
            return
        plaintext = memoryview(out)[:n]
        if not kp.replay.validate(counter):
            peer.drop("replay")
            return
        packet = peer.transport_received(kp, plaintext, source, now)
        if packet is None:
            return
        if self.sink is not None:
            self.sink(packet, peer)
        else:
            self.inbox.append((bytes(packet), peer))

    # --- Time ---

    def up(self, now):
        """The interface came up: peers with a persistent keepalive send one at once."""
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

    def due(self, now):
        d = self.next_deadline()
        return d is not None and ticks_diff(now, d) >= 0
