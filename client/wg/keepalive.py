"""Persistent keepalive policies, behind the small interface the peer calls.

`standard`: the kernel's semantics (protocol.md §4). The timer is re-armed on every authenticated
packet in either direction; on expiry a keepalive is sent (a handshake first without a session).
Every send, keepalives included, may start a rekey (keep_key_fresh): ~30 handshakes an idle hour.

`power` (keepalive.md "Required behaviour"): keeps the NAT mapping with as few and as cheap sends as
the interval permits. Its deadline is the last datagram SENT + interval, exactly (inbound packets do
not refresh every NAT). On expiry: an authenticated keepalive if a session can send, else a 1-byte
NAT refresh that costs no crypto; keepalives never start a rekey. An authenticated exchange confirms
the endpoint when the interface comes up or the socket is re-created, and after `confirm_interval`
seconds without any authenticated packet sent.

Interface: traversal(now) [authenticated packet sent or received], authenticated_sent(now),
datagram_sent(now) [anything sent], deadline, expired(now, session_usable) -> action,
up(now) -> action, rekey_on_keepalive, name.
"""
from ..compat import const, earliest, ticks_add, ticks_diff

SEND_KEEPALIVE = const(1)  # an authenticated keepalive (with a handshake first if no session)
NAT_REFRESH = const(2)  # a 1-byte datagram to the endpoint
INITIATE = const(3)  # a handshake, to confirm the endpoint


class StandardKeepalive:
    name = "standard"
    rekey_on_keepalive = True

    def __init__(self, interval_s):
        self.interval_ms = interval_s * 1000
        self.deadline = None

    def traversal(self, now):
        if self.interval_ms:
            self.deadline = ticks_add(now, self.interval_ms)

    def authenticated_sent(self, now):
        pass

    def datagram_sent(self, now):
        pass

    def expired(self, now, session_usable):
        self.deadline = None
        return SEND_KEEPALIVE if self.interval_ms else None

    def up(self, now):
        # One keepalive when the interface comes up with an interval set (wg(8)).
        return SEND_KEEPALIVE if self.interval_ms else None


class PowerKeepalive:
    name = "power"
    rekey_on_keepalive = False  # keys are refreshed for real data only

    def __init__(self, interval_s, confirm_interval_s):
        self.interval_ms = interval_s * 1000
        self.confirm_ms = confirm_interval_s * 1000
        self.nat_deadline = None  # last datagram sent + interval
        self.confirm_deadline = None  # last authenticated packet sent + confirm_interval
        self.deadline = None

    def _update(self):
        self.deadline = earliest(self.nat_deadline, self.confirm_deadline)

    def traversal(self, now):
        pass  # received packets do not refresh every NAT: they move nothing here

    def authenticated_sent(self, now):
        if self.interval_ms and self.confirm_ms:
            self.confirm_deadline = ticks_add(now, self.confirm_ms)
            self._update()

    def datagram_sent(self, now):
        if self.interval_ms:
            self.nat_deadline = ticks_add(now, self.interval_ms)
            self._update()

    def expired(self, now, session_usable):
        if self.confirm_deadline is not None and ticks_diff(now, self.confirm_deadline) >= 0:
            self.confirm_deadline = None
            self._update()
            return INITIATE
        self.nat_deadline = None
        self._update()
        return SEND_KEEPALIVE if session_usable else NAT_REFRESH

    def up(self, now):
        # A new socket (or a new address): confirm the endpoint with a handshake at once.
        return INITIATE
