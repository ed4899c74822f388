"""The handshake clock: strictly increasing, above the persisted mark, rare flash writes."""
import os

from client.wg import tai64n
from client.clock import RESERVE_BLOCK_S, Clock

NS = 1_000_000_000
YEAR_S = 365 * 86400


class Wall:
    def __init__(self, seconds):
        self.ns = seconds * NS

    def __call__(self):
        return self.ns


def _state_file(name):
    path = "/tmp/wgclock-%s-%d.json" % (name, os.getpid() if hasattr(os, "getpid") else 0)
    try:
        os.remove(path)
    except OSError:
        pass
    return path


def test_strictly_increasing_even_when_the_wall_clock_stands_still():
    path = _state_file("mono")
    wall = Wall(1_780_000_000)
    c = Clock(path, wall)
    stamps = [c.tai64n() for _ in range(50)]
    assert all(a < b for a, b in zip(stamps, stamps[1:]))
    assert tai64n.decode(stamps[0])[0] == 1_780_000_000
    assert all(tai64n.decode(s)[1] & 0xFFFFFF == 0 for s in stamps)  # whitened nanoseconds


def test_follows_the_wall_clock_and_writes_once_per_block():
    path = _state_file("blocks")
    wall = Wall(1_780_000_000)
    c = Clock(path, wall)
    assert c.writes == 1  # once per boot
    for hour in range(1, 24):
        wall.ns += 3600 * NS
        c.tai64n()
    assert c.writes == 1  # a day is reserved ahead: no write within it
    wall.ns += 2 * 3600 * NS
    s = c.tai64n()
    assert tai64n.decode(s)[0] == 1_780_000_000 + 25 * 3600
    assert c.writes == 2


def test_reboot_with_the_clock_set_back_stays_above_every_used_timestamp():
    path = _state_file("reboot")
    wall = Wall(1_780_000_000)
    c = Clock(path, wall)
    used = [c.tai64n() for _ in range(3)]
    back = Clock(path, Wall(1_780_000_000 - YEAR_S))  # a board without NTP after a reset
    first = back.tai64n()
    assert first > max(used)
    assert tai64n.decode(first)[0] >= 1_780_000_000 + RESERVE_BLOCK_S


def test_missing_or_corrupt_state_starts_from_the_wall_clock():
    path = _state_file("corrupt")
    with open(path, "w") as f:
        f.write("{corrupt")
    c = Clock(path, Wall(1_780_000_000))
    assert tai64n.decode(c.tai64n())[0] == 1_780_000_000


def test_an_unwritable_state_file_is_reported_once_and_the_clock_runs_on():
    # A board without a writable filesystem (rp2040js cannot program flash; a read-only mount).
    from client import log
    path = "/nonexistent-wg-dir/state.json"
    warnings, real_warning = [], log.warning
    log.warning = warnings.append
    try:
        wall = Wall(1_780_000_000)
        clock = Clock(path, wall=wall)
        assert clock.unsaved and clock.writes == 0
        first = clock.now_ns()
        wall.ns += 2 * RESERVE_BLOCK_S * NS  # past the reservation: tried again, still unsaved
        second = clock.now_ns()
        assert second > first and clock.unsaved and clock.writes == 0
        assert clock.now_ns() > second
    finally:
        log.warning = real_warning
    assert len(warnings) == 1 and "clock state not saved to " + path in warnings[0]
