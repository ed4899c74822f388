"""The runtime picks the right crypto code (both runtimes)."""
from client import crypto
from client.crypto import backend_pure
from tests.harness import MICROPYTHON


def test_default_backend_per_runtime():
    if MICROPYTHON:
        assert crypto.available() == ["pure"]
        # The unix port has the viper emitter: the accelerated loops must be the ones in use.
        assert backend_pure.name == "pure (viper)", backend_pure.name
    else:
        assert crypto.available() == ["pycryptodome", "pure"]
        assert backend_pure.name == "pure"
