"""WireGuard's cryptography behind one API (protocol.md §2, §3).

Two backends compute the same functions: "pycryptodome" (CPython's default, C code) and "pure"
(our own Python, viper-accelerated on MicroPython, the default there). The backend is chosen once
at import; `use(name)` switches it (tests, benchmarks). Callers pass bytes-like values; misuse
(wrong type or size) raises ValueError naming the argument, while a forged or corrupted message
makes the decrypt functions return None.
"""
import os

try:
    from . import backend_pycryptodome as _pycryptodome
except ImportError:  # MicroPython, or CPython without pycryptodome
    _pycryptodome = None
from . import backend_pure as _pure
from . import curve25519

KEY_SIZE = 32
TAG_SIZE = 16
XNONCE_SIZE = 24
HASH_SIZE = 32
_BLOCK_SIZE = 64  # BLAKE2s block: HMAC pads keys to this (RFC 2104)
_COUNTER_LIMIT = 1 << 64

_backend = _pycryptodome or _pure
backend = _backend.name


def use(name):
    """Select the backend by name: "pycryptodome" or "pure"."""
    global _backend, backend
    if name == "pycryptodome" and _pycryptodome is not None:
        _backend = _pycryptodome
    elif name == "pure":
        _backend = _pure
    else:
        raise ValueError("backend must be 'pure' or 'pycryptodome' (if installed), not %r" % (name,))
    backend = _backend.name


def available():
    """Names `use` accepts on this runtime."""
    return ["pycryptodome", "pure"] if _pycryptodome is not None else ["pure"]


# Type checks against module-level tuples: a tuple written in the call would be built (allocated)
# on every call, which costs as much as a short encryption on a board.
_BUFFER_TYPES = (bytes, bytearray, memoryview)
_WRITABLE_TYPES = (bytearray, memoryview)


def _buf(value, arg, size=None):
    if not isinstance(value, _BUFFER_TYPES):
        raise ValueError("%s must be bytes, not %s" % (arg, type(value).__name__))
    if size is not None and len(value) != size:
        raise ValueError("%s must be %d bytes, not %d" % (arg, size, len(value)))
    return value


def _counter(counter):
    if not isinstance(counter, int) or isinstance(counter, bool) or not 0 <= counter < _COUNTER_LIMIT:
        raise ValueError("counter must be an integer in 0..2^64-1")
    return counter


def _sealed(value):
    _buf(value, "ciphertext_and_tag")
    if len(value) < TAG_SIZE:
        raise ValueError("ciphertext_and_tag must be at least 16 bytes, not %d" % len(value))
    return value


# --- X25519 (RFC 7748) ---

def generate_private():
    """A fresh clamped private key from the OS's random source."""
    return bytes(curve25519.clamp(os.urandom(KEY_SIZE)))


def public_key(private):
    return _backend.public_key(_buf(private, "private", KEY_SIZE))


def x25519(private, public):
    """The shared secret; ValueError when it is all zeros (a low-order public key)."""
    shared = _backend.x25519(_buf(private, "private", KEY_SIZE), _buf(public, "public", KEY_SIZE))
    acc = 0
    for b in shared:
        acc |= b
    if acc == 0:
        raise ValueError("x25519: all-zero shared secret (low-order public key)")
    return shared


# --- ChaCha20-Poly1305 (RFC 8439) and XChaCha20-Poly1305 ---

def aead_encrypt(key, counter, plaintext, ad):
    return _backend.aead_encrypt(_buf(key, "key", KEY_SIZE), _counter(counter),
                                 _buf(plaintext, "plaintext"), _buf(ad, "ad"))


def aead_encrypt_into(key, counter, buf, n):
    """The transport path, in place and without copies: buf[:n] (the padded packet) becomes the
    ciphertext and buf[n:n + 16] the tag; the associated data is empty (protocol.md §5)."""
    if not isinstance(buf, _WRITABLE_TYPES):
        raise ValueError("buf must be a bytearray or memoryview, not %s" % type(buf).__name__)
    if not isinstance(n, int) or not 0 <= n <= len(buf) - TAG_SIZE:
        raise ValueError("n must leave room for the 16-byte tag in buf")
    _backend.seal_into(_buf(key, "key", KEY_SIZE), _counter(counter), buf, n)


def aead_decrypt(key, counter, ciphertext_and_tag, ad):
    return _backend.aead_decrypt(_buf(key, "key", KEY_SIZE), _counter(counter),
                                 _sealed(ciphertext_and_tag), _buf(ad, "ad"))


def aead_decrypt_into(key, counter, ciphertext_and_tag, out):
    """The transport path's decrypt, without allocation: True and the plaintext in
    out[:len(ciphertext_and_tag) - 16], or False for a forgery (out is then not written). Empty ad."""
    _sealed(ciphertext_and_tag)
    if not isinstance(out, _WRITABLE_TYPES) or len(out) < len(ciphertext_and_tag) - TAG_SIZE:
        raise ValueError("out must be a bytearray or memoryview with room for the plaintext")
    return _backend.open_into(_buf(key, "key", KEY_SIZE), _counter(counter), ciphertext_and_tag, out)


def xaead_encrypt(key, nonce24, plaintext, ad):
    return _backend.xaead_encrypt(_buf(key, "key", KEY_SIZE), _buf(nonce24, "nonce24", XNONCE_SIZE),
                                  _buf(plaintext, "plaintext"), _buf(ad, "ad"))


def xaead_decrypt(key, nonce24, ciphertext_and_tag, ad):
    return _backend.xaead_decrypt(_buf(key, "key", KEY_SIZE), _buf(nonce24, "nonce24", XNONCE_SIZE),
                                  _sealed(ciphertext_and_tag), _buf(ad, "ad"))


def chacha20_poly1305_encrypt(key, nonce12, plaintext, ad):
    """RFC 8439 AEAD with an arbitrary 96-bit nonce (test vectors use them; WireGuard uses counters)."""
    return _backend.seal(_buf(key, "key", KEY_SIZE), _buf(nonce12, "nonce12", 12),
                         _buf(plaintext, "plaintext"), _buf(ad, "ad"))


def chacha20_poly1305_decrypt(key, nonce12, ciphertext_and_tag, ad):
    return _backend.open_(_buf(key, "key", KEY_SIZE), _buf(nonce12, "nonce12", 12),
                          _sealed(ciphertext_and_tag), _buf(ad, "ad"))


# --- BLAKE2s (RFC 7693), HMAC (RFC 2104) and WireGuard's KDF ---

def blake2s(data, key=b"", digest_size=32):
    _buf(data, "data")
    _buf(key, "key")
    if len(key) > 32:
        raise ValueError("key must be at most 32 bytes, not %d" % len(key))
    if not isinstance(digest_size, int) or not 1 <= digest_size <= 32:
        raise ValueError("digest_size must be an integer in 1..32")
    return _backend.blake2s(data, key, digest_size)


def hmac(key, data):
    """HMAC-BLAKE2s-256 with a 64-byte block (not BLAKE2s' keyed mode)."""
    _buf(key, "key")
    _buf(data, "data")
    if len(key) > _BLOCK_SIZE:
        key = _backend.blake2s(key, b"", HASH_SIZE)
    whole = getattr(_backend, "hmac", None)  # the rp2 machine code: both hashes, pads included
    if whole is not None:
        return whole(key, data)
    ipad = bytearray(_BLOCK_SIZE)
    ipad[:len(key)] = key
    opad = bytearray(ipad)
    for i in range(_BLOCK_SIZE):
        ipad[i] ^= 0x36
        opad[i] ^= 0x5C
    inner = _backend.blake2s(bytes(ipad) + bytes(data), b"", HASH_SIZE)
    return _backend.blake2s(bytes(opad) + inner, b"", HASH_SIZE)


def kdf(chaining_key, input, n):
    """KDF1/2/3 (protocol.md §2): n (1..3) outputs of 32 bytes, each chained on the previous."""
    _buf(chaining_key, "chaining_key", HASH_SIZE)
    _buf(input, "input")
    if n not in (1, 2, 3):
        raise ValueError("n must be 1, 2 or 3")
    t0 = hmac(chaining_key, input)
    out = []
    prev = b""
    for i in range(1, n + 1):
        prev = hmac(t0, prev + bytes((i,)))
        out.append(prev)
    return tuple(out)
