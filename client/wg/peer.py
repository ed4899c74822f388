"""A peer: its handshake, keypairs, timers, cookie jar, keepalive policy and queue.

Functions roughly in the order packets flow: sending data, handshakes, receiving, timer expiry.
Everything takes `now` (ms ticks) and hands datagrams to the device (`Device.output`); what is
counted lives in `counters` (counters.py).
"""
import struct

from .. import crypto
from . import noise
from ..compat import earliest, ticks_diff
from .constants import (MESSAGE_TRANSPORT, QUEUE_MAX_PACKETS, REKEY_AFTER_MESSAGES,
                        REKEY_AFTER_TIME_MS, REKEY_ON_RECEIVE_AFTER_MS, REKEY_TIMEOUT_MS,
                        MAX_TIMER_HANDSHAKES, TRANSPORT_HEADER_SIZE)
from .cookie import CookieJar
from .counters import PeerCounters
from .keepalive import INITIATE, NAT_REFRESH, SEND_KEEPALIVE, StandardKeepalive
from .keypair import Keypair, Keypairs
from .messages import ip_length, ip_source, padded_length
from .timers import (NEW_HANDSHAKE, RETRANSMIT_HANDSHAKE, SEND_KEEPALIVE as PASSIVE_KEEPALIVE,
                     ZERO_KEY_MATERIAL, Timers)

_ZERO_PADDING = bytes(16)  # padding is below 16 bytes (a multiple of 16, capped at the MTU)


class Peer:
    def __init__(self, device, public_key, preshared_key=None, endpoint=None, keepalive=None):
        self.device = device
        self.public_key = bytes(public_key)
        self.handshake = noise.Handshake(device.identity, public_key, preshared_key)
        self.handshake.peer = self
        self.keypairs = Keypairs(device.forget_index)
        self.timers = Timers()
        self.cookies = CookieJar(public_key)
        self.keepalive = keepalive if keepalive is not None else StandardKeepalive(0)
        self.endpoint = endpoint
        self.queue = []  # packets waiting for a session, oldest first
        self.last_sent_handshake = None  # ms ticks of our last initiation or response
        self.last_handshake = None  # ms ticks of the last completed handshake
        self.counters = PeerCounters()

    def drop(self, reason):
        self.counters.drop(reason)
        self.device.count_drop(reason)

    # --- Output ---

    def _output(self, datagram, kind, now):
        self.device.output(datagram, self.endpoint)
        self.counters.datagram_sent(kind, len(datagram))
        self.keepalive.datagram_sent(now)

    def _authenticated_sent(self, now):
        # Before sending an initiation, response, data or keepalive (kernel order).
        self.keepalive.traversal(now)
        self.keepalive.authenticated_sent(now)
        self.timers.any_authenticated_packet_sent()

    def send_nat_refresh(self, now):
        """1 byte to the endpoint: refreshes the NAT mapping; WireGuard peers drop it unread."""
        if self.endpoint is not None:
            self._output(b"\x00", "nat_refresh", now)

    # --- Sending data ---

    def send_packet(self, packet, now):
        """Send an IP packet under the current session, or queue it and ask for one. The packet may
        be a view of the caller's reused buffer: it is sealed at once, or copied into the queue."""
        if not self.queue:
            kp = self.keypairs.current
            if kp is not None and kp.can_send(now):
                self._output(self._seal(kp, packet, now), "data", now)
                self._after_send(True, now)
                return
        if len(self.queue) >= QUEUE_MAX_PACKETS:
            self.queue.pop(0)
            self.drop("queue_full")
        self.queue.append(bytes(packet))
        self.send_staged(now)

    def send_keepalive(self, now):
        if not self.queue:
            self.queue.append(b"")
        self.send_staged(now)

    def send_staged(self, now):
        if not self.queue:
            return
        kp = self.keypairs.current
        if kp is None or not kp.can_send(now):
            # No usable session: keep the packets and ask for one (rate-limited).
            self.send_initiation(now, False)
            return
        data_sent = False
        while self.queue:
            packet = self.queue.pop(0)
            self._output(self._seal(kp, packet, now), "data" if packet else "keepalive", now)
            data_sent = data_sent or bool(packet)
        self._after_send(data_sent, now)

    def _after_send(self, data_sent, now):
        if data_sent:
            self.timers.data_sent(now, self.device.jitter_ms())
        if data_sent or self.keepalive.rekey_on_keepalive:
            self._keep_key_fresh_after_send(now)

    def _seal(self, kp, packet, now):
        counter = kp.send_counter
        kp.send_counter += 1
        n = len(packet)
        padded = padded_length(n, self.device.mtu)
        # Header, packet and zero padding are laid out in the datagram itself and sealed in place;
        # with a datagram sink (sent before the next seal) that datagram is the device's own buffer.
        size = TRANSPORT_HEADER_SIZE + padded + crypto.TAG_SIZE
        buf = self.device.tx_buffer
        if self.device.datagram_sink is not None and size <= len(buf):
            msg = memoryview(buf)[:size]
        else:
            msg = bytearray(size)
        struct.pack_into("<IIQ", msg, 0, MESSAGE_TRANSPORT, kp.remote_index, counter)
        msg[TRANSPORT_HEADER_SIZE:TRANSPORT_HEADER_SIZE + n] = packet
        msg[TRANSPORT_HEADER_SIZE + n:TRANSPORT_HEADER_SIZE + padded] = _ZERO_PADDING[:padded - n]
        crypto.aead_encrypt_into(kp.send_key, counter, memoryview(msg)[TRANSPORT_HEADER_SIZE:], padded)
        self._authenticated_sent(now)
        return msg

    def _keep_key_fresh_after_send(self, now):
        kp = self.keypairs.current
        if kp is not None and kp.sending_valid and (
                kp.send_counter > REKEY_AFTER_MESSAGES
                or (kp.initiator and kp.age_ms(now) >= REKEY_AFTER_TIME_MS)):
            self.send_initiation(now, False)

    # --- Handshakes ---

    def send_initiation(self, now, retry):
        """Send a fresh initiation unless one went out less than REKEY_TIMEOUT ago."""
        if not retry:
            self.timers.handshake_attempts = 0
        last = self.last_sent_handshake
        if last is not None and ticks_diff(now, last) < REKEY_TIMEOUT_MS:
            return
        if self.endpoint is None:
            self.drop("no_endpoint")
            return
        device = self.device
        index = device.assign_index(self, self.handshake.local_index)
        try:
            msg = noise.create_initiation(device.identity, self.handshake, device.new_ephemeral(),
                                          index, device.timestamp())
        except noise.Rejected as e:
            self.drop(e.args[0])
            return
        self.cookies.add_macs(msg, now)
        self._authenticated_sent(now)
        self.last_sent_handshake = now
        self._output(msg, "initiation", now)
        self.timers.handshake_initiated(now, device.jitter_ms())

    def initiation_consumed(self, source, now):
        """The device verified an initiation from this peer: answer it."""
        self.endpoint = source
        self.counters.received["initiation"] += 1
        self._send_response(now)
        self._authenticated_received(now)

    def _send_response(self, now):
        device = self.device
        index = device.assign_index(self, self.handshake.local_index)
        try:
            msg = noise.create_response(self.handshake, device.new_ephemeral(), index)
        except noise.Rejected as e:
            device.forget_index_value(index)
            self.drop(e.args[0])
            return
        self.cookies.add_macs(msg, now)
        self._begin_session(now)
        self._authenticated_sent(now)
        self.last_sent_handshake = now
        self._output(msg, "response", now)

    def response_consumed(self, source, now):
        """The device verified the response to our initiation: the new session is usable."""
        self.endpoint = source
        self.counters.received["response"] += 1
        self._begin_session(now)
        self.timers.handshake_complete()
        self.cookies.mac1_answered = True  # answered by a response: no cookie reply for it is genuine
        self.counters.handshakes["initiator"] += 1
        self.last_handshake = now
        # Queued data, or a keepalive: the responder needs a transport message to confirm the keys.
        self.send_keepalive(now)
        self._authenticated_received(now)

    def _begin_session(self, now):
        hs = self.handshake
        initiator = hs.state == noise.CONSUMED_RESPONSE
        local, remote = hs.local_index, hs.remote_index
        send_key, receive_key = noise.derive_transport_keys(hs)
        kp = Keypair(self, send_key, receive_key, initiator, local, remote, now)
        self.device.index[local] = kp  # the keypair takes over the handshake's index
        hs.local_index = None
        self.keypairs.install(kp)
        self.timers.session_derived(now)

    # --- Receiving ---

    def _authenticated_received(self, now):
        self.timers.any_authenticated_packet_received()
        self.keepalive.traversal(now)

    def transport_received(self, kp, plaintext, source, now):
        """A transport message decrypted under `kp` and passed the replay check."""
        self.endpoint = source
        if self.keypairs.received_with(kp):
            self.timers.handshake_complete()
            self.cookies.mac1_answered = True  # our response was accepted (a forged reply costs no AEAD)
            self.counters.handshakes["responder"] += 1
            self.last_handshake = now
            self.send_staged(now)
        self._keep_key_fresh_after_receive(now)
        self._authenticated_received(now)
        if not plaintext:
            self.counters.received["keepalive"] += 1
            return None
        self.timers.data_received(now)
        n = ip_length(plaintext)
        if not n:
            self.drop("invalid_ip")
            return None
        version, src = ip_source(plaintext)
        if self.device.allowed_ips.lookup(version, src) is not self:
            self.drop("source_not_allowed")
            return None
        self.counters.received["data"] += 1
        self.counters.rx_bytes += n
        return plaintext[:n] if n < len(plaintext) else plaintext

    def _keep_key_fresh_after_receive(self, now):
        # Initiator only: rekey once before the session becomes unusable.
        kp = self.keypairs.current
        if self.timers.sent_lastminute_handshake or kp is None:
            return
        if kp.sending_valid and kp.initiator and kp.age_ms(now) >= REKEY_ON_RECEIVE_AFTER_MS:
            self.timers.sent_lastminute_handshake = True
            self.send_initiation(now, False)

    # --- Timer expiry ---

    def next_deadline(self):
        return earliest(self.timers.next_deadline(), self.keepalive.deadline)

    def expire(self, now):
        d = self.next_deadline()
        if d is not None and ticks_diff(now, d) >= 0:
            self.counters.wakeups += 1
        for which in self.timers.due(now):
            if which == RETRANSMIT_HANDSHAKE:
                self._expired_retransmit_handshake(now)
            elif which == PASSIVE_KEEPALIVE:
                self.send_keepalive(now)
                self.timers.keepalive_sent_for_data(now)
            elif which == NEW_HANDSHAKE:
                # Sent data and heard nothing back for KEEPALIVE_TIMEOUT + REKEY_TIMEOUT.
                self.send_initiation(now, False)
            elif which == ZERO_KEY_MATERIAL:
                self.keypairs.clear()
                self.device.forget_index_value(self.handshake.local_index)
                self.handshake.clear()
        self._expire_keepalive(now)

    def _expire_keepalive(self, now):
        ka = self.keepalive
        while ka.deadline is not None and ticks_diff(now, ka.deadline) >= 0:
            self._keepalive_action(ka.expired(now, self.session_usable(now)), now)

    def _keepalive_action(self, action, now):
        if action == SEND_KEEPALIVE:
            self.send_keepalive(now)
        elif action == NAT_REFRESH:
            self.send_nat_refresh(now)
        elif action == INITIATE:
            self.send_initiation(now, False)

    def session_usable(self, now):
        kp = self.keypairs.current
        return kp is not None and kp.can_send(now)

    def confirm_endpoint(self, now):
        """The local network changed (new socket or address): handshake at once (keepalive.md 4a),
        even within REKEY_TIMEOUT of the last one: that one went out on the old path."""
        self.last_sent_handshake = None
        self.send_initiation(now, False)

    def _expired_retransmit_handshake(self, now):
        # REKEY_ATTEMPT_TIME = 18 retransmits of REKEY_TIMEOUT (see README: the kernel sends one more).
        if self.timers.handshake_attempts >= MAX_TIMER_HANDSHAKES:
            self.timers.handshake_gave_up(now)
            for _ in self.queue:
                self.drop("handshake_gave_up")
            self.queue = []
            return
        self.timers.handshake_attempts += 1
        self.send_initiation(now, True)

    def up(self, now):
        self._keepalive_action(self.keepalive.up(now), now)
