"""Known-answer self-test of the crypto in use: run it on a board after flashing.

    >>> import client.crypto.selftest           # prints one line per check; .passed is the verdict
    python3 -m client.crypto.selftest / micropython -m client.crypto.selftest   # exit status 0 / 1

The checks run once, when the module is first imported (as -m runs it); main() runs them again.

Long outputs are compared through their BLAKE2s digest to keep this module small on flash.
"""
import sys

from client import crypto

_SUNSCREEN = (b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for "
              b"the future, sunscreen would be it.")
_KEY_80 = bytes(range(0x80, 0xA0))
_AAD = bytes.fromhex("50515253c0c1c2c3c4c5c6c7")


def _x25519():
    # RFC 7748 §5.2, first vector.
    k = bytes.fromhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4")
    u = bytes.fromhex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")
    return crypto.x25519(k, u).hex() == "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"


def _aead():
    # RFC 8439 §2.8.2 (digest of ciphertext || tag) and the round trip.
    nonce = bytes.fromhex("070000004041424344454647")
    sealed = crypto.chacha20_poly1305_encrypt(_KEY_80, nonce, _SUNSCREEN, _AAD)
    return (sealed[-16:].hex() == "1ae10b594f09e26a7e902ecbd0600691"
            and crypto.blake2s(sealed).hex() == "c901f4db24ef31de1322831b6dff6dac1ce9b8ca93995d5a9811864a742ab128"
            and crypto.chacha20_poly1305_decrypt(_KEY_80, nonce, sealed, _AAD) == _SUNSCREEN)


def _xaead():
    # draft-irtf-cfrg-xchacha-03 A.3.1 (digest of ciphertext || tag).
    nonce = bytes.fromhex("404142434445464748494a4b4c4d4e4f5051525354555657")
    sealed = crypto.xaead_encrypt(_KEY_80, nonce, _SUNSCREEN, _AAD)
    return (sealed[-16:].hex() == "c0875924c1c7987947deafd8780acf49"
            and crypto.blake2s(sealed).hex() == "d2a27fef3afda67194a0dee400c2f7d8a1561829a00706e57a95e02919f49763")


def _blake2s():
    # RFC 7693 App. C, and BLAKE2s(CONSTRUCTION) = wireguard-go's initial chaining key.
    return (crypto.blake2s(b"abc").hex() == "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982"
            and crypto.blake2s(b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s").hex()
            == "60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36")


def _hmac():
    return (crypto.hmac(b"key", b"The quick brown fox jumps over the lazy dog").hex()
            == "f93215bb90d4af4c3061cd932fb169fb8bb8a91d0b4022baea1271e1323cd9a0")


CHECKS = (("X25519 (RFC 7748 5.2)", _x25519), ("ChaCha20-Poly1305 (RFC 8439 2.8.2)", _aead),
          ("XChaCha20-Poly1305 (draft A.3.1)", _xaead), ("BLAKE2s (RFC 7693 C)", _blake2s),
          ("HMAC-BLAKE2s", _hmac))


def run():
    """Print one line per check; True when all pass."""
    ok = True
    for label, check in CHECKS:
        passed = check()
        ok = ok and passed
        print("  %-36s %s" % (label, "ok" if passed else "FAILED"))
    return ok


def main():
    print("crypto self-test, %s, backend %s" % (sys.implementation.name, crypto.backend))
    ok = True
    for name in crypto.available():
        crypto.use(name)
        print(" backend", crypto.backend)
        ok = run() and ok
    print("self-test " + ("passed" if ok else "FAILED"))
    return ok


passed = main()
if __name__ == "__main__":
    sys.exit(0 if passed else 1)
