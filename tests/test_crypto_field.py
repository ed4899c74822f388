"""Curve25519 field arithmetic in machine words: edge values, non-canonical inputs, X25519.

Runs on both runtimes against the word-based implementation each one has: MicroPython (unix
port, 64-bit or a 32-bit build) the viper code (`client.crypto.viper25519`, what ESP32 runs);
CPython the RP2040's machine code in the Thumb simulator of tests/test_crypto_thumb.py.
Expected values come from Python integers.
"""
from client import crypto
from tests.harness import MICROPYTHON, backends, cpython_only, raises, unhex

P = (1 << 255) - 19
MASK255 = (1 << 255) - 1

# Edge values as integers (all below 2^256; the u-coordinate decoding masks bit 255).
EDGE = (0, 1, 2, 19, 37, 38, 121665, 1 << 13, (1 << 13) - 1, (1 << 26) + 5, P - 2, P - 1, P, P + 1,
        P + 18, MASK255, 1 << 254, (1 << 255) - 20, 1 << 255, 2 * P, (1 << 256) - 39, (1 << 256) - 1,
        0x5555 << 240, (1 << 128) - 1, ((1 << 128) - 1) << 128)

# u-coordinates of the points of small order (RFC 7748 §6.1: X25519 with them is 0 whatever the
# scalar, which the API refuses), canonical and with bit 255 set (masked by the decoding).
_LOW = ("0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # p - 1
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # p (non-canonical 0)
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")  # p + 1 (1)
LOW_ORDER = _LOW + tuple(u[:62] + "%02x" % (int(u[62:], 16) | 0x80) for u in _LOW)


def le(x):
    return x.to_bytes(32, "little")


def num(b):
    return int.from_bytes(b, "little")


def implementations():
    """(name, module with fe_op and x25519) for this runtime's word-based field arithmetic."""
    if MICROPYTHON:
        try:
            from client.crypto import viper25519
        except (ImportError, SyntaxError, NotImplementedError):
            return []  # a port without the viper emitter: curve25519 (Python ints) only
        return [("viper25519", viper25519)]
    from tests.test_crypto_thumb import thumb
    return [("thumb (simulated)", thumb())]


def _expected(op, x, y, decoded):
    # viper25519 unpacks its operands as u-coordinates (bit 255 masked); thumb takes any value
    # below 2^256. Results are compared mod p (thumb leaves them unreduced but for freeze).
    if decoded:
        x &= MASK255
        y &= MASK255
    return (x * y, x * x, x + y, x - y, 121665 * x, x)[op] % P


def test_field_operations_on_edge_values():
    for name, impl in implementations():
        decoded = name == "viper25519"
        for i, x in enumerate(EDGE):
            for y in [e for j, e in enumerate(EDGE) if j % 5 == i % 5]:
                for op in range(6):
                    got = num(impl.fe_op(op, le(x), le(y)))
                    assert got % P == _expected(op, x, y, decoded), (name, op, hex(x), hex(y))
                    if op == 5 or decoded:
                        assert got < P, (name, op, hex(x))  # reduced (canonical)


def test_field_operations_on_values_with_all_limbs_at_their_maximum():
    # Worst cases of the carry chains: every 13-bit (viper) or 16-bit (thumb) limb all ones,
    # and alternating patterns.
    values = (MASK255, (1 << 256) - 1, int("55" * 32, 16), int("aa" * 32, 16),
              sum(0x1FFF << (26 * i) for i in range(10)), sum(0xFFFF << (32 * i) for i in range(8)))
    for name, impl in implementations():
        decoded = name == "viper25519"
        for x in values:
            for y in values:
                for op in range(6):
                    got = num(impl.fe_op(op, le(x), le(y)))
                    assert got % P == _expected(op, x, y, decoded), (name, op, hex(x), hex(y))


def test_conditional_swap_by_mask():
    for name, impl in implementations():
        for x, y in ((0, P - 1), (P - 20, 19), (12345, 67890)):  # canonical: viper reduces
            assert impl.fe_op(6, le(x), le(y), -1) == (le(y), le(x)), name
            assert impl.fe_op(6, le(x), le(y), 0) == (le(x), le(y)), name


def test_x25519_non_canonical_u_is_reduced_not_rejected():
    # RFC 7748 §5: the top bit is masked and values >= p are taken mod p.
    k = unhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4")
    for name, impl in implementations():
        fast = name == "viper25519"  # the simulator takes seconds per scalar multiplication
        for u in (9, 2) if fast else (9,):
            same = impl.x25519(k, le(u))
            assert impl.x25519(k, le(u + P | 1 << 255)) == same, name  # u + p (< 2^255), bit 255 set
            if fast:
                assert impl.x25519(k, le(u + P)) == same, name
                assert impl.x25519(k, le(u | 1 << 255)) == same, name


def test_x25519_rfc7748_iterated_1_and_1000():
    # RFC 7748 §5.2 on the word arithmetic itself (the simulator manages one iteration; the
    # RP2040 runs all 1000 in tests/test_crypto_board.py).
    from tests.test_crypto_x25519 import ITERATED
    for name, impl in implementations():
        k = u = b"\x09" + bytes(31)
        for i in range(1, 1001 if name == "viper25519" else 2):
            k, u = impl.x25519(k, u), k
            if i in ITERATED:
                assert k == unhex(ITERATED[i]), (name, i)


def test_low_order_points_give_zero_and_the_api_refuses_them():
    k = unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    for name, impl in implementations():
        sample = LOW_ORDER if name == "viper25519" else (LOW_ORDER[2], LOW_ORDER[12])  # simulator: slow
        for u in sample:
            assert impl.x25519(k, unhex(u)) == bytes(32), (name, u)
    for name in backends():
        crypto.use(name)
        for u in LOW_ORDER:
            raises(ValueError, crypto.x25519, k, unhex(u))


def unrolled_multiplication(indent="                "):
    """The text of viper25519._run's unrolled product (radix 2^13, 20 limbs): operands into
    locals, the upper columns 20..38 carried upward, then each lower column with 608 times its
    upper partner folded in, stored and carried (the carry out of limb 19 goes to _carry)."""
    n = 20
    out = [indent + "a%d = p[x + %d]" % (i, i) for i in range(n)]
    out += [indent + "b%d = p[y + %d]" % (i, i) for i in range(n)]

    def column(k):
        return ["a%d * b%d" % (i, k - i) for i in range(max(0, k - n + 1), min(k, n - 1) + 1)]

    def lines(first, terms, cont):
        text, done = [], first
        for i, t in enumerate(terms):
            piece = (" + " if i else "") + t
            if len(done) + len(piece) > 96:
                text.append(done)
                done = cont + "+ " + t
            else:
                done += piece
        text.append(done)
        if len(text) > 1:
            text[0] = text[0].replace(" = ", " = (", 1)
            text[-1] += ")"
        return text

    for k in range(n, 2 * n - 1):
        terms = column(k) + (["(c%d >> 13)" % (k - 1)] if k > n else [])
        out += lines(indent + "c%d = " % k, terms, indent + "       ")
        if k > n:
            out.append(indent + "c%d &= _M13" % (k - 1))
    out += [indent + "c39 = c38 >> 13", indent + "c38 &= _M13"]
    for k in range(n):
        terms = column(k) + ["608 * c%d" % (k + n)] + (["h"] if k else [])
        out += lines(indent + "h = ", terms, indent + "     ")
        out += [indent + "p[o + %d] = h & _M13" % k, indent + "h >>= 13"]
    return "\n".join(out) + "\n"


@cpython_only("reads the module's source text")
def test_viper_multiplication_is_the_generated_schoolbook_product():
    import os
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "client", "crypto", "viper25519.py")
    with open(path) as f:
        assert unrolled_multiplication() in f.read()
