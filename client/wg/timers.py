"""Per-peer timers, as the kernel's timers.c (protocol.md §4).

Timers are deadlines in ms ticks, nothing fires periodically:
- retransmit_handshake: REKEY_TIMEOUT + jitter after an initiation; resend or give up.
- send_keepalive: KEEPALIVE_TIMEOUT after data was received and nothing sent (passive keepalive).
- new_handshake: KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + jitter after data was sent and nothing received.
- zero_key_material: 3 * REJECT_AFTER_TIME after a session was derived; erase all keys.
The persistent keepalive belongs to the keepalive policy (keepalive.py). The hooks below are
called by the peer; each says when ("Should be called after ..."). The peer handles expiries.
"""
from ..compat import const, earliest, ticks_add, ticks_diff
from .constants import KEEPALIVE_TIMEOUT_MS, REKEY_TIMEOUT_MS, ZERO_KEYS_AFTER_MS

RETRANSMIT_HANDSHAKE = const(0)
SEND_KEEPALIVE = const(1)
NEW_HANDSHAKE = const(2)
ZERO_KEY_MATERIAL = const(3)
_COUNT = const(4)


class Timers:
    def __init__(self):
        self.deadline = [None] * _COUNT
        self.handshake_attempts = 0
        self.need_another_keepalive = False
        self.sent_lastminute_handshake = False

    def _arm(self, which, now, delay_ms):
        self.deadline[which] = ticks_add(now, delay_ms)

    def cancel(self, which):
        self.deadline[which] = None

    def pending(self, which):
        return self.deadline[which] is not None

    def next_deadline(self):
        d = None
        for when in self.deadline:
            d = earliest(d, when)
        return d

    def due(self, now):
        """The timers whose deadline has passed, each disarmed (returned in timer order)."""
        fired = []
        for which in range(_COUNT):
            when = self.deadline[which]
            if when is not None and ticks_diff(now, when) >= 0:
                self.deadline[which] = None
                fired.append(which)
        return fired

    # Should be called after an authenticated data packet is sent (not a keepalive).
    def data_sent(self, now, jitter_ms):
        if not self.pending(NEW_HANDSHAKE):
            self._arm(NEW_HANDSHAKE, now, KEEPALIVE_TIMEOUT_MS + REKEY_TIMEOUT_MS + jitter_ms)

    # Should be called after an authenticated data packet is received (not a keepalive).
    def data_received(self, now):
        if not self.pending(SEND_KEEPALIVE):
            self._arm(SEND_KEEPALIVE, now, KEEPALIVE_TIMEOUT_MS)
        else:
            self.need_another_keepalive = True

    # Should be called after any type of authenticated packet is sent: keepalive, data, handshake.
    def any_authenticated_packet_sent(self):
        self.cancel(SEND_KEEPALIVE)

    # Should be called after any type of authenticated packet is received: keepalive, data, handshake.
    def any_authenticated_packet_received(self):
        self.cancel(NEW_HANDSHAKE)

    # Should be called after a handshake initiation message is sent.
    def handshake_initiated(self, now, jitter_ms):
        self._arm(RETRANSMIT_HANDSHAKE, now, REKEY_TIMEOUT_MS + jitter_ms)

    # Should be called after a handshake response is consumed (initiator) or the first data
    # arrives under the new keys (responder).
    def handshake_complete(self):
        self.cancel(RETRANSMIT_HANDSHAKE)
        self.handshake_attempts = 0
        self.sent_lastminute_handshake = False

    # Should be called after ephemeral keys are derived into a new keypair.
    def session_derived(self, now):
        self._arm(ZERO_KEY_MATERIAL, now, ZERO_KEYS_AFTER_MS)

    # Should be called when the passive keepalive fired: re-arm once if more data came meanwhile.
    def keepalive_sent_for_data(self, now):
        if self.need_another_keepalive:
            self.need_another_keepalive = False
            self._arm(SEND_KEEPALIVE, now, KEEPALIVE_TIMEOUT_MS)

    # Should be called when handshake retries gave up.
    def handshake_gave_up(self, now):
        self.cancel(SEND_KEEPALIVE)
        if not self.pending(ZERO_KEY_MATERIAL):
            self._arm(ZERO_KEY_MATERIAL, now, ZERO_KEYS_AFTER_MS)
