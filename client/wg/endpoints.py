"""Where the peers are: configured endpoint names, when to look them up again, and when the local
network changed. Decisions only; the loop does the lookups (getaddrinfo) and owns the socket."""
from ..compat import const

REFRESOLVE_EVERY = const(3)  # handshake retries between lookups of a peer's endpoint name


def is_ip_literal(host):
    return all(c in "0123456789." for c in host) or ":" in host


class Target:
    """A peer's configured endpoint "host:port"; the peer's current endpoint may roam away from it."""

    def __init__(self, peer, host, port):
        self.peer = peer
        self.host = host
        self.port = port
        self.attempts_seen = 0

    def lookup_due(self):
        """True after every REFRESOLVE_EVERY-th failed handshake for a name (the server may have
        moved); each retry count is judged once."""
        attempts = self.peer.timers.handshake_attempts
        if attempts == self.attempts_seen:
            return False
        self.attempts_seen = attempts
        return attempts % REFRESOLVE_EVERY == 0 and attempts > 0 and not is_ip_literal(self.host)

    def resolved(self, address):
        # The unix port's getaddrinfo gives a sockaddr as bytes; keep one immutable form.
        self.peer.endpoint = bytes(address) if isinstance(address, (bytes, bytearray)) else address


class Endpoints:
    def __init__(self):
        self.targets = []
        self.local_address = None  # the address our datagrams leave from, when the runtime can tell

    def add(self, peer, host, port):
        self.targets.append(Target(peer, host, port))

    def lookups_due(self):
        return [t for t in self.targets if t.lookup_due()]

    def probe_endpoint(self):
        """The endpoint whose route tells the local address (the first peer's), or None."""
        return self.targets[0].peer.endpoint if self.targets else None

    def local_address_seen(self, address):
        """Record the local address now in use; True when it changed from one known address to
        another (a new network: keepalive.md 4a), not when it appears or goes away."""
        previous, self.local_address = self.local_address, address
        return previous is not None and address is not None and previous != address
