"""The receive path of a device: one datagram, checked cheapest first, to the peer it belongs to.

Per message type: size and type, then the receiver index or mac1, then (under load) mac2, and only
then any X25519 or AEAD work (protocol.md §5, §6). Every refusal is a counted drop, never an error.
"""
from .. import crypto
from . import noise
from .constants import (MESSAGE_COOKIE_REPLY, MESSAGE_INITIATION, MESSAGE_RESPONSE, MESSAGE_TRANSPORT,
                        TRANSPORT_HEADER_SIZE)
from .keypair import Keypair
from .messages import COOKIE_RECEIVER, DATA_COUNTER, DATA_RECEIVER, INIT_SENDER, RESP_SENDER, message_type, u32, u64
from .peer import Peer


class Receiver:
    def __init__(self, device):
        self.device = device

    def receive(self, data, source, now):
        """One UDP datagram from `source`."""
        kind = message_type(data)
        if kind == MESSAGE_TRANSPORT:
            self._transport(data, source, now)
        elif kind == MESSAGE_INITIATION:
            self._initiation(data, source, now)
        elif kind == MESSAGE_RESPONSE:
            self._response(data, source, now)
        elif kind == MESSAGE_COOKIE_REPLY:
            self._cookie_reply(data, now)
        else:
            # Includes the 1-byte NAT refreshes of the power keepalive: never answered.
            self.device.count_drop("short" if len(data) < 32 else "malformed")

    def _handshake_gate(self, data, sender_offset, source, now):
        """mac1 first; under load a valid mac2 too, else answer with a cookie reply."""
        dev = self.device
        checker = dev.cookie_checker
        if not checker.mac1_valid(data):
            dev.count_drop("bad_mac1")
            return False
        if dev.under_load and not checker.mac2_valid(data, source, now):
            dev.output(checker.create_reply(data, u32(data, sender_offset), source, now), source)
            dev.count_drop("cookie_sent")
            return False
        return True

    def _initiation(self, data, source, now):
        if not self._handshake_gate(data, INIT_SENDER, source, now):
            return
        dev = self.device
        try:
            hs = noise.consume_initiation(dev.identity, data, dev.handshake_for, now)
        except noise.Rejected as e:
            dev.count_drop(e.args[0])
            return
        hs.peer.initiation_consumed(source, now)

    def _response(self, data, source, now):
        if not self._handshake_gate(data, RESP_SENDER, source, now):
            return
        dev = self.device
        peer = dev.index.get(noise.receiver_index(data))
        if not isinstance(peer, Peer) or peer.handshake.state != noise.CREATED_INITIATION:
            dev.count_drop("unknown_index")
            return
        try:
            noise.consume_response(dev.identity, peer.handshake, data)
        except noise.Rejected as e:
            peer.drop(e.args[0])
            return
        peer.response_consumed(source, now)

    def _cookie_reply(self, data, now):
        owner = self.device.index.get(u32(data, COOKIE_RECEIVER))
        peer = owner.peer if isinstance(owner, Keypair) else owner
        if peer is None:
            self.device.count_drop("unknown_index")
        elif peer.cookies.consume_reply(data, now):
            peer.counters.received["cookie"] += 1
        else:
            peer.drop("bad_cookie")

    def _transport(self, data, source, now):
        dev = self.device
        kp = dev.index.get(u32(data, DATA_RECEIVER))
        if not isinstance(kp, Keypair):
            dev.count_drop("unknown_index")
            return
        peer = kp.peer
        if not kp.can_receive(now):
            peer.drop("expired_keypair")
            return
        counter = u64(data, DATA_COUNTER)
        sealed = memoryview(data)[TRANSPORT_HEADER_SIZE:]
        n = len(sealed) - crypto.TAG_SIZE
        out = dev.rx_buffer if n <= len(dev.rx_buffer) else bytearray(n)  # bigger than our MTU: rare
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
        if dev.sink is not None:
            dev.sink(packet, peer)
        else:
            dev.inbox.append((bytes(packet), peer))
