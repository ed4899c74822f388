"""The receive path of a device: one datagram, checked cheapest first, to the peer it belongs to.

Per message type: size and type; then the receiver index (response, cookie reply, transport) and
mac1 (initiation, response); then, under load, mac2 — without it a cookie reply (rate-limited per
source) and no X25519; only then any X25519 or AEAD (protocol.md §3, README "Under load"). A
transport counter already seen or too old is refused before its AEAD. Every refusal is a counted
drop, never an error.
"""
from .. import crypto
from . import noise
from .constants import (INITIATION_VERIFY_DH, MESSAGE_COOKIE_REPLY, MESSAGE_INITIATION, MESSAGE_RESPONSE,
                        MESSAGE_TRANSPORT, RESPONSE_CREATE_DH, RESPONSE_VERIFY_DH, TRANSPORT_HEADER_SIZE)
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

    def _handshake_gate(self, data, sender_offset, source, now, verify_dh, total_dh):
        """mac1; then the load: under load a valid mac2 and room in the handshake budget, else a
        cookie reply (when this source may have one). True: go on to the X25519 work."""
        dev = self.device
        checker = dev.cookie_checker
        if not checker.mac1_valid(data):
            dev.count_drop("bad_mac1")
            return False
        if not (dev.load.asked(now, verify_dh) or dev.under_load):
            return True
        cookie = checker.cookie_for(source, now)
        if checker.mac2_valid(data, cookie):
            if dev.load.affordable(now, total_dh):
                return True
            dev.count_drop("over_budget")
            return False
        if not dev.cookie_limiter.allow(source, self._peer_at(source), now):
            dev.count_drop("rate_limited")
            return False
        dev.output(checker.create_reply(data, u32(data, sender_offset), cookie), source)
        dev.count_drop("cookie_sent")
        return False

    def _peer_at(self, source):
        for peer in self.device.peers:
            if peer.endpoint is not None and peer.endpoint == source:
                return peer
        return None

    def _initiation(self, data, source, now):
        if not self._handshake_gate(data, INIT_SENDER, source, now, INITIATION_VERIFY_DH,
                                    INITIATION_VERIFY_DH + RESPONSE_CREATE_DH):
            return
        dev = self.device
        try:
            hs = noise.consume_initiation(dev.identity, data, dev.handshake_for, now)
        except noise.Rejected as e:
            dev.count_drop(e.args[0])
            return
        finally:
            dev.load.spent(now, INITIATION_VERIFY_DH)
        hs.peer.initiation_consumed(source, now)
        dev.load.spent(now, RESPONSE_CREATE_DH, True)

    def _response(self, data, source, now):
        dev = self.device
        peer = dev.index.get(noise.receiver_index(data))
        if not isinstance(peer, Peer) or peer.handshake.state != noise.CREATED_INITIATION:
            dev.count_drop("unknown_index")
            return
        if not self._handshake_gate(data, RESP_SENDER, source, now, RESPONSE_VERIFY_DH, RESPONSE_VERIFY_DH):
            return
        try:
            noise.consume_response(dev.identity, peer.handshake, data)
        except noise.Rejected as e:
            peer.drop(e.args[0])
            return
        finally:
            dev.load.spent(now, RESPONSE_VERIFY_DH)
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
        if not kp.replay.fresh(counter):
            peer.drop("replay")  # seen or too old: refused before the AEAD
            return
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
