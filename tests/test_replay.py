"""The replay window: the kernel's selftest/counter.c table, ported (numbered as there).

The kernel's ring has 64-bit blocks; ours has 8-bit blocks, so COUNTER_WINDOW_SIZE here is
REPLAY_WINDOW_BITS - 8. The cases are written in terms of it, as in the original.
"""
from client.wg.constants import REJECT_AFTER_MESSAGES, REPLAY_WINDOW_BITS
from client.wg.replay import ReplayWindow

WINDOW = REPLAY_WINDOW_BITS - 8  # COUNTER_WINDOW_SIZE
LIM = WINDOW + 1  # T_LIM
R = REJECT_AFTER_MESSAGES

NUMBERED = (  # (case, counter, accepted)
    (1, 0, True), (2, 1, True), (3, 1, False), (4, 9, True), (5, 8, True), (6, 7, True), (7, 7, False),
    (8, LIM, True), (9, LIM - 1, True), (10, LIM - 1, False), (11, LIM - 2, True), (12, 2, True),
    (13, 2, False), (14, LIM + 16, True), (15, 3, False), (16, LIM + 16, False), (17, LIM * 4, True),
    (18, LIM * 4 - (LIM - 1), True), (19, 10, False), (20, LIM * 4 - LIM, False),
    (21, LIM * 4 - (LIM + 1), False), (22, LIM * 4 - (LIM - 2), True), (23, LIM * 4 + 1 - LIM, False),
    (24, 0, False), (25, R, False), (26, R - 1, True), (27, R, False), (28, R - 1, False),
    (29, R - 2, True), (30, R + 1, False), (31, R + 2, False), (32, R - 2, False), (33, R - 3, True),
    (34, 0, False),
)


def test_window_size_is_at_least_1024():
    assert WINDOW >= 1024
    assert len(ReplayWindow().ring) * 8 == REPLAY_WINDOW_BITS


def test_kernel_counter_table():
    w = ReplayWindow()
    for case, counter, accepted in NUMBERED:
        assert w.validate(counter) == accepted, case


def _run(counters_then_expect):
    w = ReplayWindow()
    for counter, accepted in counters_then_expect:
        assert w.validate(counter) == accepted, (counter, accepted)


def test_kernel_window_edges():
    _run([(i, True) for i in range(1, WINDOW + 1)] + [(0, True), (0, False)])
    _run([(i, True) for i in range(2, WINDOW + 2)] + [(1, True), (0, False)])
    _run([(i, True) for i in range(WINDOW, -1, -1)])
    _run([(i, True) for i in range(WINDOW + 1, 0, -1)] + [(0, False)])
    _run([(i, True) for i in range(WINDOW, 0, -1)] + [(WINDOW + 1, True), (0, False)])
    _run([(i, True) for i in range(WINDOW, 0, -1)] + [(0, True), (WINDOW + 1, True)])
