"""Cryptokey routing (protocol.md §7): longest-prefix match of addresses over the peers' allowed IPs.

Addresses are bytes (4 or 16); matching compares bytes, so IPv4 lookups allocate no big ints on
32-bit boards. A client has a handful of prefixes: a list ordered longest-first is enough.
"""
from ..net.addr import format_cidr, parse_cidr


def _matches(addr, net, prefix):
    full = prefix >> 3
    for i in range(full):
        if addr[i] != net[i]:
            return False
    rest = prefix & 7
    return not rest or (addr[full] & ((0xFF << (8 - rest)) & 0xFF)) == net[full]


class AllowedIPs:
    def __init__(self):
        self._entries = []  # (prefix, version, network, owner), longest prefix first

    def insert(self, cidr, owner):
        version, net, prefix = parse_cidr(cidr)
        # The same prefix moves to its new owner, as with `wg set ... allowed-ips`.
        self._entries = [e for e in self._entries if not (e[1] == version and e[0] == prefix and e[2] == net)]
        self._entries.append((prefix, version, net, owner))
        self._entries.sort(key=lambda e: -e[0])

    def remove(self, owner):
        self._entries = [e for e in self._entries if e[3] is not owner]

    def lookup(self, version, addr):
        for prefix, v, net, owner in self._entries:
            if v == version and _matches(addr, net, prefix):
                return owner
        return None

    def of(self, owner):
        return [format_cidr(v, net, prefix) for prefix, v, net, o in self._entries if o is owner]
