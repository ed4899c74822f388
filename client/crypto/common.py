"""What both hot-loop modules (`primitives`, `viper`) and the pure backend share, kept apart so a
board running the viper loops never loads the plain-Python ones."""

BLAKE2S_IV = (0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
              0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19)


def ct_equal(a, b, n):
    """True if the first n bytes are equal; every byte is compared (no early exit on a forgery)."""
    diff = 0
    for i in range(n):
        diff |= a[i] ^ b[i]
    return diff == 0
