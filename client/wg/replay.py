"""Anti-replay window (RFC 6479), as the kernel's counter_validate() with 8-bit blocks.

Knows nothing of WireGuard but the limit it is given. The ring is a bytearray of
REPLAY_WINDOW_BITS bits; the usable window is one block less (the block being filled).
Call validate() only after the AEAD tag verified, or forgeries would move the window; fresh() is
the read-only check before it (a replayed or too old counter then costs no AEAD, as in boringtun).
"""
from .constants import REJECT_AFTER_MESSAGES, REPLAY_WINDOW_BITS

_BLOCK_BITS = 8


class ReplayWindow:
    def __init__(self, ring_bits=REPLAY_WINDOW_BITS, limit=REJECT_AFTER_MESSAGES):
        self.ring = bytearray(ring_bits // _BLOCK_BITS)
        self.window = ring_bits - _BLOCK_BITS
        self.limit = limit
        self.top = 0  # greatest counter accepted, plus one (0 = none yet)

    def fresh(self, counter):
        """False when validate() would refuse `counter` whatever the tag: at the limit, too old, or
        already seen. Changes nothing."""
        if counter >= self.limit or self.top >= self.limit + 1:
            return False
        counter += 1
        if counter + self.window < self.top:
            return False
        if counter > self.top:
            return True
        return not self.ring[(counter >> 3) % len(self.ring)] & (1 << (counter & 7))

    def validate(self, counter):
        """True (and remembered) the first time `counter` is seen inside the window."""
        if counter >= self.limit or self.top >= self.limit + 1:
            return False
        counter += 1
        if counter + self.window < self.top:
            return False  # too old
        blocks = len(self.ring)
        index = counter >> 3
        if counter > self.top:
            current = self.top >> 3
            for i in range(1, min(index - current, blocks) + 1):
                self.ring[(current + i) % blocks] = 0
            self.top = counter
        index %= blocks
        bit = 1 << (counter & 7)
        if self.ring[index] & bit:
            return False
        self.ring[index] |= bit
        return True
