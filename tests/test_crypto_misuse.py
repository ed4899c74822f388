"""Bad input: misuse raises ValueError naming the argument; tampering makes decrypt return None."""
from client import crypto
from tests.harness import backends, raises

KEY = bytes(range(32))
NONCE24 = bytes(range(24))


def _message(e):
    return e.args[0]


def test_wrong_types_and_sizes_name_the_argument():
    for name in backends():
        crypto.use(name)
        cases = (
            ("key", crypto.aead_encrypt, (KEY[:31], 0, b"", b"")),
            ("key", crypto.aead_encrypt, ("k" * 32, 0, b"", b"")),
            ("counter", crypto.aead_encrypt, (KEY, -1, b"", b"")),
            ("counter", crypto.aead_encrypt, (KEY, 1 << 64, b"", b"")),
            ("counter", crypto.aead_encrypt, (KEY, "0", b"", b"")),
            ("plaintext", crypto.aead_encrypt, (KEY, 0, "text", b"")),
            ("ad", crypto.aead_encrypt, (KEY, 0, b"", None)),
            ("buf", crypto.aead_encrypt_into, (KEY, 0, b"x" * 15, 0)),
            ("n", crypto.aead_encrypt_into, (KEY, 0, bytearray(20), 5)),
            ("n", crypto.aead_encrypt_into, (KEY, 0, bytearray(20), -1)),
            ("out", crypto.aead_decrypt_into, (KEY, 0, bytes(20), bytearray(3))),
            ("out", crypto.aead_decrypt_into, (KEY, 0, bytes(20), bytes(4))),
            ("ciphertext_and_tag", crypto.aead_decrypt_into, (KEY, 0, bytes(15), bytearray(4))),
            ("ciphertext_and_tag", crypto.aead_decrypt, (KEY, 0, bytes(15), b"")),
            ("ciphertext_and_tag", crypto.aead_decrypt, (KEY, 0, 12345, b"")),
            ("nonce24", crypto.xaead_encrypt, (KEY, bytes(12), b"", b"")),
            ("nonce24", crypto.xaead_decrypt, (KEY, bytes(25), bytes(16), b"")),
            ("private", crypto.x25519, (bytes(31), bytes(32))),
            ("public", crypto.x25519, (KEY, bytes(33))),
            ("private", crypto.public_key, (None,)),
            ("key", crypto.blake2s, (b"", bytes(33))),
            ("digest_size", crypto.blake2s, (b"", b"", 33)),
            ("digest_size", crypto.blake2s, (b"", b"", 0)),
            ("data", crypto.blake2s, ("abc",)),
            ("key", crypto.hmac, ("k", b"")),
            ("chaining_key", crypto.kdf, (bytes(31), b"", 2)),
            ("n", crypto.kdf, (KEY, b"", 4)),
        )
        for arg, fn, args in cases:
            e = raises(ValueError, fn, *args)
            assert arg in _message(e), (name, arg, _message(e))


def _flips(sealed, ad):
    # Every single-bit flip of a short message's ciphertext and tag, and of its ad.
    for i in range(len(sealed) * 8):
        tampered = bytearray(sealed)
        tampered[i >> 3] ^= 1 << (i & 7)
        yield bytes(tampered), ad
    for i in range(len(ad) * 8):
        tampered = bytearray(ad)
        tampered[i >> 3] ^= 1 << (i & 7)
        yield sealed, bytes(tampered)


def test_tampering_returns_none():
    for name in backends():
        crypto.use(name)
        ad = b"header"
        sealed = crypto.aead_encrypt(KEY, 7, b"secret payload", ad)
        for ct, a in _flips(sealed, ad):
            assert crypto.aead_decrypt(KEY, 7, ct, a) is None, name
        assert crypto.aead_decrypt(KEY, 8, sealed, ad) is None  # wrong counter
        assert crypto.aead_decrypt(bytes(32), 7, sealed, ad) is None  # wrong key
        xsealed = crypto.xaead_encrypt(KEY, NONCE24, b"cookie bytes 16!", ad)
        for ct, a in _flips(xsealed, ad):
            assert crypto.xaead_decrypt(KEY, NONCE24, ct, a) is None, name
        assert crypto.aead_decrypt(KEY, 7, sealed, ad) == b"secret payload"


def test_buffers_of_every_kind_are_accepted():
    for name in backends():
        crypto.use(name)
        ref = crypto.aead_encrypt(KEY, 1, b"x" * 40, b"a")
        buf = bytearray(b"zz" + b"x" * 40)
        assert crypto.aead_encrypt(bytearray(KEY), 1, memoryview(buf)[2:], memoryview(b"a")) == ref
        sealed = bytearray(b"\x00" + ref)
        assert crypto.aead_decrypt(memoryview(KEY), 1, memoryview(sealed)[1:], b"a") == b"x" * 40


def test_use_rejects_unknown_backend():
    e = raises(ValueError, crypto.use, "openssl")
    assert "backend" in _message(e)
    crypto.use("pure")
    assert crypto.backend.startswith("pure")
    crypto.use(backends()[0])
