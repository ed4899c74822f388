"""Property tests (CPython): the pure backend equals pycryptodome on random inputs."""
from client import crypto
from tests.harness import cpython_only


def _both(fn_name, *args):
    out = []
    for name in ("pure", "pycryptodome"):
        crypto.use(name)
        out.append(getattr(crypto, fn_name)(*args))
    return out


@cpython_only("hypothesis and pycryptodome")
def test_aead_pure_equals_pycryptodome():
    from hypothesis import given, settings, strategies as st

    @settings(max_examples=150, deadline=None)
    @given(st.binary(min_size=32, max_size=32), st.integers(0, (1 << 64) - 1),
           st.binary(max_size=2000), st.binary(max_size=100))
    def check(key, counter, plaintext, ad):
        a, b = _both("aead_encrypt", key, counter, plaintext, ad)
        assert a == b
        assert _both("aead_decrypt", key, counter, a, ad) == [plaintext, plaintext]

    check()


@cpython_only("hypothesis and pycryptodome")
def test_xaead_pure_equals_pycryptodome():
    from hypothesis import given, settings, strategies as st

    @settings(max_examples=100, deadline=None)
    @given(st.binary(min_size=32, max_size=32), st.binary(min_size=24, max_size=24),
           st.binary(max_size=2000), st.binary(max_size=64))
    def check(key, nonce, plaintext, ad):
        a, b = _both("xaead_encrypt", key, nonce, plaintext, ad)
        assert a == b
        assert _both("xaead_decrypt", key, nonce, a, ad) == [plaintext, plaintext]

    check()


@cpython_only("hypothesis and pycryptodome")
def test_hashes_pure_equal_pycryptodome():
    from hypothesis import given, settings, strategies as st

    @settings(max_examples=150, deadline=None)
    @given(st.binary(max_size=2000), st.binary(max_size=32), st.integers(1, 32), st.binary(max_size=100))
    def check(data, key, size, hkey):
        a, b = _both("blake2s", data, key, size)
        assert a == b and len(a) == size
        a, b = _both("hmac", hkey, data)
        assert a == b
        ck = crypto.blake2s(key)
        a, b = _both("kdf", ck, data, 3)
        assert a == b

    check()


@cpython_only("hypothesis and pycryptodome")
def test_x25519_pure_equals_pycryptodome():
    from hypothesis import given, settings, strategies as st

    @settings(max_examples=40, deadline=None)
    @given(st.binary(min_size=32, max_size=32), st.binary(min_size=32, max_size=32))
    def check(private, public):
        results = []
        for name in ("pure", "pycryptodome"):
            crypto.use(name)
            try:
                results.append(crypto.x25519(private, public))
            except ValueError:
                results.append("zero")
        assert results[0] == results[1]
        assert _both("public_key", private)[0] == _both("public_key", private)[1]

    check()
