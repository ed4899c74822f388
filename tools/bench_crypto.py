"""Crypto benchmark for one runtime.

    python3 tools/bench_crypto.py [--header]      micropython tools/bench_crypto.py
        Markdown table rows per backend (run by tools/bench).
    python3 tools/bench_crypto.py --table         micropython tools/bench_crypto.py --table
    tools/emulate build/firmware/rp2-pico/firmware.uf2 tools/bench_crypto.py
        The board table (issue 10): X25519, an initiator handshake's crypto, ChaCha20-Poly1305
        and BLAKE2s on 1420 bytes, transport packets/s. On a board (any sys.platform but
        linux/darwin/win32) it is the default: paste the file as it is, with `client` frozen into
        the firmware or copied to the board (the script reads no files).

Every figure is the median of 5 timed runs. Throughput of an AEAD "encrypt+decrypt" is the
packet size divided by the time of one encryption plus one decryption of that packet.
"""
import gc
import sys

sys.path.insert(0, ".")

from client.compat import ticks_diff, ticks_us  # noqa: E402

MICROPYTHON = sys.implementation.name == "micropython"
RUNS = 5


def median_us(fn, reps):
    """Median over RUNS of the time per call, in microseconds."""
    times = []
    for _ in range(RUNS):
        gc.collect()
        t0 = ticks_us()
        for _ in range(reps):
            fn()
        times.append(ticks_diff(ticks_us(), t0) / reps)
    times.sort()
    return times[RUNS // 2]


def handshake_ops(crypto, static_i, static_r_pub, ss_precomputed):
    """The primitive work of one initiator handshake (protocol.md §2: initiation + response)."""
    h = crypto.blake2s(b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s")
    c = h
    ephemeral = crypto.generate_private()
    e_pub = crypto.public_key(ephemeral)
    h = crypto.blake2s(h + static_r_pub)
    h = crypto.blake2s(h + e_pub)
    c = crypto.kdf(c, e_pub, 1)[0]
    c, k = crypto.kdf(c, crypto.x25519(ephemeral, static_r_pub), 2)
    enc = crypto.aead_encrypt(k, 0, crypto.public_key(static_i), h)
    h = crypto.blake2s(h + enc)
    c, k = crypto.kdf(c, ss_precomputed, 2)
    enc = crypto.aead_encrypt(k, 0, bytes(12), h)
    h = crypto.blake2s(h + enc)
    crypto.blake2s(bytes(116), key=crypto.blake2s(b"mac1----" + static_r_pub), digest_size=16)
    # Response: e, ee, se, psk, {} and the transport keys.
    r_e_pub = crypto.public_key(crypto.generate_private())
    c = crypto.kdf(c, r_e_pub, 1)[0]
    c = crypto.kdf(c, crypto.x25519(ephemeral, r_e_pub), 1)[0]
    c = crypto.kdf(c, crypto.x25519(static_i, r_e_pub), 1)[0]
    c, tau, k = crypto.kdf(c, bytes(32), 3)
    h = crypto.blake2s(h + tau)
    crypto.aead_decrypt(k, 0, crypto.aead_encrypt(k, 0, b"", h), h)
    return crypto.kdf(c, b"", 2)


def row(crypto, name):
    crypto.use(name)
    key = bytes(range(32))
    peer = crypto.public_key(crypto.generate_private())
    x = median_us(lambda: crypto.x25519(key, peer), 10 if MICROPYTHON else 50)
    cols = ["%.3f" % (x / 1000)]
    for size in (32, 1420):
        data = bytes(size)
        sealed = crypto.aead_encrypt(key, 1, data, b"")
        t = median_us(lambda: crypto.aead_decrypt(key, 1, crypto.aead_encrypt(key, 1, data, b""), b""), 50)
        cols.append("%.2f" % (size / t))  # bytes per microsecond = MB/s
        assert crypto.aead_decrypt(key, 1, sealed, b"") == data
    data = bytes(1420)
    cols.append("%.2f" % (1420 / median_us(lambda: crypto.blake2s(data), 50)))
    cols.append("%.1f" % median_us(lambda: crypto.hmac(key, data[:64]), 100))
    cols.append("%.1f" % median_us(lambda: crypto.kdf(key, key, 3), 50))
    cols.append(heap(crypto) if MICROPYTHON else "n/a")
    print("| %s | %s | %s |" % (runtime_name(), crypto.backend, " | ".join(cols)))


def runtime_name():
    if MICROPYTHON:
        return "MicroPython %s" % ".".join(str(v) for v in sys.implementation.version[:3])
    return "CPython %d.%d" % sys.version_info[:2]


def heap(crypto):
    """Heap held by the crypto import, and bytes allocated by one handshake's operations."""
    static_i = crypto.generate_private()
    static_r_pub = crypto.public_key(crypto.generate_private())
    ss = crypto.x25519(static_i, static_r_pub)
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    handshake_ops(crypto, static_i, static_r_pub, ss)
    allocated = gc.mem_alloc() - before
    gc.enable()
    return "%d KB import, %d KB/handshake" % (IMPORT_HEAP // 1024, allocated // 1024)


HEADER = ("| runtime | backend | X25519 ms/op | AEAD enc+dec MB/s 32 B | AEAD enc+dec MB/s 1420 B "
          "| BLAKE2s MB/s 1420 B | HMAC µs (64 B) | KDF3 µs | MicroPython heap |\n"
          "|---|---|---|---|---|---|---|---|---|")

def handshake_only():
    """Exit 0 after one handshake's operations: tools/bench bisects the heap size this needs."""
    from client import crypto
    static_i = crypto.generate_private()
    static_r_pub = crypto.public_key(crypto.generate_private())
    handshake_ops(crypto, static_i, static_r_pub, crypto.x25519(static_i, static_r_pub))


def board_table(crypto):
    """The issue-10 table for the backend in use: times of the operations a device repeats."""
    key = bytes(range(32))
    static_i = crypto.generate_private()
    static_r_pub = crypto.public_key(crypto.generate_private())
    ss = crypto.x25519(static_i, static_r_pub)
    peer = crypto.public_key(crypto.generate_private())
    data = bytes(1420)
    slow = MICROPYTHON and not ON_HOST  # a board: fewer repetitions per timed run
    x = median_us(lambda: crypto.x25519(key, peer), 1 if slow else 10)
    hs = median_us(lambda: handshake_ops(crypto, static_i, static_r_pub, ss), 1 if slow else 5)
    aead = median_us(lambda: crypto.aead_decrypt(key, 1, crypto.aead_encrypt(key, 1, data, b""), b""),
                     5 if slow else 50)
    b2s = median_us(lambda: crypto.blake2s(data), 5 if slow else 50)
    # The device's transport path (wg/peer.py _seal, wg/receive.py _transport): the padded packet
    # sealed in place after the 16-byte header of its datagram, then opened into a receive buffer.
    datagram = bytearray(16 + 1420 + 16)
    sealed = memoryview(datagram)[16:]
    received = bytearray(1420 + 64)
    counter = [0]

    def transport():
        c = counter[0]
        counter[0] = c + 1
        crypto.aead_encrypt_into(key, c, sealed, 1420)
        if not crypto.aead_decrypt_into(key, c, sealed, received):
            raise AssertionError("transport round trip failed")

    tr = median_us(transport, 5 if slow else 50)
    print("crypto on %s (%s), backend %s; median of %d runs" % (runtime_name(), machine(), crypto.backend, RUNS))
    print("| operation | time | rate |")
    print("|---|---|---|")
    print("| X25519 (one scalar multiplication) | %.1f ms | %.0f /s |" % (x / 1000, 1e6 / x))
    print("| initiator handshake's crypto (handshake_ops: 6 X25519, 8 KDF, 4 AEAD, hashes, mac1) | %.1f ms |"
          " %.1f /s |" % (hs / 1000, 1e6 / hs))
    print("| ChaCha20-Poly1305 1420 B encrypt + decrypt (aead_encrypt/aead_decrypt) | %.2f ms | %.2f MB/s |"
          % (aead / 1000, 1420 / aead))
    print("| BLAKE2s 1420 B | %.2f ms | %.2f MB/s |" % (b2s / 1000, 1420 / b2s))
    print("| transport: seal + open of a 1420-byte packet (aead_encrypt_into/aead_decrypt_into) | %.2f ms |"
          " %.0f packets/s |" % (tr / 1000, 1e6 / tr))


def machine():
    return getattr(sys.implementation, "_machine", None) or sys.platform


ON_HOST = sys.platform in ("linux", "darwin", "win32")
ARGV = getattr(sys, "argv", None) or []

if __name__ == "__main__" and "--handshake-only" in ARGV:
    handshake_only()
elif __name__ == "__main__" and ("--table" in ARGV or not ON_HOST):
    from client import crypto as _crypto
    for _name in _crypto.available():
        _crypto.use(_name)
        board_table(_crypto)
elif __name__ == "__main__":
    if "--header" in sys.argv:
        print(HEADER)
    gc.collect()
    _before = gc.mem_alloc() if MICROPYTHON else 0
    from client import crypto
    gc.collect()
    IMPORT_HEAP = gc.mem_alloc() - _before if MICROPYTHON else 0
    for backend in crypto.available():
        row(crypto, backend)
