"""ChaCha20-Poly1305 and XChaCha20-Poly1305: RFC 8439, the XChaCha draft, Wycheproof."""
# tools/test runs this module on the 32-bit board proxy with more heap than 96K: Wycheproof JSON
# files loaded whole (test data, not the client).
UNIX32_HEAP = "512K"
import json

from client import crypto
from client.crypto import primitives
from tests.harness import backends, open_vectors, raises, unhex

SUNSCREEN = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for " \
            b"the future, sunscreen would be it."
KEY_80 = bytes(range(0x80, 0xA0))
AAD_2_8_2 = unhex("50515253c0c1c2c3c4c5c6c7")

RFC8439_2_8_2_CT = unhex(
    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b"
    "1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
    "3ff4def08e4b7a9de576d26586cec64b6116")
RFC8439_2_8_2_TAG = unhex("1ae10b594f09e26a7e902ecbd0600691")

A5_KEY = unhex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0")
A5_COUNTER = 0x0807060504030201  # nonce 00000000 0102030405060708 = WireGuard's 4 zero bytes || LE64
A5_AAD = unhex("f33388860000000000004e91")
A5_PLAIN = (b"Internet-Drafts are draft documents valid for a maximum of six months and may be updated, "
            b"replaced, or obsoleted by other documents at any time. It is inappropriate to use "
            b"Internet-Drafts as reference material or to cite them other than as /\xe2\x80\x9cwork in "
            b"progress./\xe2\x80\x9d")
A5_CT = unhex(
    "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb24c6cfc18755d43eea09ee94e382d26b0"
    "bdb7b73c321b0100d4f03b7f355894cf332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855"
    "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4b9166c767b804d46a59b5216cde7a4e9"
    "9040c5a40433225ee282a1b0a06c523eaf4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a"
    "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a1049e617d91d361094fa68f0ff77987130"
    "305beaba2eda04df997b714d6c6f2c29a6ad5cb4022b02709b")
A5_TAG = unhex("eead9d67890cbb22392336fea1851f38")

XCHACHA_NONCE = unhex("404142434445464748494a4b4c4d4e4f5051525354555657")
XCHACHA_A_3_1 = unhex(
    "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39"
    "ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
    "21f9664c97637da9768812f615c68b13b52e" "c0875924c1c7987947deafd8780acf49")


def test_rfc8439_2_8_2():
    nonce = unhex("070000004041424344454647")
    for name in backends():
        crypto.use(name)
        sealed = crypto.chacha20_poly1305_encrypt(KEY_80, nonce, SUNSCREEN, AAD_2_8_2)
        assert sealed == RFC8439_2_8_2_CT + RFC8439_2_8_2_TAG, name
        assert crypto.chacha20_poly1305_decrypt(KEY_80, nonce, sealed, AAD_2_8_2) == SUNSCREEN


def test_rfc8439_a5_through_the_counter_api():
    for name in backends():
        crypto.use(name)
        assert crypto.aead_decrypt(A5_KEY, A5_COUNTER, A5_CT + A5_TAG, A5_AAD) == A5_PLAIN, name
        assert crypto.aead_encrypt(A5_KEY, A5_COUNTER, A5_PLAIN, A5_AAD) == A5_CT + A5_TAG, name


def test_in_place_transport_seal_and_open_match_the_copying_api():
    # The transport path seals in place inside a larger datagram buffer (after a 16-byte header).
    key = bytes(range(1, 33))
    for name in backends():
        crypto.use(name)
        for n in (0, 1, 15, 16, 17, 63, 64, 65, 200, 1420):
            plain = bytes((i * 7 + n) & 0xFF for i in range(n))
            buf = bytearray(16 + n + 16)
            buf[16:16 + n] = plain
            crypto.aead_encrypt_into(key, 1000 + n, memoryview(buf)[16:], n)
            assert bytes(buf[16:]) == crypto.aead_encrypt(key, 1000 + n, plain, b""), (name, n)
            assert crypto.aead_decrypt(key, 1000 + n, memoryview(buf)[16:], b"") == plain, (name, n)
            assert buf[:16] == bytes(16), (name, n)  # nothing written before the slice
            out = bytearray(n + 5)
            assert crypto.aead_decrypt_into(key, 1000 + n, memoryview(buf)[16:], out), (name, n)
            assert out[:n] == plain and out[n:] == bytes(5), (name, n)
            if n:
                out = bytearray(n)
                buf[16] ^= 1  # a forgery: refused, and nothing is written
                assert not crypto.aead_decrypt_into(key, 1000 + n, memoryview(buf)[16:], out), (name, n)
                assert out == bytes(n), (name, n)


def test_hchacha20_draft_2_2_1():
    key = bytes(range(32))
    nonce = unhex("000000090000004a0000000031415927")
    expect = unhex("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc")
    assert primitives.hchacha20(key, nonce) == expect
    from client.crypto import backend_pure
    assert backend_pure._hot.hchacha20(key, nonce) == expect  # the viper one on MicroPython


def test_xchacha20_poly1305_draft_a_3_1():
    for name in backends():
        crypto.use(name)
        assert crypto.xaead_encrypt(KEY_80, XCHACHA_NONCE, SUNSCREEN, AAD_2_8_2) == XCHACHA_A_3_1, name
        assert crypto.xaead_decrypt(KEY_80, XCHACHA_NONCE, XCHACHA_A_3_1, AAD_2_8_2) == SUNSCREEN


def _wycheproof(path, encrypt, decrypt, nonce_size):
    with open_vectors(path) as f:
        suite = json.load(f)
    for name in backends():
        crypto.use(name)
        seen = 0
        for group in suite["testGroups"]:
            for case in group["tests"]:
                seen += 1
                key, iv, aad = unhex(case["key"]), unhex(case["iv"]), unhex(case["aad"])
                msg, sealed = unhex(case["msg"]), unhex(case["ct"]) + unhex(case["tag"])
                label = (name, case["tcId"])
                if len(iv) != nonce_size:
                    # Other nonce sizes are misuse of this API, never a silent result.
                    assert case["result"] == "invalid", label
                    raises(ValueError, decrypt, key, iv, sealed, aad)
                    raises(ValueError, encrypt, key, iv, msg, aad)
                elif case["result"] == "valid":
                    assert encrypt(key, iv, msg, aad) == sealed, label
                    assert decrypt(key, iv, sealed, aad) == msg, label
                else:
                    assert decrypt(key, iv, sealed, aad) is None, label
        assert seen == suite["numberOfTests"], (seen, suite["numberOfTests"])


def test_wycheproof_chacha20_poly1305():
    _wycheproof("Cipher/wycheproof/chacha20_poly1305_test.json",
                crypto.chacha20_poly1305_encrypt, crypto.chacha20_poly1305_decrypt, 12)


def test_wycheproof_xchacha20_poly1305():
    _wycheproof("Cipher/wycheproof/xchacha20_poly1305_test.json",
                crypto.xaead_encrypt, crypto.xaead_decrypt, 24)


def test_chacha20_keystream_across_block_boundaries():
    # One call over n bytes equals the RFC 8439 block function applied block by block.
    key, nonce = bytes(range(32)), unhex("000000090000004a00000000")
    whole = bytearray(200)
    primitives.chacha20_xor(key, nonce, 1, bytes(200), whole)
    from client.crypto import backend_pure
    fast = bytearray(200)
    backend_pure._hot.chacha20_xor(key, nonce, 1, bytes(200), fast)
    assert fast == whole
    # RFC 8439 §2.3.2: block 1 with this key/nonce (serialized state after the block function).
    assert whole[:16] == unhex("10f1e7e4d13b5915500fdd1fa32071c4")
