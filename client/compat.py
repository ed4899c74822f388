"""What differs between CPython and MicroPython, in one place.

`const` and the wrap-around tick functions exist natively on MicroPython; CPython gets shims
with the same 2^30 wrap as the boards, so wrap-around is exercised on the host too. `earliest`,
the deadline helper of every part, is tick arithmetic too. Only `ticks_ms` and `ticks_us` (for
timing a piece of work: the start-up calibration, benchmarks) read a clock: the sans-I/O parts
(wg/, net/) use the arithmetic and are handed `now` (tests/test_layout.py).
"""
try:
    from micropython import const  # noqa: F401
    from time import ticks_add, ticks_diff, ticks_ms, ticks_us  # noqa: F401
    MICROPYTHON = True
except ImportError:
    import time as _time

    MICROPYTHON = False
    TICKS_PERIOD = 1 << 30
    _HALF = TICKS_PERIOD // 2

    def const(x):
        return x

    def ticks_ms():
        return int(_time.monotonic() * 1000) & (TICKS_PERIOD - 1)

    def ticks_us():
        return int(_time.perf_counter() * 1_000_000) & (TICKS_PERIOD - 1)

    def ticks_add(ticks, delta):
        return (ticks + delta) & (TICKS_PERIOD - 1)

    def ticks_diff(a, b):
        """a - b, wrap-safe for differences below half the period (~6.2 days)."""
        return ((a - b + _HALF) & (TICKS_PERIOD - 1)) - _HALF


def earliest(a, b):
    """The earlier of two ms-tick deadlines, either possibly None."""
    if a is None:
        return b
    if b is None or ticks_diff(a, b) <= 0:
        return a
    return b
