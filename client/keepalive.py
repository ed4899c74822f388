"""Persistent keepalive policies, behind one small interface the peer calls.

`standard`: the kernel's semantics (protocol.md §4): the timer is re-armed on every authenticated
packet in either direction; on expiry a keepalive is sent (a handshake first if there is no
session). The `power` policy (keepalive.md) is added beside it by the client issue.

Interface: authenticated_traversal(now), datagram_sent(now), deadline, expired(now) -> action,
up(now) -> action, rekey_on_keepalive. Actions are SEND_KEEPALIVE or None.
"""
from .compat import const, ticks_add

SEND_KEEPALIVE = const(1)


class StandardKeepalive:
    name = "standard"
    rekey_on_keepalive = True  # kernel: keep_key_fresh() runs after every send, keepalives included

    def __init__(self, interval_s):
        self.interval_ms = interval_s * 1000
        self.deadline = None

    def authenticated_traversal(self, now):
        # Called before sending / after receiving any authenticated packet.
        if self.interval_ms:
            self.deadline = ticks_add(now, self.interval_ms)

    def datagram_sent(self, now):
        pass

    def expired(self, now):
        self.deadline = None
        return SEND_KEEPALIVE if self.interval_ms else None

    def up(self, now):
        # One keepalive when the interface comes up with an interval set (wg(8)).
        return SEND_KEEPALIVE if self.interval_ms else None

    def set_interval(self, interval_s, now):
        """Change the interval; going from off to on sends one keepalive at once (wg(8))."""
        was_off = not self.interval_ms
        self.interval_ms = interval_s * 1000
        if not self.interval_ms:
            self.deadline = None
            return None
        return SEND_KEEPALIVE if was_off else None
