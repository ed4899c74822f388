"""Cryptokey routing: parsing, longest-prefix match over IPv4 and IPv6, inner-source checks."""
from client.net.addr import format_cidr, parse_cidr, parse_ip
from client.wg.allowedips import AllowedIPs
from tests.harness import raises


def test_parse_and_format():
    assert parse_cidr("192.0.2.77/24") == (4, bytes((192, 0, 2, 0)), 24)
    assert parse_cidr("10.1.2.3") == (4, bytes((10, 1, 2, 3)), 32)
    assert parse_cidr("fd00::1/64") == (6, b"\xfd" + bytes(15), 64)
    assert parse_ip("::1") == (6, bytes(15) + b"\x01")
    assert parse_ip("1:2:3:4:5:6:7:8")[1][-2:] == b"\x00\x08"
    assert format_cidr(*parse_cidr("fd00:1::/32")) == "fd00:1:0:0:0:0:0:0/32"
    for bad in ("1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.4/33", "a.b.c.d", "1::2::3",
                "1:2:3:4:5:6:7:8:9", "fd00::/129", "12345::", "1.2.3.4/-1", "", "1.2.3.4/8/8"):
        raises(ValueError, parse_cidr, bad)


def test_longest_prefix_wins():
    t = AllowedIPs()
    t.insert("0.0.0.0/0", "default")
    t.insert("192.0.2.0/24", "lan")
    t.insert("192.0.2.128/25", "upper")
    t.insert("192.0.2.200/32", "host")
    t.insert("::/0", "v6default")
    t.insert("fd00:1::/32", "v6site")
    assert t.lookup(4, bytes((192, 0, 2, 1))) == "lan"
    assert t.lookup(4, bytes((192, 0, 2, 129))) == "upper"
    assert t.lookup(4, bytes((192, 0, 2, 200))) == "host"
    assert t.lookup(4, bytes((203, 0, 113, 1))) == "default"
    assert t.lookup(6, bytes((0xFD, 0, 0, 1)) + bytes(12)) == "v6site"
    assert t.lookup(6, bytes(16)) == "v6default"
    t.remove("default")
    assert t.lookup(4, bytes((203, 0, 113, 1))) is None
    assert t.of("lan") == ["192.0.2.0/24"]


def test_same_prefix_moves_to_the_new_owner():
    t = AllowedIPs()
    t.insert("192.0.2.0/24", "a")
    t.insert("192.0.2.9/24", "b")  # host bits are ignored: the same prefix
    assert t.lookup(4, bytes((192, 0, 2, 5))) == "b" and t.of("a") == []


def test_non_byte_aligned_prefixes():
    t = AllowedIPs()
    t.insert("100.64.0.0/10", "cgnat")
    assert t.lookup(4, bytes((100, 127, 255, 255))) == "cgnat"
    assert t.lookup(4, bytes((100, 128, 0, 0))) is None
