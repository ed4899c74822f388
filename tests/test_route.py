"""The routing decision of `client.start(config, route=True)` (client/wg/route.py), sans-I/O, both
runtimes: a connection goes through the tunnel for an address inside a peer's allowed IPs and to
the board's own stack otherwise; a server bound to every address listens on both, bound to the
tunnel address on the tunnel only, anything else on the board's stack only."""
from client.net.addr import parse_ip
from client.wg import route
from client.wg.allowedips import AllowedIPs

OWN = [parse_ip("192.0.2.2")[1]]


def _table():
    t = AllowedIPs()
    t.insert("192.0.2.0/24", "server")
    t.insert("198.51.100.7/32", "other peer")
    t.insert("fd00::/64", "server")
    return t


def test_connections_inside_allowed_ips_go_through_the_tunnel():
    t = _table()
    for host in ("192.0.2.1", "192.0.2.254", "198.51.100.7", bytes((192, 0, 2, 9)), "fd00::1"):
        assert route.connection(t, OWN, host) == route.TUNNEL, host


def test_other_connections_go_to_the_boards_stack():
    t = _table()
    for host in ("127.0.0.1", "203.0.113.2", "198.51.100.8", "100.64.0.1", "fd01::1", "::1",
                 "192.0.3.1", "0.0.0.0"):
        assert route.connection(t, OWN, host) == route.LOCAL, host
    assert route.connection(t, OWN, "192.0.2.2") == route.LOCAL  # the device's own tunnel address
    assert route.connection(AllowedIPs(), OWN, "192.0.2.1") == route.LOCAL  # no peer, no tunnel route


def test_names_and_bad_input_go_to_the_boards_stack():
    t = _table()
    for host in ("localhost", "broker.example", "", None, 5, "192.0.2", "192.0.2.300", b"\x01\x02",
                 "1.2.3.4.5", ["192.0.2.1"]):
        assert route.connection(t, OWN, host) == route.LOCAL, host


def test_servers_on_every_address_listen_on_both():
    for host in (None, "", "0.0.0.0", "::"):
        assert route.server(OWN, host, 80) == route.BOTH, host


def test_servers_on_the_tunnel_address_listen_on_the_tunnel_only():
    assert route.server(OWN, "192.0.2.2", 80) == route.TUNNEL
    assert route.server(OWN + [parse_ip("192.0.2.3")[1]], "192.0.2.3", 8080) == route.TUNNEL


def test_other_servers_listen_on_the_boards_stack_only():
    for host in ("127.0.0.1", "100.64.0.2", "192.0.2.1", "localhost", "fd00::2", 7):
        assert route.server(OWN, host, 80) == route.LOCAL, host
    for port in (0, -1, 65536, None, "80", True):  # port 0: the system picks one; the tunnel cannot
        assert route.server(OWN, "0.0.0.0", port) == route.LOCAL, port


def test_address_parses_text_and_bytes_only():
    assert route.address("192.0.2.1") == (4, bytes((192, 0, 2, 1)))
    assert route.address(bytes(16))[0] == 6 and route.address(bytearray(4)) == (4, bytes(4))
    assert route.address("vpn.example") is None and route.address(None) is None and route.address(b"abc") is None
