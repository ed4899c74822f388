"""X25519 (RFC 7748 §5) in viper: field arithmetic in 32-bit words, constant-time.

MicroPython only (the viper emitter: ESP32, the unix port; the RP2040 runs `thumb` instead).
A field element is 20 limbs of 13 bits (radix 2^13: 260 bits, a value below 2^260 that is
reduced mod p = 2^255 - 19 only at the end; 2^260 = 32 * 19 = 608 mod p folds the top). Every
product and sum stays below 2^31, so viper's 32-bit signed words on the boards and 64-bit words
on the unix port compute the same values, and no result depends on a word's wrap-around:
  * limbs are below 2^13 + 4 between operations (the carry chains below end that way);
  * a product column is at most 20 products of such limbs: < 20 * 2^26.0 < 2^30.33;
  * the upper columns 20..38 are carried to 13 bits before they are multiplied by 608
    (< 2^22.3), the carry out of column 38 (< 2^17.5) times 608 stays below 2^26.8;
  * 121665 * limb < 2^29.9; a sum of two limbs, or x + Q - y below, < 2^14.6.
The ladder's swaps are masks (0 or all ones) and nothing branches on, or indexes memory with,
secret values: the scalar bit is read at an index that depends on the loop counter only. The
final inversion is Fermat's z^(p-2) by a fixed addition chain (constant-time as well).

`_run` interprets a fixed program of field operations (one ladder step, the inversion), so the
multiplication's code — 400 products, unrolled: the text tests/test_crypto_field.py's
unrolled_multiplication() writes, and checks — exists once, and the ladder makes 256 calls from
Python instead of ~18 per step. Squares go through it too: an unrolled squaring (210 products)
would be 12% faster but add 6-9 KB of native code, which a board loading .mpy files keeps in RAM
(the module is 16 KB of ARMv6-M / 20 KB of Xtensa code as it is; loops instead of the unrolled
products would take 6 KB and 3.3 times as long). Module-level work areas: not reentrant.
"""
import micropython
from array import array
from micropython import const

_M13 = const(0x1FFF)
_N = const(20)  # limbs per element

# Work area (array 'I'), element i at words 20 * i: X1, X2, Z2, X3, Z3, T0..T3, then the scalar
# (eight 32-bit words) and the swap flag.
_X1 = const(0)
_X2 = const(1)
_Z2 = const(2)
_X3 = const(3)
_Z3 = const(4)
_T0 = const(5)
_T1 = const(6)
_T2 = const(7)
_T3 = const(8)
_K = const(180)
_SWAP = const(188)
_W = array("I", bytes(4 * 189))

# Operations: (op, out, x, y) element indices; SQRN repeats y squarings.
_MUL = const(0)
_SQR = const(1)
_ADD = const(2)
_SUB = const(3)
_MULA24 = const(4)
_SQRN = const(5)
_FREEZE = const(6)

# One ladder step (RFC 7748 §5), after the conditional swap; T0..T3 hold A, B, C, D, then DA,
# CB, AA, BB and E as they are computed.
_STEP = bytes((
    _ADD, _T0, _X2, _Z2,  # A = x2 + z2
    _SUB, _T1, _X2, _Z2,  # B = x2 - z2
    _ADD, _T2, _X3, _Z3,  # C = x3 + z3
    _SUB, _T3, _X3, _Z3,  # D = x3 - z3
    _MUL, _T3, _T3, _T0,  # DA = D * A
    _MUL, _T2, _T2, _T1,  # CB = C * B
    _SQR, _T0, _T0, 0,  # AA = A^2
    _SQR, _T1, _T1, 0,  # BB = B^2
    _ADD, _X3, _T3, _T2,  # x3 = (DA + CB)^2
    _SQR, _X3, _X3, 0,
    _SUB, _Z3, _T3, _T2,  # z3 = x1 * (DA - CB)^2
    _SQR, _Z3, _Z3, 0,
    _MUL, _Z3, _Z3, _X1,
    _MUL, _X2, _T0, _T1,  # x2 = AA * BB
    _SUB, _T1, _T0, _T1,  # E = AA - BB
    _MULA24, _T2, _T1, 0,  # z2 = E * (AA + a24 * E)
    _ADD, _T2, _T2, _T0,
    _MUL, _Z2, _T1, _T2,
))

# x2 = x2 / z2 = x2 * z2^(p - 2) (the addition chain of curve25519-donna: 254 squarings and
# 11 multiplications), then reduced below p. z, z^2, z^9, z^11 and z^(2^k - 1) as named.
_Z, _ZSQ, _T, _Z9, _Z11 = _Z2, _T0, _T1, _T2, _T3
_Z5, _Z10, _Z20, _Z50, _Z100 = _X3, _Z3, _X1, _T0, _Z2
_INVERT = bytes((
    _SQR, _ZSQ, _Z, 0,
    _SQRN, _T, _ZSQ, 2,
    _MUL, _Z9, _T, _Z,
    _MUL, _Z11, _Z9, _ZSQ,
    _SQR, _T, _Z11, 0,
    _MUL, _Z5, _T, _Z9,
    _SQRN, _T, _Z5, 5,
    _MUL, _Z10, _T, _Z5,
    _SQRN, _T, _Z10, 10,
    _MUL, _Z20, _T, _Z10,
    _SQRN, _T, _Z20, 20,
    _MUL, _T, _T, _Z20,
    _SQRN, _T, _T, 10,
    _MUL, _Z50, _T, _Z10,
    _SQRN, _T, _Z50, 50,
    _MUL, _Z100, _T, _Z50,
    _SQRN, _T, _Z100, 100,
    _MUL, _T, _T, _Z100,
    _SQRN, _T, _T, 50,
    _MUL, _T, _T, _Z50,
    _SQRN, _T, _T, 5,
    _MUL, _T, _T, _Z11,
    _MUL, _X2, _X2, _T,
    _FREEZE, _X2, 0, 0,
))
del _Z, _ZSQ, _T, _Z9, _Z11, _Z5, _Z10, _Z20, _Z50, _Z100


@micropython.viper
def _carry(w, o: int, h: int):
    # Limbs 0..19 of element o were stored 13-bit wide but for h, the carry out of limb 19:
    # fold it as 608 into limb 0 and carry twice more, leaving every limb below 2^13 + 4.
    p = ptr32(w)
    h = int(p[o]) + 608 * h
    p[o] = h & _M13
    h = int(p[o + 1]) + (h >> 13)
    p[o + 1] = h & _M13
    p[o + 2] = int(p[o + 2]) + (h >> 13)


@micropython.viper
def _run(w, prog, n: int, t: int):
    # The n bytes of prog on the work area w. t >= 0 first swaps (x2, z2) with (x3, z3) when
    # bit t of the scalar differs from the swap flag (RFC 7748: swap ^= k_t; cswap), and keeps
    # k_t as the flag; t = -2 swaps by the flag alone (after the last step); t = -1 does not.
    p = ptr32(w)
    q = ptr8(prog)
    if t != -1:
        bit = 0
        if t >= 0:
            bit = (int(p[_K + (t >> 5)]) >> (t & 31)) & 1
        mask = 0 - (int(p[_SWAP]) ^ bit)  # 0 or all ones
        p[_SWAP] = bit
        i = 0
        while i < _N:
            a = _N * _X2 + i
            b = _N * _X3 + i
            d = (int(p[a]) ^ int(p[b])) & mask
            p[a] = int(p[a]) ^ d
            p[b] = int(p[b]) ^ d
            a = _N * _Z2 + i
            b = _N * _Z3 + i
            d = (int(p[a]) ^ int(p[b])) & mask
            p[a] = int(p[a]) ^ d
            p[b] = int(p[b]) ^ d
            i += 1
    pc = 0
    while pc < n:
        op = q[pc]
        o = _N * q[pc + 1]
        x = _N * q[pc + 2]
        y = _N * q[pc + 3]
        pc += 4
        reps = 1
        if op == _SQRN:
            reps = q[pc - 1]
            op = _SQR
        while reps > 0:
            reps -= 1
            if op == _MUL or op == _SQR:
                if op == _SQR:
                    y = x
                a0 = p[x + 0]
                a1 = p[x + 1]
                a2 = p[x + 2]
                a3 = p[x + 3]
                a4 = p[x + 4]
                a5 = p[x + 5]
                a6 = p[x + 6]
                a7 = p[x + 7]
                a8 = p[x + 8]
                a9 = p[x + 9]
                a10 = p[x + 10]
                a11 = p[x + 11]
                a12 = p[x + 12]
                a13 = p[x + 13]
                a14 = p[x + 14]
                a15 = p[x + 15]
                a16 = p[x + 16]
                a17 = p[x + 17]
                a18 = p[x + 18]
                a19 = p[x + 19]
                b0 = p[y + 0]
                b1 = p[y + 1]
                b2 = p[y + 2]
                b3 = p[y + 3]
                b4 = p[y + 4]
                b5 = p[y + 5]
                b6 = p[y + 6]
                b7 = p[y + 7]
                b8 = p[y + 8]
                b9 = p[y + 9]
                b10 = p[y + 10]
                b11 = p[y + 11]
                b12 = p[y + 12]
                b13 = p[y + 13]
                b14 = p[y + 14]
                b15 = p[y + 15]
                b16 = p[y + 16]
                b17 = p[y + 17]
                b18 = p[y + 18]
                b19 = p[y + 19]
                c20 = (a1 * b19 + a2 * b18 + a3 * b17 + a4 * b16 + a5 * b15 + a6 * b14 + a7 * b13
                       + a8 * b12 + a9 * b11 + a10 * b10 + a11 * b9 + a12 * b8 + a13 * b7
                       + a14 * b6 + a15 * b5 + a16 * b4 + a17 * b3 + a18 * b2 + a19 * b1)
                c21 = (a2 * b19 + a3 * b18 + a4 * b17 + a5 * b16 + a6 * b15 + a7 * b14 + a8 * b13
                       + a9 * b12 + a10 * b11 + a11 * b10 + a12 * b9 + a13 * b8 + a14 * b7
                       + a15 * b6 + a16 * b5 + a17 * b4 + a18 * b3 + a19 * b2 + (c20 >> 13))
                c20 &= _M13
                c22 = (a3 * b19 + a4 * b18 + a5 * b17 + a6 * b16 + a7 * b15 + a8 * b14 + a9 * b13
                       + a10 * b12 + a11 * b11 + a12 * b10 + a13 * b9 + a14 * b8 + a15 * b7
                       + a16 * b6 + a17 * b5 + a18 * b4 + a19 * b3 + (c21 >> 13))
                c21 &= _M13
                c23 = (a4 * b19 + a5 * b18 + a6 * b17 + a7 * b16 + a8 * b15 + a9 * b14
                       + a10 * b13 + a11 * b12 + a12 * b11 + a13 * b10 + a14 * b9 + a15 * b8
                       + a16 * b7 + a17 * b6 + a18 * b5 + a19 * b4 + (c22 >> 13))
                c22 &= _M13
                c24 = (a5 * b19 + a6 * b18 + a7 * b17 + a8 * b16 + a9 * b15 + a10 * b14
                       + a11 * b13 + a12 * b12 + a13 * b11 + a14 * b10 + a15 * b9 + a16 * b8
                       + a17 * b7 + a18 * b6 + a19 * b5 + (c23 >> 13))
                c23 &= _M13
                c25 = (a6 * b19 + a7 * b18 + a8 * b17 + a9 * b16 + a10 * b15 + a11 * b14
                       + a12 * b13 + a13 * b12 + a14 * b11 + a15 * b10 + a16 * b9 + a17 * b8
                       + a18 * b7 + a19 * b6 + (c24 >> 13))
                c24 &= _M13
                c26 = (a7 * b19 + a8 * b18 + a9 * b17 + a10 * b16 + a11 * b15 + a12 * b14
                       + a13 * b13 + a14 * b12 + a15 * b11 + a16 * b10 + a17 * b9 + a18 * b8
                       + a19 * b7 + (c25 >> 13))
                c25 &= _M13
                c27 = (a8 * b19 + a9 * b18 + a10 * b17 + a11 * b16 + a12 * b15 + a13 * b14
                       + a14 * b13 + a15 * b12 + a16 * b11 + a17 * b10 + a18 * b9 + a19 * b8
                       + (c26 >> 13))
                c26 &= _M13
                c28 = (a9 * b19 + a10 * b18 + a11 * b17 + a12 * b16 + a13 * b15 + a14 * b14
                       + a15 * b13 + a16 * b12 + a17 * b11 + a18 * b10 + a19 * b9 + (c27 >> 13))
                c27 &= _M13
                c29 = (a10 * b19 + a11 * b18 + a12 * b17 + a13 * b16 + a14 * b15 + a15 * b14
                       + a16 * b13 + a17 * b12 + a18 * b11 + a19 * b10 + (c28 >> 13))
                c28 &= _M13
                c30 = (a11 * b19 + a12 * b18 + a13 * b17 + a14 * b16 + a15 * b15 + a16 * b14
                       + a17 * b13 + a18 * b12 + a19 * b11 + (c29 >> 13))
                c29 &= _M13
                c31 = (a12 * b19 + a13 * b18 + a14 * b17 + a15 * b16 + a16 * b15 + a17 * b14
                       + a18 * b13 + a19 * b12 + (c30 >> 13))
                c30 &= _M13
                c32 = (a13 * b19 + a14 * b18 + a15 * b17 + a16 * b16 + a17 * b15 + a18 * b14
                       + a19 * b13 + (c31 >> 13))
                c31 &= _M13
                c33 = (a14 * b19 + a15 * b18 + a16 * b17 + a17 * b16 + a18 * b15 + a19 * b14
                       + (c32 >> 13))
                c32 &= _M13
                c34 = a15 * b19 + a16 * b18 + a17 * b17 + a18 * b16 + a19 * b15 + (c33 >> 13)
                c33 &= _M13
                c35 = a16 * b19 + a17 * b18 + a18 * b17 + a19 * b16 + (c34 >> 13)
                c34 &= _M13
                c36 = a17 * b19 + a18 * b18 + a19 * b17 + (c35 >> 13)
                c35 &= _M13
                c37 = a18 * b19 + a19 * b18 + (c36 >> 13)
                c36 &= _M13
                c38 = a19 * b19 + (c37 >> 13)
                c37 &= _M13
                c39 = c38 >> 13
                c38 &= _M13
                h = a0 * b0 + 608 * c20
                p[o + 0] = h & _M13
                h >>= 13
                h = a0 * b1 + a1 * b0 + 608 * c21 + h
                p[o + 1] = h & _M13
                h >>= 13
                h = a0 * b2 + a1 * b1 + a2 * b0 + 608 * c22 + h
                p[o + 2] = h & _M13
                h >>= 13
                h = a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0 + 608 * c23 + h
                p[o + 3] = h & _M13
                h >>= 13
                h = a0 * b4 + a1 * b3 + a2 * b2 + a3 * b1 + a4 * b0 + 608 * c24 + h
                p[o + 4] = h & _M13
                h >>= 13
                h = a0 * b5 + a1 * b4 + a2 * b3 + a3 * b2 + a4 * b1 + a5 * b0 + 608 * c25 + h
                p[o + 5] = h & _M13
                h >>= 13
                h = (a0 * b6 + a1 * b5 + a2 * b4 + a3 * b3 + a4 * b2 + a5 * b1 + a6 * b0
                     + 608 * c26 + h)
                p[o + 6] = h & _M13
                h >>= 13
                h = (a0 * b7 + a1 * b6 + a2 * b5 + a3 * b4 + a4 * b3 + a5 * b2 + a6 * b1
                     + a7 * b0 + 608 * c27 + h)
                p[o + 7] = h & _M13
                h >>= 13
                h = (a0 * b8 + a1 * b7 + a2 * b6 + a3 * b5 + a4 * b4 + a5 * b3 + a6 * b2
                     + a7 * b1 + a8 * b0 + 608 * c28 + h)
                p[o + 8] = h & _M13
                h >>= 13
                h = (a0 * b9 + a1 * b8 + a2 * b7 + a3 * b6 + a4 * b5 + a5 * b4 + a6 * b3
                     + a7 * b2 + a8 * b1 + a9 * b0 + 608 * c29 + h)
                p[o + 9] = h & _M13
                h >>= 13
                h = (a0 * b10 + a1 * b9 + a2 * b8 + a3 * b7 + a4 * b6 + a5 * b5 + a6 * b4
                     + a7 * b3 + a8 * b2 + a9 * b1 + a10 * b0 + 608 * c30 + h)
                p[o + 10] = h & _M13
                h >>= 13
                h = (a0 * b11 + a1 * b10 + a2 * b9 + a3 * b8 + a4 * b7 + a5 * b6 + a6 * b5
                     + a7 * b4 + a8 * b3 + a9 * b2 + a10 * b1 + a11 * b0 + 608 * c31 + h)
                p[o + 11] = h & _M13
                h >>= 13
                h = (a0 * b12 + a1 * b11 + a2 * b10 + a3 * b9 + a4 * b8 + a5 * b7 + a6 * b6
                     + a7 * b5 + a8 * b4 + a9 * b3 + a10 * b2 + a11 * b1 + a12 * b0 + 608 * c32
                     + h)
                p[o + 12] = h & _M13
                h >>= 13
                h = (a0 * b13 + a1 * b12 + a2 * b11 + a3 * b10 + a4 * b9 + a5 * b8 + a6 * b7
                     + a7 * b6 + a8 * b5 + a9 * b4 + a10 * b3 + a11 * b2 + a12 * b1 + a13 * b0
                     + 608 * c33 + h)
                p[o + 13] = h & _M13
                h >>= 13
                h = (a0 * b14 + a1 * b13 + a2 * b12 + a3 * b11 + a4 * b10 + a5 * b9 + a6 * b8
                     + a7 * b7 + a8 * b6 + a9 * b5 + a10 * b4 + a11 * b3 + a12 * b2 + a13 * b1
                     + a14 * b0 + 608 * c34 + h)
                p[o + 14] = h & _M13
                h >>= 13
                h = (a0 * b15 + a1 * b14 + a2 * b13 + a3 * b12 + a4 * b11 + a5 * b10 + a6 * b9
                     + a7 * b8 + a8 * b7 + a9 * b6 + a10 * b5 + a11 * b4 + a12 * b3 + a13 * b2
                     + a14 * b1 + a15 * b0 + 608 * c35 + h)
                p[o + 15] = h & _M13
                h >>= 13
                h = (a0 * b16 + a1 * b15 + a2 * b14 + a3 * b13 + a4 * b12 + a5 * b11 + a6 * b10
                     + a7 * b9 + a8 * b8 + a9 * b7 + a10 * b6 + a11 * b5 + a12 * b4 + a13 * b3
                     + a14 * b2 + a15 * b1 + a16 * b0 + 608 * c36 + h)
                p[o + 16] = h & _M13
                h >>= 13
                h = (a0 * b17 + a1 * b16 + a2 * b15 + a3 * b14 + a4 * b13 + a5 * b12 + a6 * b11
                     + a7 * b10 + a8 * b9 + a9 * b8 + a10 * b7 + a11 * b6 + a12 * b5 + a13 * b4
                     + a14 * b3 + a15 * b2 + a16 * b1 + a17 * b0 + 608 * c37 + h)
                p[o + 17] = h & _M13
                h >>= 13
                h = (a0 * b18 + a1 * b17 + a2 * b16 + a3 * b15 + a4 * b14 + a5 * b13 + a6 * b12
                     + a7 * b11 + a8 * b10 + a9 * b9 + a10 * b8 + a11 * b7 + a12 * b6 + a13 * b5
                     + a14 * b4 + a15 * b3 + a16 * b2 + a17 * b1 + a18 * b0 + 608 * c38 + h)
                p[o + 18] = h & _M13
                h >>= 13
                h = (a0 * b19 + a1 * b18 + a2 * b17 + a3 * b16 + a4 * b15 + a5 * b14 + a6 * b13
                     + a7 * b12 + a8 * b11 + a9 * b10 + a10 * b9 + a11 * b8 + a12 * b7
                     + a13 * b6 + a14 * b5 + a15 * b4 + a16 * b3 + a17 * b2 + a18 * b1
                     + a19 * b0 + 608 * c39 + h)
                p[o + 19] = h & _M13
                h >>= 13
                _carry(w, o, h)
                x = o  # SQRN: square the result again
            elif op == _ADD or op == _SUB or op == _MULA24:
                h = 0
                i = 0
                while i < _N:
                    if op == _ADD:
                        h += int(p[x + i]) + int(p[y + i])
                    elif op == _SUB:  # x + Q - y, Q = 2^261 - 1216 = 0 (mod p), limbs >= y's
                        h += int(p[x + i]) + (15168 if i == 0 else 16382) - int(p[y + i])
                    else:
                        h += 121665 * int(p[x + i])
                    p[o + i] = h & _M13
                    h >>= 13
                    i += 1
                _carry(w, o, h)
            elif op == _FREEZE:
                _freeze(w, o)


@micropython.viper
def _freeze(w, o: int):
    # Element o reduced below p: carried to 13-bit limbs, bits 255.. folded as 19 (twice), then
    # p subtracted when x + 19 reaches 2^255, chosen by mask.
    p = ptr32(w)
    r = 0
    while r < 2:
        h = 0
        i = 0
        while i < _N:
            h += int(p[o + i])
            p[o + i] = h & _M13
            h >>= 13
            i += 1
        h = (h << 5) | (int(p[o + 19]) >> 8)  # bits 255 and up
        p[o + 19] = int(p[o + 19]) & 0xFF
        h = 19 * h
        i = 0
        while i < _N:
            h += int(p[o + i])
            p[o + i] = h & _M13
            h >>= 13
            i += 1
        r += 1
    # Now x < 2^255 + 19 * 2 and bits above 255 are folded: x < 2^255. q = (x + 19) >> 255.
    h = 19
    i = 0
    while i < _N:
        h = (int(p[o + i]) + h) >> 13
        i += 1
    # h is the carry out of bit 260 (always 0); bit 255 of x + 19 is in the limb-19 sum.
    h = 19
    i = 0
    while i < 19:
        h = (int(p[o + i]) + h) >> 13
        i += 1
    q = (int(p[o + 19]) + h) >> 8
    mask = 0 - q
    h = 19
    i = 0
    while i < _N:
        h += int(p[o + i])
        s = h & _M13
        if i == 19:
            s &= 0xFF
        p[o + i] = int(p[o + i]) ^ ((int(p[o + i]) ^ s) & mask)
        h >>= 13
        i += 1


@micropython.viper
def _unpack(w, o: int, data):
    # Element o = the 32-byte little-endian value with bit 255 masked (RFC 7748 §5: decodeU);
    # a non-canonical value (>= p) is kept as it is: the arithmetic accepts any value < 2^260.
    p = ptr32(w)
    d = ptr8(data)
    acc = 0
    nb = 0
    j = 0
    i = 0
    while i < 32:
        b = int(d[i])
        if i == 31:
            b &= 0x7F
        acc |= b << nb
        nb += 8
        if nb >= 13:
            p[o + j] = acc & _M13
            acc >>= 13
            nb -= 13
            j += 1
        i += 1
    p[o + 19] = acc


@micropython.viper
def _load_scalar(w, k):
    # The scalar's words = k clamped (RFC 7748 §5: bits 0-2 and 255 cleared, bit 254 set).
    p = ptr32(w)
    d = ptr8(k)
    i = 0
    while i < 8:
        j = 4 * i
        b0 = int(d[j])
        b3 = int(d[j + 3])
        if i == 0:
            b0 &= 248
        if i == 7:
            b3 = (b3 & 127) | 64
        p[_K + i] = b0 | (int(d[j + 1]) << 8) | (int(d[j + 2]) << 16) | (b3 << 24)
        i += 1


@micropython.viper
def _pack(w, o: int, out):
    # out[0:32] = element o (fully reduced, 13-bit limbs), little-endian.
    p = ptr32(w)
    d = ptr8(out)
    acc = 0
    nb = 0
    j = 0
    i = 0
    while i < 32:
        while nb < 8 and j < _N:
            acc |= int(p[o + j]) << nb
            nb += 13
            j += 1
        d[i] = acc & 0xFF
        acc >>= 8
        nb -= 8
        i += 1


@micropython.viper
def _wipe(w):
    p = ptr32(w)
    i = 0
    while i < 189:
        p[i] = 0
        i += 1


_OUT = bytearray(32)
_ONE = b"\x01" + bytes(31)
_ZERO = bytes(32)
_NSTEP = len(_STEP)
_NINV = len(_INVERT)


def x25519(k, u):
    """RFC 7748 X25519(k, u) on 32-byte strings; the caller checks for the all-zero result."""
    w = _W
    _load_scalar(w, k)
    _unpack(w, _N * _X1, u)
    _unpack(w, _N * _X3, u)
    _unpack(w, _N * _X2, _ONE)
    _unpack(w, _N * _Z2, _ZERO)
    _unpack(w, _N * _Z3, _ONE)
    w[_SWAP] = 0
    step = _STEP
    n = _NSTEP
    for t in range(254, -1, -1):
        _run(w, step, n, t)
    _run(w, _INVERT, _NINV, -2)
    _pack(w, _N * _X2, _OUT)
    _wipe(w)  # the scalar and the ladder's state
    return bytes(_OUT)


def public_key(k):
    return x25519(k, b"\x09" + bytes(31))


def fe_op(op, x, y=_ZERO, mask=0):
    """One field operation on 32-byte little-endian values (for tests), as thumb.fe_op: op 0 mul,
    1 sqr, 2 add, 3 sub, 4 mul by 121665, 5 freeze, 6 cswap (mask 0 or -1, a pair back). The
    values are unpacked (so below 2^255) and the results frozen, i.e. reduced below p."""
    w = _W
    _unpack(w, _N * _X2, x)
    _unpack(w, _N * _X3, y)
    if op == 6:
        w[_SWAP] = 1 if mask else 0
        _run(w, _STEP, 0, -2)
        _run(w, bytes((_FREEZE, _X2, 0, 0, _FREEZE, _X3, 0, 0)), 8, -1)
        _pack(w, _N * _X2, _OUT)
        first = bytes(_OUT)
        _pack(w, _N * _X3, _OUT)
        return first, bytes(_OUT)
    if op != 5:
        _run(w, bytes(((_MUL, _SQR, _ADD, _SUB, _MULA24)[op], _X2, _X2, _X3)), 4, -1)
    _run(w, bytes((_FREEZE, _X2, 0, 0)), 4, -1)
    _pack(w, _N * _X2, _OUT)
    return bytes(_OUT)
