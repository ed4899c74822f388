"""X25519: RFC 7748 §5.2 and §6.1, and every Wycheproof x25519 case, on every backend."""
# tools/test runs this module on the 32-bit board proxy with more heap than 96K: the Wycheproof JSON
# file loaded whole (test data, not the client).
UNIX32_HEAP = "512K"
import json

from client import crypto
from tests.harness import backends, open_vectors, raises, unhex

RFC7748_5_2 = (
    # scalar, u-coordinate, output
    ("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
     "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
     "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"),
    ("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
     "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
     "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"),
)
ITERATED = {  # RFC 7748 §5.2: k = u = 9, then k, u = X25519(k, u), k
    1: "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079",
    1000: "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51",
}
ALICE_PRIVATE = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
ALICE_PUBLIC = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
BOB_PRIVATE = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"
BOB_PUBLIC = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
SHARED = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"


def test_rfc7748_vectors():
    for name in backends():
        crypto.use(name)
        for k, u, out in RFC7748_5_2:
            assert crypto.x25519(unhex(k), unhex(u)) == unhex(out), name


def test_rfc7748_iterated_1000():
    for name in backends():
        crypto.use(name)
        k = u = b"\x09" + bytes(31)
        for i in range(1, 1001):
            k, u = crypto.x25519(k, u), k
            if i in ITERATED:
                assert k == unhex(ITERATED[i]), (name, i)


def test_rfc7748_diffie_hellman():
    for name in backends():
        crypto.use(name)
        assert crypto.public_key(unhex(ALICE_PRIVATE)) == unhex(ALICE_PUBLIC)
        assert crypto.public_key(unhex(BOB_PRIVATE)) == unhex(BOB_PUBLIC)
        assert crypto.x25519(unhex(ALICE_PRIVATE), unhex(BOB_PUBLIC)) == unhex(SHARED)
        assert crypto.x25519(unhex(BOB_PRIVATE), unhex(ALICE_PUBLIC)) == unhex(SHARED)


def test_generate_private_is_clamped_and_fresh():
    a, b = crypto.generate_private(), crypto.generate_private()
    assert len(a) == 32 and a != b
    assert a[0] & 7 == 0 and a[31] & 0x80 == 0 and a[31] & 0x40


def test_wycheproof_x25519():
    with open_vectors("Protocol/wycheproof/x25519_test.json") as f:
        suite = json.load(f)
    for name in backends():
        crypto.use(name)
        seen = refused = 0
        for group in suite["testGroups"]:
            for case in group["tests"]:
                seen += 1
                private, public = unhex(case["private"]), unhex(case["public"])
                if "ZeroSharedSecret" in case["flags"]:
                    # WireGuard aborts on an all-zero DH result (protocol.md §2).
                    assert case["shared"] == "00" * 32
                    raises(ValueError, crypto.x25519, private, public)
                    refused += 1
                else:
                    assert crypto.x25519(private, public) == unhex(case["shared"]), (name, case["tcId"])
        assert seen == suite["numberOfTests"] and suite.get("sampledFrom", seen) == 518  # a sample on a board
        assert refused > 0
