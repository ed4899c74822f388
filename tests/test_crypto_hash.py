"""BLAKE2s (RFC 7693 App. C and E, the BLAKE2 keyed KAT), HMAC-BLAKE2s and WireGuard's KDF."""
# tools/test runs this module on the 32-bit board proxy with more heap than 96K: the BLAKE2s KAT
# file's 256 cases kept in a list (test data, not the client).
UNIX32_HEAP = "192K"
from client import crypto
from tests.harness import backends, cpython_only, open_vectors, unhex

CONSTRUCTION = b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
IDENTIFIER = b"WireGuard v1 zx2c4 Jason@zx2c4.com"


def test_rfc7693_appendix_c_abc():
    for name in backends():
        crypto.use(name)
        assert crypto.blake2s(b"abc") == unhex("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982")


def _selftest_seq(n, seed):
    # RFC 7693 App. E: a Fibonacci byte generator.
    a = (0xDEAD4BAD * seed) & 0xFFFFFFFF
    b = 1
    out = bytearray(n)
    for i in range(n):
        t = (a + b) & 0xFFFFFFFF
        a, b = b, t
        out[i] = t >> 24
    return bytes(out)


def test_rfc7693_appendix_e_selftest():
    for name in backends():
        crypto.use(name)
        grand = bytearray()
        for outlen in (16, 20, 28, 32):
            for inlen in (0, 3, 64, 65, 255, 1024):
                data = _selftest_seq(inlen, inlen)
                grand += crypto.blake2s(data, digest_size=outlen)
                grand += crypto.blake2s(data, key=_selftest_seq(outlen, outlen), digest_size=outlen)
        assert crypto.blake2s(grand) == unhex("6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe")


def test_blake2s_keyed_kat():
    cases = []
    with open_vectors("Hash/BLAKE2s/blake2s-test.txt") as f:
        fields = {}
        for line in f:
            if ":" in line and not line.startswith("#"):
                k, v = line.split(":", 1)
                fields[k.strip()] = v.strip()
                if k.strip() == "hash":
                    # [:64]: the file's last line carries a trailing "ok" after the digest.
                    cases.append((unhex(fields["in"]), unhex(fields["key"]), unhex(fields["hash"][:64])))
    assert len(cases) == 256
    for name in backends():
        crypto.use(name)
        for data, key, digest in cases:
            assert crypto.blake2s(data, key=key) == digest, (name, len(data))


def test_noise_constants():
    # C0 = HASH(CONSTRUCTION) is wireguard-go's InitialChainKey; checks the unkeyed path end to end.
    for name in backends():
        crypto.use(name)
        c0 = crypto.blake2s(CONSTRUCTION)
        assert c0 == unhex("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36")
        assert len(crypto.blake2s(c0 + IDENTIFIER)) == 32


def _hmac_reference(key, data):
    import hashlib
    import hmac
    return hmac.new(key, data, hashlib.blake2s).digest()


@cpython_only("cross-check with hashlib's HMAC over BLAKE2s")
def test_hmac_matches_hashlib():
    for name in backends():
        crypto.use(name)
        for key in (b"", b"k", bytes(32), bytes(range(64)), bytes(range(100))):
            for data in (b"", b"abc", bytes(range(200))):
                assert crypto.hmac(key, data) == _hmac_reference(key, data), (name, len(key), len(data))


def test_kdf_is_the_protocol_chain():
    # KDFn (protocol.md §2): t0 = HMAC(ck, in); t1 = HMAC(t0, 0x01); t_i = HMAC(t0, t_{i-1} || i).
    ck, data = bytes(range(32)), b"input material"
    for name in backends():
        crypto.use(name)
        t0 = crypto.hmac(ck, data)
        t1 = crypto.hmac(t0, b"\x01")
        t2 = crypto.hmac(t0, t1 + b"\x02")
        t3 = crypto.hmac(t0, t2 + b"\x03")
        assert crypto.kdf(ck, data, 1) == (t1,)
        assert crypto.kdf(ck, data, 2) == (t1, t2)
        assert crypto.kdf(ck, data, 3) == (t1, t2, t3)


def test_hmac_fixed_vector():
    # Cross-runtime anchor: computed with CPython's hmac + hashlib.blake2s (see test above).
    for name in backends():
        crypto.use(name)
        assert crypto.hmac(b"key", b"The quick brown fox jumps over the lazy dog") == unhex(HMAC_FOX)


HMAC_FOX = "f93215bb90d4af4c3061cd932fb169fb8bb8a91d0b4022baea1271e1323cd9a0"
