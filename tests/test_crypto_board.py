"""The crypto as the RP2040 runs it: RPI_PICO firmware with client/ frozen, in the emulator.

The machine code (backend "pure (thumb)") against values computed here with pycryptodome,
hashlib and Python integers: RFC 7748 (including the 1,000 iterations), low-order points,
ChaCha20-Poly1305 with and without ad at lengths around the block sizes, tampering, the in-place
transport path at unaligned offsets, BLAKE2s and HMAC. Needs node and the firmware; a firmware
older than client/crypto/ is rebuilt first (tools/firmware rp2-pico, incremental).
"""
from tests.harness import cpython_only


def _run_on_board(script, timeout=600):
    from tests import board
    code, out, err = board.emulate(script, timeout=timeout)
    assert code == 0, "on the board:\n" + out[-2000:] + err[-3000:]
    return out


_PRELUDE = '''
from client import crypto
assert crypto.backend == "pure (thumb)", crypto.backend
def check(name, got, want):
    if got != want:
        raise AssertionError("%s: %r != %r" % (name, got, want))
'''


def _aead_cases():
    from Crypto.Cipher import ChaCha20_Poly1305
    cases = []
    for n, na in ((0, 0), (1, 0), (15, 0), (16, 0), (17, 0), (63, 13), (64, 32), (65, 1), (1420, 0),
                  (1421, 17), (200, 0)):
        key = bytes((7 * i + n) & 0xFF for i in range(32))
        counter = (n * 0x1000193) & 0xFFFFFFFFFFFF
        msg = bytes((i * 31 + na) & 0xFF for i in range(n))
        ad = bytes((i * 5 + 1) & 0xFF for i in range(na))
        c = ChaCha20_Poly1305.new(key=key, nonce=bytes(4) + counter.to_bytes(8, "little"))
        c.update(ad)
        ct, tag = c.encrypt_and_digest(msg)
        cases.append((key, counter, msg, ad, ct + tag))
    return cases


@cpython_only("runs the emulator (node) and pycryptodome")
def test_board_crypto_against_reference_values():
    import hashlib
    import hmac as std_hmac
    from client.crypto import curve25519
    from tests.test_crypto_field import LOW_ORDER
    from tests.test_crypto_x25519 import ALICE_PRIVATE, BOB_PUBLIC, ITERATED, RFC7748_5_2, SHARED
    lines = [_PRELUDE, "import client.crypto.selftest", "assert client.crypto.selftest.passed",
             "h = bytes.fromhex"]
    for k, u, out in RFC7748_5_2:
        lines.append("check('rfc7748', crypto.x25519(h(%r), h(%r)), h(%r))" % (k, u, out))
    lines.append("check('dh', crypto.x25519(h(%r), h(%r)), h(%r))" % (ALICE_PRIVATE, BOB_PUBLIC, SHARED))
    lines.append("check('iter1', crypto.x25519(b'\\x09' + bytes(31), b'\\x09' + bytes(31)), h(%r))"
                 % ITERATED[1])
    for i in range(6):  # random-looking scalars and points, non-canonical ones among them
        k = hashlib.blake2s(b"k%d" % i).digest()
        u = hashlib.blake2s(b"u%d" % i).digest()
        if i % 2:
            u = ((int.from_bytes(u, "little") % 19) + (1 << 255) - 19).to_bytes(32, "little")
        lines.append("check('x%d', crypto.x25519(h(%r), h(%r)), h(%r))"
                     % (i, k.hex(), u.hex(), curve25519.x25519(k, u).hex()))
    lines.append("for u in %r:" % (LOW_ORDER,))
    lines.append("    try:\n        crypto.x25519(h(%r), h(u))\n        raise AssertionError(u)\n"
                 "    except ValueError:\n        pass" % ALICE_PRIVATE)
    for key, counter, msg, ad, sealed in _aead_cases():
        lines.append("key, ctr, msg, ad, sealed = h(%r), %d, h(%r), h(%r), h(%r)"
                     % (key.hex(), counter, msg.hex(), ad.hex(), sealed.hex()))
        lines.append("check('seal %d', crypto.aead_encrypt(key, ctr, msg, ad), sealed)" % len(msg))
        lines.append("check('open %d', crypto.aead_decrypt(key, ctr, sealed, ad), msg)" % len(msg))
        lines.append("bad = bytearray(sealed); bad[len(bad) // 2] ^= 1")
        lines.append("check('forged %d', crypto.aead_decrypt(key, ctr, bad, ad), None)" % len(msg))
        if not ad:
            # The transport path, in place after a header, at every alignment of the datagram.
            lines.append("for off in (16, 17, 18, 19):\n"
                         "    d = bytearray(off + len(sealed)); d[off:off + len(msg)] = msg\n"
                         "    v = memoryview(d)[off:]\n"
                         "    crypto.aead_encrypt_into(key, ctr, v, len(msg))\n"
                         "    check('into', bytes(v), sealed)\n"
                         "    out = bytearray(len(msg) + 3)\n"
                         "    check('open_into', crypto.aead_decrypt_into(key, ctr, v, memoryview(out)[off & 3:]), True)\n"
                         "    check('plain', bytes(out[off & 3:][:len(msg)]), msg)\n"
                         "    v[0 if len(msg) == 0 else 1] ^= 4\n"
                         "    out2 = bytearray(b'\\x55' * len(out))\n"
                         "    check('open_into forged', crypto.aead_decrypt_into(key, ctr, v, out2), False)\n"
                         "    check('untouched', out2, bytearray(b'\\x55' * len(out)))")
    for n in (0, 1, 64, 65, 1420):
        data = bytes((i * 17 + 3) & 0xFF for i in range(n))
        for key in (b"", bytes(range(32))):
            lines.append("check('blake2s %d', crypto.blake2s(h(%r), h(%r), 20), h(%r))"
                         % (n, data.hex(), key.hex(),
                            hashlib.blake2s(data, key=key, digest_size=20).hexdigest()))
        lines.append("check('blake2s view', crypto.blake2s(memoryview(b'x' + h(%r))[1:]), h(%r))"
                     % (data.hex(), hashlib.blake2s(data).hexdigest()))
    k70 = bytes(range(70))
    lines.append("check('hmac', crypto.hmac(h(%r), b'msg'), h(%r))"
                 % (k70.hex(), std_hmac.new(k70, b"msg", hashlib.blake2s).hexdigest()))
    lines.append("print('board crypto ok')")
    out = _run_on_board("\n".join(lines) + "\n")
    assert "board crypto ok" in out


@cpython_only("runs the emulator (node): about 40 s of emulated time")
def test_board_x25519_rfc7748_1000_iterations():
    from tests.test_crypto_x25519 import ITERATED
    script = _PRELUDE + (
        "k = u = b'\\x09' + bytes(31)\n"
        "for i in range(1, 1001):\n"
        "    k, u = crypto.x25519(k, u), k\n"
        "    if i in (1, 1000):\n"
        "        print(i, k.hex())\n")
    out = _run_on_board(script, timeout=900)
    assert out.split() == ["1", ITERATED[1], "1000", ITERATED[1000]]
