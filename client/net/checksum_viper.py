"""The Internet checksum's sum as viper (native) code: MicroPython only (client/net/checksum.py
picks it at import; CPython cannot import this module).

It is the stack's one loop over every byte of a packet, and in bytecode it costs a Pico more than
the packet's encryption (9.2 ms for 1440 bytes, against 2.4 ms to seal and open it). Bytes are read
one at a time through ptr8: any offset of a memoryview, and ESP32 faults on unaligned word loads.
viper ints are 32 bits on the boards, so the sum is folded after every 16 KB (8192 words of at
most 0xFFFF stay below 2^29), outside the inner loop.
"""
import micropython


@micropython.viper
def ones_sum_native(data, start: int, end: int) -> int:
    """16-bit one's-complement sum of data[start:end], folded to at most 17 bits."""
    buf = ptr8(data)  # noqa: F821 (a viper built-in)
    total = 0
    i = start
    last = end - 1  # the last index that starts a whole word is below this
    while i < last:
        stop = i + 16384
        if stop > last:
            stop = last
        while i + 6 < stop:  # four words a turn: a third of the loop's own cost
            total += ((buf[i] << 8) | buf[i + 1]) + ((buf[i + 2] << 8) | buf[i + 3]) \
                + ((buf[i + 4] << 8) | buf[i + 5]) + ((buf[i + 6] << 8) | buf[i + 7])
            i += 8
        while i < stop:
            total += (buf[i] << 8) | buf[i + 1]
            i += 2
        total = (total & 0xFFFF) + (total >> 16)  # the sum mod 0xFFFF is unchanged
    if i < end:
        total += buf[i] << 8
    return total
