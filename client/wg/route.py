"""Where a connection or a server goes when the client routes asyncio (`route=True`): through the
tunnel or to the board's own network stack, decided by address as a kernel route table would.
Decisions only; client/route.py resolves names and makes the connections.

- A connection to an address inside a peer's allowed IPs goes through the tunnel; anything else
  (loopback, the LAN, the Internet, the device's own tunnel address) to the board's own stack.
- A server bound to every address ("0.0.0.0", "::", "" or None) listens on both; bound to one of the
  device's tunnel addresses, on the tunnel only; bound to anything else, on the board's stack only.
  A server on port 0 (the system picks one) stays on the board's stack: the tunnel has no such pick.
"""
from ..net.addr import parse_ip

TUNNEL = "tunnel"
LOCAL = "local"
BOTH = "both"
_EVERY_ADDRESS = ("", "0.0.0.0", "::")


def address(host):
    """(version, address bytes) of an address given as text or bytes; None for a name or garbage."""
    if isinstance(host, (bytes, bytearray)) and len(host) in (4, 16):
        return 4 if len(host) == 4 else 6, bytes(host)
    if not isinstance(host, str):
        return None
    try:
        return parse_ip(host)
    except ValueError:
        return None


def connection(allowed_ips, addresses, host):
    """TUNNEL or LOCAL for a connection to host (an address: a name is resolved by the caller first).
    allowed_ips: the device's cryptokey routing table; addresses: its own tunnel addresses (bytes)."""
    parsed = address(host)
    if parsed is None:
        return LOCAL
    version, raw = parsed
    if raw in addresses:
        return LOCAL  # the device itself, not a peer
    return TUNNEL if allowed_ips.lookup(version, raw) is not None else LOCAL


def server(addresses, host, port):
    """BOTH, TUNNEL or LOCAL for a server bound to (host, port)."""
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        return LOCAL
    if host is None or host in _EVERY_ADDRESS:
        return BOTH
    parsed = address(host)
    if parsed is not None and parsed[0] == 4 and parsed[1] in addresses:
        return TUNNEL
    return LOCAL
