"""Back-off after a failing loop step (a board's heap ran out mid-packet): the failures are counted,
consecutive ones make the next step wait longer, and only 1, 2, 4, 8, ... of them are worth a log
line. No clock: the loop sleeps `delay_ms()` itself."""
from ..compat import const

_FIRST_MS = const(10)
_MAX_MS = const(1000)
_STREAK_CAP = const(8)  # 10 ms << 7 already passes the maximum


class Backoff:
    def __init__(self):
        self.failures = 0  # in all (the status shows it)
        self.streak = 0  # consecutive ones

    def failed(self):
        """Count one failure; True when this one should be logged (powers of two: no log flood)."""
        self.failures += 1
        self.streak = min(self.streak + 1, _STREAK_CAP)
        return self.failures & (self.failures - 1) == 0

    def succeeded(self):
        self.streak = 0

    def delay_ms(self):
        """How long to wait before the next step: 0, then 10 ms doubling to 1 s."""
        return min(_MAX_MS, _FIRST_MS << (self.streak - 1)) if self.streak else 0
