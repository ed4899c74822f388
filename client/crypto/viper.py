"""Viper (native code) versions of the four hot loops in `primitives.py`, bit-for-bit identical.

MicroPython only (ESP32 / RP2040 boards and the unix port); CPython cannot import this module.

Portability rules followed throughout:
* viper `int`/`uint` are 32 bits on the boards but 64 bits on the unix port, so every 32-bit
  add and rotate is masked with `M` (0xFFFFFFFF).  `M` is built at run time because a literal
  0xFFFFFFFF is a big int on 32-bit ports and viper cannot mix it with `uint`.
* Constants >= 2**30 (ChaCha20 sigma, BLAKE2s IV) would be heap ints on the boards, so they
  live in preallocated `array('I')` buffers and are read through ptr32.
* Caller data (keys, nonces, messages, memoryview slices at any offset) is read byte by byte
  through ptr8: ESP32 faults on unaligned 32-bit loads.  Only our own arrays use ptr32.
* No allocation per block; one small `bytes` per call for hchacha20 / poly1305_aead results.
* Module-level scratch buffers make this code non-reentrant (not thread-safe).
"""
import micropython
import struct
from array import array
from micropython import const

_L13 = const(0x1FFF)  # Poly1305 limb mask (radix 2**13)
_HIBIT = const(0x800)  # the 2**128 pad bit, as seen in limb 9 (bit 128 - 9*13 = 11)
_PSCR = const(96)  # byte offset of the 16-byte tail scratch inside _PS (word 24)

# ChaCha20 state, RFC 8439 §2.3: words 0..15 are the input block ("expand 32-byte k", key,
# counter, nonce); words 16..31 receive the most recent keystream block.
_CS = array("I", [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574] + [0] * 28)
_HSCR = bytearray(64)  # hchacha20: throwaway XOR target
_HOUT = bytearray(32)

# Poly1305 state: words 0..9 accumulator h, 10..19 clamped r (both 10 limbs of 13 bits),
# 20..23 s, 24..27 zero-padded tail block scratch.
_PS = array("I", [0] * 28)
_PLEN = bytearray(16)  # le64(len(ad)) || le64(len(ct)), RFC 8439 §2.8
_PTAG = bytearray(16)

# BLAKE2s work area: words 0..15 message m, 16..23 IV (RFC 7693 §2.6), 24 t high word, 25 last.
_BW = array("I", [0] * 16 + [0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
                             0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19, 0, 0])
# RFC 7693 §2.7 message schedule SIGMA, 10 rounds x 16 indices.
_B2S_SIGMA = bytes((
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
    11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4,
    7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8,
    9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13,
    2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9,
    12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11,
    13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10,
    6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5,
    10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
))


# ---------------------------------------------------------------------------------------------
# ChaCha20 / HChaCha20 (RFC 8439 §2.3-2.4, draft-irtf-cfrg-xchacha-03 §2.2)


@micropython.viper
def _chacha_load(st, key, nonce, nw: int):
    # Key -> words 4..11; the nw nonce words -> words 16-nw..15 (3 for ChaCha20, whose word 12
    # is the counter; 4 for HChaCha20).  Little-endian byte assembly: inputs may be unaligned.
    s = ptr32(st)
    k = ptr8(key)
    q = ptr8(nonce)
    i = 0
    while i < 32:
        s[4 + (i >> 2)] = (uint(k[i]) | (uint(k[i + 1]) << 8)
                           | (uint(k[i + 2]) << 16) | (uint(k[i + 3]) << 24))
        i += 4
    base = 16 - nw
    i = 0
    while i < 4 * nw:
        s[base + (i >> 2)] = (uint(q[i]) | (uint(q[i + 1]) << 8)
                              | (uint(q[i + 2]) << 16) | (uint(q[i + 3]) << 24))
        i += 4


@micropython.viper
def _chacha_xor(st, src, dst, n: int):
    # For each 64-byte block: 20 rounds on a copy of words 0..15 held in locals (§2.3; the
    # double round is unrolled because viper cannot inline a quarter-round function), add the
    # input (feed-forward), store the keystream in words 16..31, bump the counter (word 12),
    # then XOR up to 64 bytes.  Byte-wise XOR keeps src/dst alignment-agnostic and makes
    # dst-is-src (in-place) safe.
    s = ptr32(st)
    ks = ptr8(st)
    sp = ptr8(src)
    dp = ptr8(dst)
    M = uint(0xFFFF) | (uint(0xFFFF) << 16)
    off = 0
    while off < n:
        x0 = uint(s[0])
        x1 = uint(s[1])
        x2 = uint(s[2])
        x3 = uint(s[3])
        x4 = uint(s[4])
        x5 = uint(s[5])
        x6 = uint(s[6])
        x7 = uint(s[7])
        x8 = uint(s[8])
        x9 = uint(s[9])
        x10 = uint(s[10])
        x11 = uint(s[11])
        x12 = uint(s[12])
        x13 = uint(s[13])
        x14 = uint(s[14])
        x15 = uint(s[15])
        r = 0
        while r < 10:
            # columns
            x0 = (x0 + x4) & M
            x12 ^= x0
            x12 = ((x12 << 16) | (x12 >> 16)) & M
            x8 = (x8 + x12) & M
            x4 ^= x8
            x4 = ((x4 << 12) | (x4 >> 20)) & M
            x0 = (x0 + x4) & M
            x12 ^= x0
            x12 = ((x12 << 8) | (x12 >> 24)) & M
            x8 = (x8 + x12) & M
            x4 ^= x8
            x4 = ((x4 << 7) | (x4 >> 25)) & M
            x1 = (x1 + x5) & M
            x13 ^= x1
            x13 = ((x13 << 16) | (x13 >> 16)) & M
            x9 = (x9 + x13) & M
            x5 ^= x9
            x5 = ((x5 << 12) | (x5 >> 20)) & M
            x1 = (x1 + x5) & M
            x13 ^= x1
            x13 = ((x13 << 8) | (x13 >> 24)) & M
            x9 = (x9 + x13) & M
            x5 ^= x9
            x5 = ((x5 << 7) | (x5 >> 25)) & M
            x2 = (x2 + x6) & M
            x14 ^= x2
            x14 = ((x14 << 16) | (x14 >> 16)) & M
            x10 = (x10 + x14) & M
            x6 ^= x10
            x6 = ((x6 << 12) | (x6 >> 20)) & M
            x2 = (x2 + x6) & M
            x14 ^= x2
            x14 = ((x14 << 8) | (x14 >> 24)) & M
            x10 = (x10 + x14) & M
            x6 ^= x10
            x6 = ((x6 << 7) | (x6 >> 25)) & M
            x3 = (x3 + x7) & M
            x15 ^= x3
            x15 = ((x15 << 16) | (x15 >> 16)) & M
            x11 = (x11 + x15) & M
            x7 ^= x11
            x7 = ((x7 << 12) | (x7 >> 20)) & M
            x3 = (x3 + x7) & M
            x15 ^= x3
            x15 = ((x15 << 8) | (x15 >> 24)) & M
            x11 = (x11 + x15) & M
            x7 ^= x11
            x7 = ((x7 << 7) | (x7 >> 25)) & M
            # diagonals
            x0 = (x0 + x5) & M
            x15 ^= x0
            x15 = ((x15 << 16) | (x15 >> 16)) & M
            x10 = (x10 + x15) & M
            x5 ^= x10
            x5 = ((x5 << 12) | (x5 >> 20)) & M
            x0 = (x0 + x5) & M
            x15 ^= x0
            x15 = ((x15 << 8) | (x15 >> 24)) & M
            x10 = (x10 + x15) & M
            x5 ^= x10
            x5 = ((x5 << 7) | (x5 >> 25)) & M
            x1 = (x1 + x6) & M
            x12 ^= x1
            x12 = ((x12 << 16) | (x12 >> 16)) & M
            x11 = (x11 + x12) & M
            x6 ^= x11
            x6 = ((x6 << 12) | (x6 >> 20)) & M
            x1 = (x1 + x6) & M
            x12 ^= x1
            x12 = ((x12 << 8) | (x12 >> 24)) & M
            x11 = (x11 + x12) & M
            x6 ^= x11
            x6 = ((x6 << 7) | (x6 >> 25)) & M
            x2 = (x2 + x7) & M
            x13 ^= x2
            x13 = ((x13 << 16) | (x13 >> 16)) & M
            x8 = (x8 + x13) & M
            x7 ^= x8
            x7 = ((x7 << 12) | (x7 >> 20)) & M
            x2 = (x2 + x7) & M
            x13 ^= x2
            x13 = ((x13 << 8) | (x13 >> 24)) & M
            x8 = (x8 + x13) & M
            x7 ^= x8
            x7 = ((x7 << 7) | (x7 >> 25)) & M
            x3 = (x3 + x4) & M
            x14 ^= x3
            x14 = ((x14 << 16) | (x14 >> 16)) & M
            x9 = (x9 + x14) & M
            x4 ^= x9
            x4 = ((x4 << 12) | (x4 >> 20)) & M
            x3 = (x3 + x4) & M
            x14 ^= x3
            x14 = ((x14 << 8) | (x14 >> 24)) & M
            x9 = (x9 + x14) & M
            x4 ^= x9
            x4 = ((x4 << 7) | (x4 >> 25)) & M
            r += 1
        s[16] = (x0 + uint(s[0])) & M
        s[17] = (x1 + uint(s[1])) & M
        s[18] = (x2 + uint(s[2])) & M
        s[19] = (x3 + uint(s[3])) & M
        s[20] = (x4 + uint(s[4])) & M
        s[21] = (x5 + uint(s[5])) & M
        s[22] = (x6 + uint(s[6])) & M
        s[23] = (x7 + uint(s[7])) & M
        s[24] = (x8 + uint(s[8])) & M
        s[25] = (x9 + uint(s[9])) & M
        s[26] = (x10 + uint(s[10])) & M
        s[27] = (x11 + uint(s[11])) & M
        s[28] = (x12 + uint(s[12])) & M
        s[29] = (x13 + uint(s[13])) & M
        s[30] = (x14 + uint(s[14])) & M
        s[31] = (x15 + uint(s[15])) & M
        s[12] = (uint(s[12]) + 1) & M
        end = off + 64
        if end > n:
            end = n
        k = 64 - off  # keystream byte i of this block is ks[64 + i]
        while off < end:
            dp[off] = sp[off] ^ ks[k + off]
            off += 1


@micropython.viper
def _hchacha_out(st, out):
    # HChaCha20 output = words 0..3 and 12..15 of the state *before* the feed-forward that
    # _chacha_xor applied: subtract the input back out (mod 2**32); _chacha_xor has already
    # incremented word 12, hence the +1.
    s = ptr32(st)
    o = ptr8(out)
    M = uint(0xFFFF) | (uint(0xFFFF) << 16)
    j = 0
    while j < 8:
        w = j if j < 4 else j + 8
        x = (uint(s[16 + w]) - uint(s[w])) & M
        if w == 12:
            x = (x + 1) & M
        o[4 * j] = x
        o[4 * j + 1] = x >> 8
        o[4 * j + 2] = x >> 16
        o[4 * j + 3] = x >> 24
        j += 1


def chacha20_xor(key, nonce12, counter, src, dst):
    """dst[i] = src[i] ^ keystream(key, nonce12, starting at block `counter`); dst may be src."""
    n = len(src)
    if n:
        _chacha_load(_CS, key, nonce12, 3)
        _CS[12] = counter
        _chacha_xor(_CS, src, dst, n)


def hchacha20(key, nonce16):
    """HChaCha20 (draft-irtf-cfrg-xchacha §2.2): the subkey for XChaCha20."""
    _chacha_load(_CS, key, nonce16, 4)
    _chacha_xor(_CS, _HSCR, _HSCR, 64)
    _hchacha_out(_CS, _HOUT)
    return bytes(_HOUT)


# ---------------------------------------------------------------------------------------------
# Poly1305 (RFC 8439 §2.5) in the AEAD layout of §2.8.
#
# Numbers are 10 limbs of 13 bits (130 = 10 * 13, so 2**130 = 5 mod p folds cleanly) and no
# intermediate ever reaches 2**32, so 32-bit boards and the 64-bit unix port agree:
#   * at the top of a block h0, h2..h9 < 2**13 and h1 < 2**13 + 2**7 (see the end of the loop);
#     adding a message limb (< 2**13; limb 9 < 2**12) gives h_i < 2**14.01;
#   * r_i < 2**13, so a product is < 2**27.01 and a column sum of at most 10 products is
#     < 10 * 2**27.01 < 2**30.33;
#   * columns 10..18 are carried (+ < 2**17.4 each) before they are multiplied by the fold
#     factor 5, so each folded limb h_k = c_k + 5 * (c_{k+10} & 0x1FFF) stays < 2**30.34;
#   * after one carry pass the top carry is < 2**17.4; times 5 (< 2**19.8) it goes into h0,
#     and one more carry h0 -> h1 restores the invariant.
# Worst case of any sum or product: < 2**30.3 (checked by interval evaluation of this loop).


@micropython.viper
def _poly_init(st, otk):
    # r = otk[0:16] clamped (RFC 8439 §2.5: top 4 bits of bytes 3,7,11,15 and low 2 bits of
    # bytes 4,8,12 cleared), split into 13-bit limbs; s = otk[16:32]; h = 0.
    s = ptr32(st)
    k = ptr8(otk)
    acc = uint(0)
    nb = 0
    j = 10
    i = 0
    while i < 16:
        b = uint(k[i])
        if (i & 3) == 3:
            b &= 0x0F
        elif (i & 3) == 0 and i != 0:
            b &= 0xFC
        acc |= b << nb
        nb += 8
        if nb >= 13:
            s[j] = acc & _L13
            acc >>= 13
            nb -= 13
            j += 1
        i += 1
    s[19] = acc  # the last 128 - 9*13 = 11 bits
    i = 0
    while i < 4:
        j = 16 + 4 * i
        s[20 + i] = (uint(k[j]) | (uint(k[j + 1]) << 8)
                     | (uint(k[j + 2]) << 16) | (uint(k[j + 3]) << 24))
        s[i] = 0
        s[4 + i] = 0
        i += 1
    s[8] = 0
    s[9] = 0


@micropython.viper
def _poly_blocks(st, data, n: int):
    # h = (h + block + 2**128) * r mod p for each 16-byte block of data[0:n]; a partial final
    # block is zero-padded in the scratch words (AEAD padding, RFC 8439 §2.8).
    s = ptr32(st)
    z = ptr8(st)
    d = ptr8(data)
    h0 = uint(s[0])
    h1 = uint(s[1])
    h2 = uint(s[2])
    h3 = uint(s[3])
    h4 = uint(s[4])
    h5 = uint(s[5])
    h6 = uint(s[6])
    h7 = uint(s[7])
    h8 = uint(s[8])
    h9 = uint(s[9])
    r0 = uint(s[10])
    r1 = uint(s[11])
    r2 = uint(s[12])
    r3 = uint(s[13])
    r4 = uint(s[14])
    r5 = uint(s[15])
    r6 = uint(s[16])
    r7 = uint(s[17])
    r8 = uint(s[18])
    r9 = uint(s[19])
    off = 0
    while off < n:
        p = d
        o = off
        if n - off < 16:
            i = 0
            while i < 16:
                z[_PSCR + i] = d[off + i] if off + i < n else 0
                i += 1
            p = z
            o = _PSCR
        # Four little-endian words, split into 13-bit limbs and added to h.
        w0 = (uint(p[o]) | (uint(p[o + 1]) << 8)
              | (uint(p[o + 2]) << 16) | (uint(p[o + 3]) << 24))
        w1 = (uint(p[o + 4]) | (uint(p[o + 5]) << 8)
              | (uint(p[o + 6]) << 16) | (uint(p[o + 7]) << 24))
        w2 = (uint(p[o + 8]) | (uint(p[o + 9]) << 8)
              | (uint(p[o + 10]) << 16) | (uint(p[o + 11]) << 24))
        w3 = (uint(p[o + 12]) | (uint(p[o + 13]) << 8)
              | (uint(p[o + 14]) << 16) | (uint(p[o + 15]) << 24))
        h0 += w0 & _L13
        h1 += (w0 >> 13) & _L13
        h2 += ((w0 >> 26) | (w1 << 6)) & _L13
        h3 += (w1 >> 7) & _L13
        h4 += ((w1 >> 20) | (w2 << 12)) & _L13
        h5 += (w2 >> 1) & _L13
        h6 += (w2 >> 14) & _L13
        h7 += ((w2 >> 27) | (w3 << 5)) & _L13
        h8 += (w3 >> 8) & _L13
        h9 += (w3 >> 21) | _HIBIT
        # Schoolbook product: column k = sum of h_i * r_j with i + j = k.
        c0 = h0 * r0
        c1 = h0 * r1 + h1 * r0
        c2 = h0 * r2 + h1 * r1 + h2 * r0
        c3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0
        c4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0
        c5 = h0 * r5 + h1 * r4 + h2 * r3 + h3 * r2 + h4 * r1 + h5 * r0
        c6 = h0 * r6 + h1 * r5 + h2 * r4 + h3 * r3 + h4 * r2 + h5 * r1 + h6 * r0
        c7 = h0 * r7 + h1 * r6 + h2 * r5 + h3 * r4 + h4 * r3 + h5 * r2 + h6 * r1 + h7 * r0
        c8 = h0 * r8 + h1 * r7 + h2 * r6 + h3 * r5 + h4 * r4 + h5 * r3 + h6 * r2 + h7 * r1 + h8 * r0
        c9 = (h0 * r9 + h1 * r8 + h2 * r7 + h3 * r6 + h4 * r5 + h5 * r4 + h6 * r3 + h7 * r2
              + h8 * r1 + h9 * r0)
        c10 = (h1 * r9 + h2 * r8 + h3 * r7 + h4 * r6 + h5 * r5 + h6 * r4 + h7 * r3 + h8 * r2
               + h9 * r1)
        c11 = h2 * r9 + h3 * r8 + h4 * r7 + h5 * r6 + h6 * r5 + h7 * r4 + h8 * r3 + h9 * r2
        c12 = h3 * r9 + h4 * r8 + h5 * r7 + h6 * r6 + h7 * r5 + h8 * r4 + h9 * r3
        c13 = h4 * r9 + h5 * r8 + h6 * r7 + h7 * r6 + h8 * r5 + h9 * r4
        c14 = h5 * r9 + h6 * r8 + h7 * r7 + h8 * r6 + h9 * r5
        c15 = h6 * r9 + h7 * r8 + h8 * r7 + h9 * r6
        c16 = h7 * r9 + h8 * r8 + h9 * r7
        c17 = h8 * r9 + h9 * r8
        c18 = h9 * r9
        # Carry columns 10..18 down to 13 bits, then fold them: 2**130 = 5 (mod p).
        c11 += c10 >> 13
        c12 += c11 >> 13
        c13 += c12 >> 13
        c14 += c13 >> 13
        c15 += c14 >> 13
        c16 += c15 >> 13
        c17 += c16 >> 13
        c18 += c17 >> 13
        h0 = c0 + 5 * (c10 & _L13)
        h1 = c1 + 5 * (c11 & _L13)
        h2 = c2 + 5 * (c12 & _L13)
        h3 = c3 + 5 * (c13 & _L13)
        h4 = c4 + 5 * (c14 & _L13)
        h5 = c5 + 5 * (c15 & _L13)
        h6 = c6 + 5 * (c16 & _L13)
        h7 = c7 + 5 * (c17 & _L13)
        h8 = c8 + 5 * (c18 & _L13)
        h9 = c9 + 5 * (c18 >> 13)
        # One carry pass, wrap the top carry (* 5) into h0, carry h0 once more.
        h1 += h0 >> 13
        h0 &= _L13
        h2 += h1 >> 13
        h1 &= _L13
        h3 += h2 >> 13
        h2 &= _L13
        h4 += h3 >> 13
        h3 &= _L13
        h5 += h4 >> 13
        h4 &= _L13
        h6 += h5 >> 13
        h5 &= _L13
        h7 += h6 >> 13
        h6 &= _L13
        h8 += h7 >> 13
        h7 &= _L13
        h9 += h8 >> 13
        h8 &= _L13
        h0 += 5 * (h9 >> 13)
        h9 &= _L13
        h1 += h0 >> 13
        h0 &= _L13
        off += 16
    s[0] = h0
    s[1] = h1
    s[2] = h2
    s[3] = h3
    s[4] = h4
    s[5] = h5
    s[6] = h6
    s[7] = h7
    s[8] = h8
    s[9] = h9


@micropython.viper
def _poly_final(st, out):
    # out = (h mod p + s) mod 2**128, little-endian (RFC 8439 §2.5.1).
    s = ptr32(st)
    o = ptr8(out)
    # Fully normalise h to 13-bit limbs, wrapping carries out of bit 130 as * 5, until no
    # carry is left: then h < 2**130.
    c = uint(1)
    while c:
        c = uint(0)
        i = 0
        while i < 10:
            x = uint(s[i]) + c
            s[i] = x & _L13
            c = x >> 13
            i += 1
        s[0] = uint(s[0]) + 5 * c
    # h >= p  <=>  h + 5 >= 2**130; then h - p = (h + 5) - 2**130.
    c = uint(5)
    i = 0
    while i < 10:
        c = (uint(s[i]) + c) >> 13
        i += 1
    if c:
        c = uint(5)
        i = 0
        while i < 10:
            x = uint(s[i]) + c
            s[i] = x & _L13
            c = x >> 13
            i += 1
    # Repack 13-bit limbs into 16-bit halves, adding s with carry (all sums < 2**18).
    acc = uint(0)
    nb = 0
    i = 0
    c = uint(0)
    k = 0
    while k < 8:
        if nb < 16:
            acc |= uint(s[i]) << nb
            nb += 13
            i += 1
        else:
            x = (acc & 0xFFFF) + ((uint(s[20 + (k >> 1)]) >> (16 * (k & 1))) & 0xFFFF) + c
            acc >>= 16
            nb -= 16
            o[2 * k] = x
            o[2 * k + 1] = x >> 8
            c = x >> 16
            k += 1


def poly1305_aead(otk, ad, ct):
    """Poly1305 tag over ad || pad16 || ct || pad16 || le64(len ad) || le64(len ct)."""
    na = len(ad)
    nc = len(ct)
    _poly_init(_PS, otk)
    if na:
        _poly_blocks(_PS, ad, na)
    if nc:
        _poly_blocks(_PS, ct, nc)
    struct.pack_into("<QQ", _PLEN, 0, na, nc)
    _poly_blocks(_PS, _PLEN, 16)
    _poly_final(_PS, _PTAG)
    return bytes(_PTAG)


# ---------------------------------------------------------------------------------------------
# BLAKE2s compression function F (RFC 7693 §3.2)


@micropython.viper
def _blake2s_f(hh, block, w, t: uint):
    # m = the block as 16 little-endian words (byte loads: block may be unaligned); v = h || IV
    # with the counter and final-block flag mixed in; 10 rounds of 8 G mixes, the message
    # words picked through SIGMA; h ^= v[0..7] ^ v[8..15].
    h = ptr32(hh)
    m = ptr32(w)
    b = ptr8(block)
    sg = ptr8(_B2S_SIGMA)
    M = uint(0xFFFF) | (uint(0xFFFF) << 16)
    i = 0
    while i < 16:
        j = i << 2
        m[i] = (uint(b[j]) | (uint(b[j + 1]) << 8)
                | (uint(b[j + 2]) << 16) | (uint(b[j + 3]) << 24))
        i += 1
    v0 = uint(h[0])
    v1 = uint(h[1])
    v2 = uint(h[2])
    v3 = uint(h[3])
    v4 = uint(h[4])
    v5 = uint(h[5])
    v6 = uint(h[6])
    v7 = uint(h[7])
    v8 = uint(m[16])
    v9 = uint(m[17])
    v10 = uint(m[18])
    v11 = uint(m[19])
    v12 = uint(m[20]) ^ (t & M)
    v13 = uint(m[21]) ^ uint(m[24])
    v14 = uint(m[22])
    if m[25]:
        v14 ^= M
    v15 = uint(m[23])
    j = 0
    while j < 160:
        v0 = (v0 + v4 + uint(m[sg[j + 0]])) & M
        v12 ^= v0
        v12 = ((v12 >> 16) | (v12 << 16)) & M
        v8 = (v8 + v12) & M
        v4 ^= v8
        v4 = ((v4 >> 12) | (v4 << 20)) & M
        v0 = (v0 + v4 + uint(m[sg[j + 1]])) & M
        v12 ^= v0
        v12 = ((v12 >> 8) | (v12 << 24)) & M
        v8 = (v8 + v12) & M
        v4 ^= v8
        v4 = ((v4 >> 7) | (v4 << 25)) & M
        v1 = (v1 + v5 + uint(m[sg[j + 2]])) & M
        v13 ^= v1
        v13 = ((v13 >> 16) | (v13 << 16)) & M
        v9 = (v9 + v13) & M
        v5 ^= v9
        v5 = ((v5 >> 12) | (v5 << 20)) & M
        v1 = (v1 + v5 + uint(m[sg[j + 3]])) & M
        v13 ^= v1
        v13 = ((v13 >> 8) | (v13 << 24)) & M
        v9 = (v9 + v13) & M
        v5 ^= v9
        v5 = ((v5 >> 7) | (v5 << 25)) & M
        v2 = (v2 + v6 + uint(m[sg[j + 4]])) & M
        v14 ^= v2
        v14 = ((v14 >> 16) | (v14 << 16)) & M
        v10 = (v10 + v14) & M
        v6 ^= v10
        v6 = ((v6 >> 12) | (v6 << 20)) & M
        v2 = (v2 + v6 + uint(m[sg[j + 5]])) & M
        v14 ^= v2
        v14 = ((v14 >> 8) | (v14 << 24)) & M
        v10 = (v10 + v14) & M
        v6 ^= v10
        v6 = ((v6 >> 7) | (v6 << 25)) & M
        v3 = (v3 + v7 + uint(m[sg[j + 6]])) & M
        v15 ^= v3
        v15 = ((v15 >> 16) | (v15 << 16)) & M
        v11 = (v11 + v15) & M
        v7 ^= v11
        v7 = ((v7 >> 12) | (v7 << 20)) & M
        v3 = (v3 + v7 + uint(m[sg[j + 7]])) & M
        v15 ^= v3
        v15 = ((v15 >> 8) | (v15 << 24)) & M
        v11 = (v11 + v15) & M
        v7 ^= v11
        v7 = ((v7 >> 7) | (v7 << 25)) & M
        v0 = (v0 + v5 + uint(m[sg[j + 8]])) & M
        v15 ^= v0
        v15 = ((v15 >> 16) | (v15 << 16)) & M
        v10 = (v10 + v15) & M
        v5 ^= v10
        v5 = ((v5 >> 12) | (v5 << 20)) & M
        v0 = (v0 + v5 + uint(m[sg[j + 9]])) & M
        v15 ^= v0
        v15 = ((v15 >> 8) | (v15 << 24)) & M
        v10 = (v10 + v15) & M
        v5 ^= v10
        v5 = ((v5 >> 7) | (v5 << 25)) & M
        v1 = (v1 + v6 + uint(m[sg[j + 10]])) & M
        v12 ^= v1
        v12 = ((v12 >> 16) | (v12 << 16)) & M
        v11 = (v11 + v12) & M
        v6 ^= v11
        v6 = ((v6 >> 12) | (v6 << 20)) & M
        v1 = (v1 + v6 + uint(m[sg[j + 11]])) & M
        v12 ^= v1
        v12 = ((v12 >> 8) | (v12 << 24)) & M
        v11 = (v11 + v12) & M
        v6 ^= v11
        v6 = ((v6 >> 7) | (v6 << 25)) & M
        v2 = (v2 + v7 + uint(m[sg[j + 12]])) & M
        v13 ^= v2
        v13 = ((v13 >> 16) | (v13 << 16)) & M
        v8 = (v8 + v13) & M
        v7 ^= v8
        v7 = ((v7 >> 12) | (v7 << 20)) & M
        v2 = (v2 + v7 + uint(m[sg[j + 13]])) & M
        v13 ^= v2
        v13 = ((v13 >> 8) | (v13 << 24)) & M
        v8 = (v8 + v13) & M
        v7 ^= v8
        v7 = ((v7 >> 7) | (v7 << 25)) & M
        v3 = (v3 + v4 + uint(m[sg[j + 14]])) & M
        v14 ^= v3
        v14 = ((v14 >> 16) | (v14 << 16)) & M
        v9 = (v9 + v14) & M
        v4 ^= v9
        v4 = ((v4 >> 12) | (v4 << 20)) & M
        v3 = (v3 + v4 + uint(m[sg[j + 15]])) & M
        v14 ^= v3
        v14 = ((v14 >> 8) | (v14 << 24)) & M
        v9 = (v9 + v14) & M
        v4 ^= v9
        v4 = ((v4 >> 7) | (v4 << 25)) & M
        j += 16
    h[0] = uint(h[0]) ^ v0 ^ v8
    h[1] = uint(h[1]) ^ v1 ^ v9
    h[2] = uint(h[2]) ^ v2 ^ v10
    h[3] = uint(h[3]) ^ v3 ^ v11
    h[4] = uint(h[4]) ^ v4 ^ v12
    h[5] = uint(h[5]) ^ v5 ^ v13
    h[6] = uint(h[6]) ^ v6 ^ v14
    h[7] = uint(h[7]) ^ v7 ^ v15


def blake2s_compress(h, block, t, last):
    """RFC 7693 §3.2 F: mixes the 64-byte `block` into the eight words of `h` (an array('I'))."""
    # Low word of t is truncated by viper's uint conversion; t >> 32 is a small int in practice.
    _BW[24] = t >> 32
    _BW[25] = 1 if last else 0
    _blake2s_f(h, block, _BW, t)
