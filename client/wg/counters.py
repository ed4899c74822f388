"""A peer's counters and its status snapshot (what `wg show` and this client's status print).

Counting is separate from the protocol: the peer calls `datagram_sent` / `drop` / `received[...]`
and never reads them back, so a new counter changes nothing in the handshake or the timers.
"""
from ..compat import ticks_diff

# Counter names (status and tests use them).
SEND_KINDS = ("data", "keepalive", "initiation", "response", "nat_refresh")
RECEIVE_KINDS = ("data", "keepalive", "initiation", "response", "cookie")


class PeerCounters:
    def __init__(self):
        self.sent = dict((k, 0) for k in SEND_KINDS)
        self.received = dict((k, 0) for k in RECEIVE_KINDS)
        self.handshakes = {"initiator": 0, "responder": 0}
        self.drops = {}
        self.rx_bytes = 0
        self.tx_bytes = 0
        self.wakeups = 0  # expiries that found a timer of this peer due

    def datagram_sent(self, kind, size):
        self.sent[kind] += 1
        self.tx_bytes += size

    def drop(self, reason):
        self.drops[reason] = self.drops.get(reason, 0) + 1


def peer_status(peer, now):
    """Counters and state of `peer` for display (status module) and tests."""
    c = peer.counters
    kp = peer.keypairs.current
    ka = peer.keepalive
    return {
        "public_key": peer.public_key, "endpoint": peer.endpoint,
        "sent": dict(c.sent), "received": dict(c.received), "drops": dict(c.drops),
        "handshakes": dict(c.handshakes), "tx_bytes": c.tx_bytes, "rx_bytes": c.rx_bytes,
        "last_handshake_ago_ms": None if peer.last_handshake is None else ticks_diff(now, peer.last_handshake),
        "session_age_ms": None if kp is None else kp.age_ms(now),
        "keepalive": ka.name, "queued": len(peer.queue), "wakeups": c.wakeups,
        "keepalive_deadline_ms": None if ka.deadline is None else ticks_diff(ka.deadline, now),
    }
