"""The RP2040's crypto as ARMv6-M (Thumb-1) machine code: a small assembler and the routines.

This module is the source of `thumbcode.py` (the machine code as one bytes constant) and
`thumbcode2.py` (the same twice, for frozen firmware: see `sources`), which `thumb.py` runs on
the rp2 port; nothing imports it at run time. After an edit, regenerate both:

    python3 -m client.crypto.thumbgen thumbcode > client/crypto/thumbcode.py
    python3 -m client.crypto.thumbgen thumbcode2 > client/crypto/thumbcode2.py

(tests/test_crypto_thumb.py fails while they disagree, and runs every routine in a Thumb
simulator against the plain-Python code.)

Only ARMv6-M instructions are used (Cortex-M0+: 16-bit Thumb plus BL; MULS is 32x32->32 and
takes 1 cycle on the RP2040). No literal pools and no position-dependent code: the block runs
wherever it is loaded, at any even address. The routines keep to the AAPCS: arguments in r0-r2
(r3 carries the target into the trampoline of `thumbcall`, whose entry and exit save r4-r7),
r8-r11 saved when used. Nothing branches on, or indexes memory with, secret data: the loops run
a fixed number of times, the X25519 ladder swaps with masks, and the branches that exist depend
on lengths, alignment of buffer addresses, loop counters and the final tag comparison only.

Cycle counts (rp2040js, 125 MHz): X25519 5.14 M (41 ms: 255 ladder steps of 5 multiplications,
4 squarings, ~19 k cycles; fe_mul 2.2 k, fe_sqr 1.5 k cycles); ChaCha20 38.5 cycles per byte of
whole blocks; Poly1305 44 cycles per byte; BLAKE2s 3.7 k cycles per 64-byte block.

Layouts (byte offsets) shared with thumb.py are the `_X_*`, `_C_*`, `_P_*`, `_A_*`, `_B_*`
constants.
"""

# ---------------------------------------------------------------------------------------------
# The assembler: one method per instruction, named and ordered as in the ARMv6-M manual (the
# flag-setting forms are the only ones Thumb-1 has for low registers). Registers are ints 0..15.

R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12 = range(13)
SP, LR, PC = 13, 14, 15
_COND = {"eq": 0, "ne": 1, "cs": 2, "cc": 3, "mi": 4, "pl": 5, "hi": 8, "ls": 9,
         "ge": 10, "lt": 11, "gt": 12, "le": 13}


def _lo(*regs):
    for r in regs:
        if not 0 <= r <= 7:
            raise ValueError("low register expected, not r%d" % r)


def _imm(v, bits, scale=1):
    if v % scale or not 0 <= v // scale < (1 << bits):
        raise ValueError("immediate %d out of range" % v)
    return v // scale


class Asm:
    def __init__(self):
        self.code = []  # halfwords; a label fix-up is patched in by finish()
        self.labels = {}
        self.fixups = []  # (index, kind, label)
        self.entries = {}
        self._n = 0

    def h(self, v):
        self.code.append(v & 0xFFFF)

    def label(self, name):
        if name in self.labels:
            raise ValueError("label %s defined twice" % name)
        self.labels[name] = len(self.code)

    def fresh(self, stem="L"):
        self._n += 1
        return "%s%d" % (stem, self._n)

    def entry(self, name):
        # A routine called from Python (through thumb.py's trampoline).
        self.entries[name] = 2 * len(self.code)
        self.label(name)

    # --- shifts, add, subtract, move, compare (formats 1-3) ---
    def lsls(self, d, m, imm):
        _lo(d, m)
        self.h(0x0000 | _imm(imm, 5) << 6 | m << 3 | d)

    def lsrs(self, d, m, imm):  # imm 1..32
        _lo(d, m)
        self.h(0x0800 | _imm(imm & 31, 5) << 6 | m << 3 | d)

    def asrs(self, d, m, imm):
        _lo(d, m)
        self.h(0x1000 | _imm(imm & 31, 5) << 6 | m << 3 | d)

    def adds(self, d, n, m):
        _lo(d, n, m)
        self.h(0x1800 | m << 6 | n << 3 | d)

    def subs(self, d, n, m):
        _lo(d, n, m)
        self.h(0x1A00 | m << 6 | n << 3 | d)

    def addsi(self, d, n, imm):  # d = n + imm; imm 0..7, or 0..255 when d == n
        _lo(d, n)
        if d == n and imm > 7:
            self.h(0x3000 | d << 8 | _imm(imm, 8))
        else:
            self.h(0x1C00 | _imm(imm, 3) << 6 | n << 3 | d)

    def subsi(self, d, n, imm):
        _lo(d, n)
        if d == n and imm > 7:
            self.h(0x3800 | d << 8 | _imm(imm, 8))
        else:
            self.h(0x1E00 | _imm(imm, 3) << 6 | n << 3 | d)

    def movsi(self, d, imm):  # does not change C
        _lo(d)
        self.h(0x2000 | d << 8 | _imm(imm, 8))

    def cmpi(self, n, imm):
        _lo(n)
        self.h(0x2800 | n << 8 | _imm(imm, 8))

    # --- data processing, Rdn = Rdn op Rm (format 4) ---
    def _alu(self, op, dn, m):
        _lo(dn, m)
        self.h(0x4000 | op << 6 | m << 3 | dn)

    def ands(self, dn, m):
        self._alu(0, dn, m)

    def eors(self, dn, m):
        self._alu(1, dn, m)

    def lslsr(self, dn, m):
        self._alu(2, dn, m)

    def lsrsr(self, dn, m):
        self._alu(3, dn, m)

    def adcs(self, dn, m):
        self._alu(5, dn, m)

    def sbcs(self, dn, m):
        self._alu(6, dn, m)

    def rors(self, dn, m):  # rotate right by the register's low byte
        self._alu(7, dn, m)

    def tst(self, n, m):
        self._alu(8, n, m)

    def negs(self, d, m):  # d = 0 - m
        self._alu(9, d, m)

    def cmp(self, n, m):
        self._alu(10, n, m)

    def orrs(self, dn, m):
        self._alu(12, dn, m)

    def muls(self, dm, n):  # dm = n * dm, low 32 bits
        self._alu(13, dm, n)

    def bics(self, dn, m):
        self._alu(14, dn, m)

    def mvns(self, d, m):
        self._alu(15, d, m)

    # --- high registers (format 5) ---
    def mov(self, d, m):  # any registers; flags unchanged
        self.h(0x4600 | (d >> 3) << 7 | m << 3 | (d & 7))

    def addhi(self, dn, m):  # dn = dn + m, any registers, flags unchanged
        self.h(0x4400 | (dn >> 3) << 7 | m << 3 | (dn & 7))

    def bx(self, m):
        self.h(0x4700 | m << 3)

    # --- loads and stores ---
    def _mem(self, base_op, t, n, off, scale):
        _lo(t, n)
        self.h(base_op | _imm(off, 5, scale) << 6 | n << 3 | t)

    def str_(self, t, n, off=0):
        self._mem(0x6000, t, n, off, 4)

    def ldr(self, t, n, off=0):
        self._mem(0x6800, t, n, off, 4)

    def strb(self, t, n, off=0):
        self._mem(0x7000, t, n, off, 1)

    def ldrb(self, t, n, off=0):
        self._mem(0x7800, t, n, off, 1)

    def strh(self, t, n, off=0):
        self._mem(0x8000, t, n, off, 2)

    def ldrh(self, t, n, off=0):
        self._mem(0x8800, t, n, off, 2)

    def ldrsp(self, t, off):  # t = [sp + off]
        _lo(t)
        self.h(0x9800 | t << 8 | _imm(off, 8, 4))

    def strsp(self, t, off):  # [sp + off] = t
        _lo(t)
        self.h(0x9000 | t << 8 | _imm(off, 8, 4))

    def subsp(self, off):
        self.h(0xB080 | _imm(off, 7, 4))

    def addsp(self, off):
        self.h(0xB000 | _imm(off, 7, 4))

    def strbr(self, t, n, m):  # [n + m] = t (byte)
        _lo(t, n, m)
        self.h(0x5400 | m << 6 | n << 3 | t)

    def ldrr(self, t, n, m):  # t = [n + m]
        _lo(t, n, m)
        self.h(0x5800 | m << 6 | n << 3 | t)

    def ldrbr(self, t, n, m):
        _lo(t, n, m)
        self.h(0x5C00 | m << 6 | n << 3 | t)

    def push(self, regs, lr=False):
        mask = 0
        for r in regs:
            _lo(r)
            mask |= 1 << r
        self.h(0xB400 | (0x100 if lr else 0) | mask)

    def pop(self, regs, pc=False):
        mask = 0
        for r in regs:
            _lo(r)
            mask |= 1 << r
        self.h(0xBC00 | (0x100 if pc else 0) | mask)

    # --- branches (resolved by finish) ---
    def b(self, label):
        self.fixups.append((len(self.code), "b", label))
        self.h(0xE000)

    def bcc(self, cond, label):
        self.fixups.append((len(self.code), "bcc", label))
        self.h(0xD000 | _COND[cond] << 8)

    def bl(self, label):
        self.fixups.append((len(self.code), "bl", label))
        self.h(0xF000)
        self.h(0xF800)

    def bcc_far(self, cond, label):
        # The conditional branch reaches +-256 bytes; beyond, skip an unconditional one.
        skip = self.fresh("far")
        inverse = {v: k for k, v in _COND.items()}[_COND[cond] ^ 1]
        self.bcc(inverse, skip)
        self.b(label)
        self.label(skip)

    def finish(self):
        for at, kind, name in self.fixups:
            off = self.labels[name] - (at + 2)  # in halfwords, from PC = this + 4 bytes
            if kind == "b":
                if not -1024 <= off < 1024:
                    raise ValueError("branch to %s out of range" % name)
                self.code[at] |= off & 0x7FF
            elif kind == "bcc":
                if not -128 <= off < 128:
                    raise ValueError("conditional branch to %s out of range" % name)
                self.code[at] |= off & 0xFF
            else:  # bl: S, imm10, J1 = J2 = 1 for offsets within +-4 MB
                self.code[at] |= (off >> 21 & 1) << 10 | (off >> 11) & 0x3FF
                self.code[at + 1] |= off & 0x7FF
        self.fixups = []
        out = bytearray(2 * len(self.code))
        for i, v in enumerate(self.code):
            out[2 * i] = v & 0xFF
            out[2 * i + 1] = v >> 8
        return bytes(out)

    # --- helpers ---
    def addr(self, d, base, off):
        # d = base (any register) + off (0..510); two instructions at most.
        self.mov(d, base)
        while off:
            step = min(off, 255)
            self.addsi(d, d, step)
            off -= step

    def const(self, d, value):
        # d = value (< 2^16) from an 8-bit move and shifts/adds.
        if value < 256:
            self.movsi(d, value)
        else:
            self.movsi(d, value >> 8)
            self.lsls(d, d, 8)
            if value & 0xFF:
                self.addsi(d, d, value & 0xFF)


# ---------------------------------------------------------------------------------------------
# X25519 (RFC 7748 §5). A field element is its 32-byte little-endian encoding, any value below
# 2^256 (not reduced mod p = 2^255 - 19 until the end): sixteen 16-bit limbs read with LDRH, or
# eight words for the carry chains of add and subtract. 2^256 = 38 (mod p) folds the top.
#
# The work area (`thumb._X`), by byte offset: the 64-byte product of fmul/fsqr, the ladder's
# elements, the clamped scalar. r8 holds its address and r11 that of the product throughout.

_X_PT = 0
_X_X1 = 64
_X_X2 = 96
_X_Z2 = 128
_X_X3 = 160
_X_Z3 = 192
_X_T0 = 224
_X_T1 = 256
_X_T2 = 288
_X_T3 = 320
_X_K = 352
_X_SIZE = 384
_A24_LOW = 121665 - 65536  # a24 = 121665 = 2^16 + 0xDB41


def _fe_reduce_tail(a):
    # out (r0) = PT[0:32] + 38 * PT[32:64] (r3 = PT), then the carry out of bit 256 folded twice:
    # 38 * PT_high + PT_low < 39 * 2^256, so the first fold adds at most 38 * 38, and a second
    # carry leaves a value below 38 * 39 where adding 38 cannot carry again.
    a.movsi(R7, 38)
    a.movsi(R5, 0)
    for k in range(16):
        a.ldrh(R4, R3, 2 * k)
        a.ldrh(R6, R3, 2 * k + 32)
        a.muls(R6, R7)
        a.adds(R4, R4, R6)
        a.adds(R4, R4, R5)
        a.strh(R4, R0, 2 * k)
        a.lsrs(R5, R4, 16)
    _fold_carry_word(a, R5, R7)
    a.bx(LR)


def _fold_carry_word(a, c, r38):
    # [r0] += c * 38 (c small, in register c) over eight words, then once more for the carry out.
    a.muls(c, r38)
    a.movsi(R6, 0)
    a.ldr(R4, R0, 0)
    a.adds(R4, R4, c)
    a.str_(R4, R0, 0)
    for w in range(1, 8):
        a.ldr(R4, R0, 4 * w)
        a.adcs(R4, R6)
        a.str_(R4, R0, 4 * w)
    a.adcs(R6, R6)  # R6 = carry
    a.muls(R6, r38)
    a.ldr(R4, R0, 0)
    a.adds(R4, R4, R6)
    a.str_(R4, R0, 0)


def fe_mul(a):
    # r0 = out, r1 = x, r2 = y (out may be x or y). Product scanning: column k of the 512-bit
    # product is the 64-bit sum (r5:r4) of x_i * y_(k-i), 16-bit limbs (each product < 2^32).
    a.label("fe_mul")
    a.push([R0])
    a.mov(R3, R11)
    a.movsi(R7, 0)
    a.movsi(R4, 0)
    a.movsi(R5, 0)
    for k in range(31):
        for i in range(max(0, k - 15), min(k, 15) + 1):
            a.ldrh(R6, R1, 2 * i)
            a.ldrh(R0, R2, 2 * (k - i))
            a.muls(R6, R0)
            a.adds(R4, R4, R6)
            a.adcs(R5, R7)
        a.strh(R4, R3, 2 * k)
        # Next column's carry-in: (r5:r4) >> 16; a column sum is below 2^37, so r5 >> 16 = 0.
        a.lsrs(R4, R4, 16)
        a.lsls(R6, R5, 16)
        a.adds(R4, R4, R6)
        a.movsi(R5, 0)
    a.strh(R4, R3, 62)
    a.pop([R0])
    _fe_reduce_tail(a)


def fe_sqr(a):
    # r0 = out, r1 = x (out may be x). Column k = 2 * sum(x_i x_j, i < j) + x_(k/2)^2 + carry-in
    # (r2): the doubling must not double the carry, so the column is summed from zero.
    a.label("fe_sqr")
    a.push([R0])
    a.mov(R3, R11)
    a.movsi(R7, 0)
    a.movsi(R2, 0)
    for k in range(31):
        a.movsi(R4, 0)
        a.movsi(R5, 0)
        pairs = [(i, k - i) for i in range(max(0, k - 15), 16) if i < k - i]
        for i, j in pairs:
            a.ldrh(R6, R1, 2 * i)
            a.ldrh(R0, R1, 2 * j)
            a.muls(R6, R0)
            a.adds(R4, R4, R6)
            a.adcs(R5, R7)
        if pairs:
            a.adds(R4, R4, R4)
            a.adcs(R5, R5)
        if k % 2 == 0:
            a.ldrh(R6, R1, k)
            a.muls(R6, R6)
            a.adds(R4, R4, R6)
            a.adcs(R5, R7)
        a.adds(R4, R4, R2)
        a.adcs(R5, R7)
        a.strh(R4, R3, 2 * k)
        a.lsrs(R2, R4, 16)
        a.lsls(R6, R5, 16)
        a.adds(R2, R2, R6)
    a.strh(R2, R3, 62)
    a.pop([R0])
    _fe_reduce_tail(a)  # a copy: a branch to fe_mul's would be out of range


def fe_add(a):
    # r0 = x + y (r1, r2), a 256-bit add whose carry is folded as 38 (twice, see _fold_carry_word).
    a.label("fe_add")
    a.ldr(R3, R1, 0)
    a.ldr(R4, R2, 0)
    a.adds(R3, R3, R4)
    a.str_(R3, R0, 0)
    for w in range(1, 8):
        a.ldr(R3, R1, 4 * w)
        a.ldr(R4, R2, 4 * w)
        a.adcs(R3, R4)
        a.str_(R3, R0, 4 * w)
    a.movsi(R5, 0)
    a.adcs(R5, R5)
    a.movsi(R7, 38)
    _fold_carry_word(a, R5, R7)
    a.bx(LR)


def fe_sub(a):
    # r0 = x - y (r1, r2): a borrow out of bit 256 means 2^256 = 38 too much, so 38 is taken off
    # (and once more if that borrows; then the value is near 2^256 and cannot borrow again).
    a.label("fe_sub")
    a.ldr(R3, R1, 0)
    a.ldr(R4, R2, 0)
    a.subs(R3, R3, R4)
    a.str_(R3, R0, 0)
    for w in range(1, 8):
        a.ldr(R3, R1, 4 * w)
        a.ldr(R4, R2, 4 * w)
        a.sbcs(R3, R4)
        a.str_(R3, R0, 4 * w)
    a.movsi(R6, 38)
    a.movsi(R7, 0)
    for _ in range(2):
        a.sbcs(R5, R5)  # 0, or -1 after a borrow
        a.ands(R5, R6)
        a.ldr(R3, R0, 0)
        a.subs(R3, R3, R5)
        a.str_(R3, R0, 0)
        for w in range(1, 8):
            a.ldr(R3, R0, 4 * w)
            a.sbcs(R3, R7)
            a.str_(R3, R0, 4 * w)
    a.bx(LR)


def fe_mul_a24(a):
    # r0 = 121665 * x (r1). Limb by limb: x_i * 0xDB41 + x_(i-1) (the 2^16 part) + carry,
    # at most 0xDB4024BF + 0xFFFF + 0x10000 < 2^32; the top (< 2^17) is folded as 38.
    a.label("fe_mul_a24")
    a.const(R7, _A24_LOW)
    a.movsi(R5, 0)
    a.movsi(R6, 0)
    for i in range(16):
        a.ldrh(R3, R1, 2 * i)
        a.mov(R4, R3)
        a.muls(R4, R7)
        a.adds(R4, R4, R6)
        a.adds(R4, R4, R5)
        a.strh(R4, R0, 2 * i)
        a.lsrs(R5, R4, 16)
        a.mov(R6, R3)
    a.adds(R5, R5, R6)
    a.movsi(R7, 38)
    _fold_carry_word(a, R5, R7)
    a.bx(LR)


def fe_cswap(a):
    # Swap x (r0) and y (r1) when r2 = 0xFFFFFFFF, not when r2 = 0: t = (x ^ y) & mask.
    a.label("fe_cswap")
    for w in range(8):
        a.ldr(R3, R0, 4 * w)
        a.ldr(R4, R1, 4 * w)
        a.mov(R5, R3)
        a.eors(R5, R4)
        a.ands(R5, R2)
        a.eors(R3, R5)
        a.eors(R4, R5)
        a.str_(R3, R0, 4 * w)
        a.str_(R4, R1, 4 * w)
    a.bx(LR)


def fe_freeze(a):
    # r0: the element, fully reduced (0 <= x < p). Fold bit 255 as 19, then subtract p when
    # x + 19 reaches 2^255 — by adding 19 * q and clearing bit 255, q = (x + 19) >> 255.
    a.label("fe_freeze")
    a.movsi(R6, 0)
    a.movsi(R7, 19)
    a.ldr(R1, R0, 28)
    a.lsrs(R2, R1, 31)
    a.lsls(R1, R1, 1)
    a.lsrs(R1, R1, 1)
    a.str_(R1, R0, 28)
    for fold in range(2):
        if fold:  # q from the carry chain of x + 19, without storing it
            a.ldr(R1, R0, 0)
            a.adds(R1, R1, R7)
            for w in range(1, 8):
                a.ldr(R1, R0, 4 * w)
                a.adcs(R1, R6)
            a.lsrs(R2, R1, 31)
        a.muls(R2, R7)
        a.ldr(R1, R0, 0)
        a.adds(R1, R1, R2)
        a.str_(R1, R0, 0)
        for w in range(1, 8):
            a.ldr(R1, R0, 4 * w)
            a.adcs(R1, R6)
            if fold and w == 7:
                a.lsls(R1, R1, 1)
                a.lsrs(R1, R1, 1)
            a.str_(R1, R0, 4 * w)
    a.bx(LR)


def _call(a, fn, out, x=None, y=None):
    # Field operation on work-area elements (byte offsets): r0 = out, r1 = x, r2 = y.
    a.addr(R0, R8, out)
    if x is not None:
        a.addr(R1, R8, x)
    if y is not None:
        a.addr(R2, R8, y)
    a.bl(fn)


def _sqr_n(a, out, x, n):
    # out = x^(2^n); r10 counts.
    _call(a, "fe_sqr", out, x)
    if n > 1:
        loop = a.fresh("sq")
        a.movsi(R0, n - 1)
        a.mov(R10, R0)
        a.label(loop)
        _call(a, "fe_sqr", out, out)
        a.mov(R0, R10)
        a.subsi(R0, R0, 1)
        a.mov(R10, R0)
        a.bcc("ne", loop)


def x25519_ladder(a):
    # r0 = work area with X1 = u, X2 = 1, Z2 = 0, X3 = u, Z3 = 1 and K = the clamped scalar;
    # leaves X2 = the u-coordinate of K * u, reduced (RFC 7748 §5, Montgomery ladder with the
    # conditional swaps as masks). r8 = work area, r9 = bit index t, r10 = swap, r11 = product.
    a.entry("x25519_ladder")
    a.mov(R4, R8)
    a.mov(R5, R9)
    a.mov(R6, R10)
    a.mov(R7, R11)
    a.push([R4, R5, R6, R7], lr=True)
    a.mov(R8, R0)
    a.addr(R1, R0, _X_PT)
    a.mov(R11, R1)
    a.movsi(R0, 254)
    a.mov(R9, R0)
    a.movsi(R0, 0)
    a.mov(R10, R0)
    a.label("ladder")
    # k_t = (K[t >> 3] >> (t & 7)) & 1: the index depends on t only, not on the key.
    a.mov(R0, R9)
    a.lsrs(R1, R0, 3)
    a.addr(R2, R8, _X_K)
    a.ldrbr(R1, R2, R1)
    a.movsi(R3, 7)
    a.ands(R3, R0)
    a.lsrsr(R1, R3)
    a.movsi(R3, 1)
    a.ands(R1, R3)
    a.mov(R2, R10)
    a.eors(R2, R1)  # swap ^= k_t
    a.mov(R10, R1)  # swap = k_t
    a.negs(R2, R2)
    _call(a, "fe_cswap", _X_X2, _X_X3)  # fe_cswap keeps r2 (the mask)
    _call(a, "fe_cswap", _X_Z2, _X_Z3)
    # One ladder step; T0..T3 = A, B, C, D, then DA, CB, AA, BB, E in the same places.
    _call(a, "fe_add", _X_T0, _X_X2, _X_Z2)  # A = x2 + z2
    _call(a, "fe_sub", _X_T1, _X_X2, _X_Z2)  # B = x2 - z2
    _call(a, "fe_add", _X_T2, _X_X3, _X_Z3)  # C = x3 + z3
    _call(a, "fe_sub", _X_T3, _X_X3, _X_Z3)  # D = x3 - z3
    _call(a, "fe_mul", _X_T3, _X_T3, _X_T0)  # DA = D * A
    _call(a, "fe_mul", _X_T2, _X_T2, _X_T1)  # CB = C * B
    _call(a, "fe_sqr", _X_T0, _X_T0)  # AA = A^2
    _call(a, "fe_sqr", _X_T1, _X_T1)  # BB = B^2
    _call(a, "fe_add", _X_X3, _X_T3, _X_T2)  # x3 = (DA + CB)^2
    _call(a, "fe_sqr", _X_X3, _X_X3)
    _call(a, "fe_sub", _X_Z3, _X_T3, _X_T2)  # z3 = x1 * (DA - CB)^2
    _call(a, "fe_sqr", _X_Z3, _X_Z3)
    _call(a, "fe_mul", _X_Z3, _X_Z3, _X_X1)
    _call(a, "fe_mul", _X_X2, _X_T0, _X_T1)  # x2 = AA * BB
    _call(a, "fe_sub", _X_T1, _X_T0, _X_T1)  # E = AA - BB
    _call(a, "fe_mul_a24", _X_T2, _X_T1)  # z2 = E * (AA + a24 * E)
    _call(a, "fe_add", _X_T2, _X_T2, _X_T0)
    _call(a, "fe_mul", _X_Z2, _X_T1, _X_T2)
    a.mov(R0, R9)
    a.subsi(R0, R0, 1)
    a.mov(R9, R0)
    a.bcc_far("pl", "ladder")
    a.mov(R2, R10)
    a.negs(R2, R2)
    _call(a, "fe_cswap", _X_X2, _X_X3)  # fe_cswap keeps r2 (the mask)
    _call(a, "fe_cswap", _X_Z2, _X_Z3)
    # x2 / z2 = x2 * z2^(p - 2): the addition chain of curve25519-donna (254 squarings, 11
    # multiplications); the ladder's other elements are free now.
    z, z2, t, z9, z11 = _X_Z2, _X_T0, _X_T1, _X_T2, _X_T3
    z5, z10, z20, z50, z100 = _X_X3, _X_Z3, _X_X1, _X_T0, _X_Z2
    _call(a, "fe_sqr", z2, z)  # 2
    _sqr_n(a, t, z2, 2)  # 8
    _call(a, "fe_mul", z9, t, z)  # 9
    _call(a, "fe_mul", z11, z9, z2)  # 11
    _call(a, "fe_sqr", t, z11)  # 22
    _call(a, "fe_mul", z5, t, z9)  # 2^5 - 1
    _sqr_n(a, t, z5, 5)
    _call(a, "fe_mul", z10, t, z5)  # 2^10 - 1
    _sqr_n(a, t, z10, 10)
    _call(a, "fe_mul", z20, t, z10)  # 2^20 - 1
    _sqr_n(a, t, z20, 20)
    _call(a, "fe_mul", t, t, z20)  # 2^40 - 1
    _sqr_n(a, t, t, 10)
    _call(a, "fe_mul", z50, t, z10)  # 2^50 - 1
    _sqr_n(a, t, z50, 50)
    _call(a, "fe_mul", z100, t, z50)  # 2^100 - 1
    _sqr_n(a, t, z100, 100)
    _call(a, "fe_mul", t, t, z100)  # 2^200 - 1
    _sqr_n(a, t, t, 50)
    _call(a, "fe_mul", t, t, z50)  # 2^250 - 1
    _sqr_n(a, t, t, 5)
    _call(a, "fe_mul", t, t, z11)  # 2^255 - 21 = p - 2
    _call(a, "fe_mul", _X_X2, _X_X2, t)
    _call(a, "fe_freeze", _X_X2)
    a.pop([R4, R5, R6, R7])
    a.mov(R8, R4)
    a.mov(R9, R5)
    a.mov(R10, R6)
    a.mov(R11, R7)
    a.pop([], pc=True)


def fe_entries(a):
    # The field operations on their own, for tests: r0 = work area (r8, r11 as in the ladder),
    # r1 = operation (0 mul, 1 sqr, 2 add, 3 sub, 4 mul_a24, 5 freeze, 6 cswap with mask r2),
    # operands at X2 (and X3), result at X2 (and X3 for cswap).
    a.entry("fe_op")
    a.mov(R4, R8)
    a.mov(R5, R11)
    a.push([R4, R5], lr=True)
    a.mov(R8, R0)
    a.addr(R3, R0, _X_PT)
    a.mov(R11, R3)
    ops = (("fe_mul", 2), ("fe_sqr", 1), ("fe_add", 2), ("fe_sub", 2), ("fe_mul_a24", 1),
           ("fe_freeze", 0), ("fe_cswap", -1))
    for n, (fn, argc) in enumerate(ops):
        nxt = a.fresh("op")
        a.cmpi(R1, n)
        a.bcc("ne", nxt)
        if argc == -1:
            a.addr(R0, R8, _X_X2)
            a.addr(R1, R8, _X_X3)
            a.bl(fn)
        else:
            _call(a, fn, _X_X2, _X_X2 if argc else None, _X_X3 if argc == 2 else None)
        a.b("fe_op_done")
        a.label(nxt)
    a.label("fe_op_done")
    a.pop([R4, R5])
    a.mov(R8, R4)
    a.mov(R11, R5)
    a.pop([], pc=True)


# ---------------------------------------------------------------------------------------------
# ChaCha20 (RFC 8439 §2.3-2.4). The state (`thumb._C`, 132 bytes): words 0..15 the input block
# (constants, key, block counter, nonce), words 16..31 the working copy (for the bytes of a
# partial or unaligned block: the keystream), word 32 the number of bytes to process.

_C_WORK = 64
_C_N = 128
_C_SIZE = 132


# Working words 8..13 live in high registers during the rounds (a MOV is one cycle, a load or
# store two); the others in the working copy.
_C_CACHED = {8: R8, 9: R9, 10: R10, 11: R11, 12: R12, 13: LR}
_C_COLUMNS = ((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15))
_C_DIAGONALS = ((0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14))


def _chacha_qr(a, words, first=False):
    # One quarter round on words (x, y, z, w) in r1..r4; r6 = 20, r7 = 24 (right rotations for
    # the left ones by 12 and 8), r5 takes 16 and 25. The first round reads the input block
    # itself (no copy into the working words).
    regs = (R1, R2, R3, R4)
    for reg, w in zip(regs, words):
        if first:
            a.ldr(reg, R0, 4 * w)
        elif w in _C_CACHED:
            a.mov(reg, _C_CACHED[w])
        else:
            a.ldr(reg, R0, _C_WORK + 4 * w)
    a.adds(R1, R1, R2)
    a.eors(R4, R1)
    a.movsi(R5, 16)
    a.rors(R4, R5)
    a.adds(R3, R3, R4)
    a.eors(R2, R3)
    a.rors(R2, R6)
    a.adds(R1, R1, R2)
    a.eors(R4, R1)
    a.rors(R4, R7)
    a.adds(R3, R3, R4)
    a.eors(R2, R3)
    a.movsi(R5, 25)
    a.rors(R2, R5)
    for reg, w in zip(regs, words):
        if w in _C_CACHED:
            a.mov(_C_CACHED[w], reg)
        else:
            a.str_(reg, R0, _C_WORK + 4 * w)


def _chacha_word(a, reg, w):
    # reg = working word w, wherever it is.
    if w in _C_CACHED:
        a.mov(reg, _C_CACHED[w])
    else:
        a.ldr(reg, R0, _C_WORK + 4 * w)


def chacha20_xor(a):
    # r0 = state, r1 = src, r2 = dst (may be src), n = the state's word 32: dst = src ^ keystream
    # from the state's block counter on, which is left incremented once per block. Full blocks
    # go by words when src and dst are word-aligned (feed-forward and XOR in one pass), the rest
    # by bytes from the keystream stored in the working words. Stack: [sp] = src, [sp + 4] =
    # dst, [sp + 8] = n left, [sp + 12] = double rounds left; then r8-r11 and lr saved.
    a.entry("chacha20_xor")
    a.mov(R3, R0)
    a.addsi(R3, R3, _C_N)
    a.ldr(R3, R3, 0)
    a.mov(R4, R8)
    a.mov(R5, R9)
    a.mov(R6, R10)
    a.mov(R7, R11)
    a.push([R4, R5, R6, R7], lr=True)
    a.subsp(16)
    a.strsp(R1, 0)
    a.strsp(R2, 4)
    a.strsp(R3, 8)
    a.cmpi(R3, 0)
    a.bcc_far("eq", "cc_done")
    a.label("cc_block")
    a.movsi(R6, 20)
    a.movsi(R7, 24)
    for q in _C_COLUMNS:
        _chacha_qr(a, q, first=True)
    for q in _C_DIAGONALS:
        _chacha_qr(a, q)
    a.movsi(R5, 9)
    a.strsp(R5, 12)
    a.label("cc_round")
    for q in _C_COLUMNS + _C_DIAGONALS:
        _chacha_qr(a, q)
    a.ldrsp(R5, 12)
    a.subsi(R5, R5, 1)
    a.strsp(R5, 12)
    a.bcc_far("ne", "cc_round")
    a.ldrsp(R1, 0)
    a.ldrsp(R2, 4)
    a.ldrsp(R3, 8)
    a.movsi(R6, 64)
    a.cmp(R3, R6)
    a.bcc_far("cc", "cc_bytes")  # n < 64
    a.mov(R4, R1)
    a.orrs(R4, R2)
    a.lsls(R4, R4, 30)
    a.bcc_far("ne", "cc_bytes")  # unaligned
    for w in range(16):  # dst = src ^ (working + input)
        _chacha_word(a, R3, w)
        a.ldr(R4, R0, 4 * w)
        a.adds(R3, R3, R4)
        a.ldr(R5, R1, 4 * w)
        a.eors(R3, R5)
        a.str_(R3, R2, 4 * w)
    a.b("cc_next")
    a.label("cc_bytes")
    for w in range(16):  # the keystream into the working words
        _chacha_word(a, R4, w)
        a.ldr(R5, R0, 4 * w)
        a.adds(R4, R4, R5)
        a.str_(R4, R0, _C_WORK + 4 * w)
    a.cmp(R3, R6)
    a.bcc("cs", "cc_m")
    a.mov(R6, R3)  # this block's byte count: min(n, 64)
    a.label("cc_m")
    a.mov(R7, R0)
    a.addsi(R7, R7, _C_WORK)
    a.movsi(R3, 0)
    a.label("cc_byte")
    a.ldrbr(R4, R1, R3)
    a.ldrbr(R5, R7, R3)
    a.eors(R4, R5)
    a.strbr(R4, R2, R3)
    a.addsi(R3, R3, 1)
    a.cmp(R3, R6)
    a.bcc("ne", "cc_byte")
    a.label("cc_next")
    a.ldr(R3, R0, 48)  # the block counter
    a.addsi(R3, R3, 1)
    a.str_(R3, R0, 48)
    a.adds(R1, R1, R6)  # src, dst += m; n -= m
    a.adds(R2, R2, R6)
    a.ldrsp(R3, 8)
    a.subs(R3, R3, R6)
    a.strsp(R1, 0)
    a.strsp(R2, 4)
    a.strsp(R3, 8)
    a.bcc_far("ne", "cc_block")
    a.label("cc_done")
    a.addsp(16)
    a.pop([R4, R5, R6, R7])
    a.mov(R8, R4)
    a.mov(R9, R5)
    a.mov(R10, R6)
    a.mov(R11, R7)
    a.pop([], pc=True)


# ---------------------------------------------------------------------------------------------
# Poly1305 (RFC 8439 §2.5). The state (`thumb._P`, 88 bytes): r clamped (16 bytes = eight
# 16-bit limbs), h (5 words, below 2^132: nine 16-bit limbs), the product (18 halfwords), s.
# Per block: h += m + 2^128; T = h * r by product scanning (64-bit column sums, as fe_mul);
# h = T mod 2^130 + 5 * (T >> 130), computed as L + 4H + H with U = T >> 128 = 4H + (T4 & 3).
# r < 2^124 (clamped), so U < 2^(bits(h) - 4) and h stays below 2^131.2 from block to block.

_P_R = 0
_P_H = 16
_P_T = 36
_P_S = 72
_P_SIZE = 88


def _load_words_unaligned(a, regs, base, tmp):
    # regs[k] = the little-endian word at base + 4k, by bytes (the M0+ faults on unaligned LDR).
    for k, reg in enumerate(regs):
        a.ldrb(reg, base, 4 * k + 3)
        for b in (2, 1, 0):
            a.lsls(reg, reg, 8)
            a.ldrb(tmp, base, 4 * k + b)
            a.orrs(reg, tmp)


_P_CACHED = (R8, R9, R10, R11, R12, LR)  # r's limbs 0..5 during the blocks


def poly1305_blocks(a):
    # r0 = state, r1 = data, r2 = number of 16-byte blocks (> 0). Stack: [sp] = data,
    # [sp + 4] = blocks left, then r8-r11 and lr saved; r3 = the product's address.
    a.entry("poly1305_blocks")
    a.mov(R4, R8)
    a.mov(R5, R9)
    a.mov(R6, R10)
    a.mov(R7, R11)
    a.push([R4, R5, R6, R7], lr=True)
    a.push([R1, R2])
    for j, reg in enumerate(_P_CACHED):
        a.ldrh(R4, R0, _P_R + 2 * j)
        a.mov(reg, R4)
    a.mov(R3, R0)
    a.addsi(R3, R3, _P_T)
    a.label("pb_block")
    a.ldrsp(R1, 0)
    a.lsls(R7, R1, 30)
    a.bcc("ne", "pb_unaligned")
    a.ldr(R2, R1, 0)
    a.ldr(R4, R1, 4)
    a.ldr(R5, R1, 8)
    a.ldr(R6, R1, 12)
    a.b("pb_loaded")
    a.label("pb_unaligned")
    _load_words_unaligned(a, (R2, R4, R5, R6), R1, R7)
    a.label("pb_loaded")
    a.addsi(R1, R1, 16)
    a.strsp(R1, 0)
    for k, reg in enumerate((R2, R4, R5, R6)):
        a.ldr(R7, R0, _P_H + 4 * k)
        if k:
            a.adcs(R7, reg)
        else:
            a.adds(R7, R7, reg)
        a.str_(R7, R0, _P_H + 4 * k)
    a.ldr(R7, R0, _P_H + 16)
    a.movsi(R2, 1)  # the 2^128 bit
    a.adcs(R7, R2)
    a.str_(R7, R0, _P_H + 16)
    a.movsi(R7, 0)
    a.movsi(R4, 0)
    a.movsi(R5, 0)
    for k in range(16):
        for i in range(max(0, k - 7), min(k, 8) + 1):
            j = k - i
            a.ldrh(R6, R0, _P_H + 2 * i)
            if j < len(_P_CACHED):
                a.mov(R2, _P_CACHED[j])
            else:
                a.ldrh(R2, R0, _P_R + 2 * j)
            a.muls(R6, R2)
            a.adds(R4, R4, R6)
            a.adcs(R5, R7)
        a.strh(R4, R3, 2 * k)
        a.lsrs(R4, R4, 16)
        a.lsls(R6, R5, 16)
        a.adds(R4, R4, R6)
        a.movsi(R5, 0)
    a.strh(R4, R3, 32)
    a.strh(R7, R3, 34)
    # U >> 2 (= H) into h, word by word (shifts change C, so before the carry chains).
    a.ldr(R4, R3, 16)
    a.ldr(R5, R3, 20)
    for k in range(4):
        cur, nxt = (R4, R5) if k % 2 == 0 else (R5, R4)
        if k:
            a.ldr(nxt, R3, 20 + 4 * k)
        a.lsrs(R2, cur, 2)
        a.lsls(R1, nxt, 30)
        a.orrs(R2, R1)
        a.str_(R2, R0, _P_H + 4 * k)
        if k == 0:
            a.mov(R6, R4)  # keep T4
    # After k = 3, T8 is in R4 (k = 3 loads into nxt = R4).
    a.lsrs(R2, R4, 2)
    a.str_(R2, R0, _P_H + 16)
    a.movsi(R1, 3)
    a.mov(R2, R6)
    a.bics(R2, R1)  # T4 & ~3
    a.ands(R6, R1)  # T4 & 3
    # h = H + (U & ~3)
    a.ldr(R1, R0, _P_H)
    a.adds(R1, R1, R2)
    a.str_(R1, R0, _P_H)
    for k in range(1, 5):
        a.ldr(R1, R0, _P_H + 4 * k)
        a.ldr(R2, R3, 16 + 4 * k)
        a.adcs(R1, R2)
        a.str_(R1, R0, _P_H + 4 * k)
    # h += L = T mod 2^130
    for k in range(4):
        a.ldr(R1, R0, _P_H + 4 * k)
        a.ldr(R2, R3, 4 * k)
        if k:
            a.adcs(R1, R2)
        else:
            a.adds(R1, R1, R2)
        a.str_(R1, R0, _P_H + 4 * k)
    a.ldr(R1, R0, _P_H + 16)
    a.adcs(R1, R6)
    a.str_(R1, R0, _P_H + 16)
    a.ldrsp(R1, 4)
    a.subsi(R1, R1, 1)
    a.strsp(R1, 4)
    a.bcc_far("ne", "pb_block")
    a.pop([R1, R2])
    a.pop([R4, R5, R6, R7])
    a.mov(R8, R4)
    a.mov(R9, R5)
    a.mov(R10, R6)
    a.mov(R11, R7)
    a.pop([], pc=True)


def poly1305_finish(a):
    # r0 = state, r1 = 16-byte tag out (word-aligned): (h mod p + s) mod 2^128. h < 2^131.2:
    # fold h >> 130 as 5 (h < 2^130 + 15), then h - p = h + 5 - 2^130 when that is not negative,
    # chosen by mask; only the low 128 bits matter from there on.
    a.entry("poly1305_finish")
    a.ldr(R4, R0, _P_H + 16)
    a.lsrs(R2, R4, 2)
    a.movsi(R3, 3)
    a.ands(R4, R3)
    a.str_(R4, R0, _P_H + 16)
    a.movsi(R3, 5)
    a.muls(R2, R3)
    a.movsi(R7, 0)
    a.ldr(R4, R0, _P_H)
    a.adds(R4, R4, R2)
    a.str_(R4, R0, _P_H)
    for k in range(1, 5):
        a.ldr(R4, R0, _P_H + 4 * k)
        a.adcs(R4, R7)
        a.str_(R4, R0, _P_H + 4 * k)
    a.ldr(R2, R0, _P_H)
    a.addsi(R2, R2, 5)
    for k, reg in ((1, R3), (2, R4), (3, R5), (4, R6)):
        a.ldr(reg, R0, _P_H + 4 * k)
        a.adcs(reg, R7)
    a.lsrs(R6, R6, 2)
    a.negs(R6, R6)  # all ones when h >= p
    for k, reg in enumerate((R2, R3, R4, R5)):
        a.ldr(R7, R0, _P_H + 4 * k)
        a.eors(reg, R7)
        a.ands(reg, R6)
        a.eors(reg, R7)
    for k, reg in enumerate((R2, R3, R4, R5)):
        a.ldr(R7, R0, _P_S + 4 * k)
        if k:
            a.adcs(reg, R7)
        else:
            a.adds(reg, reg, R7)
    for k, reg in enumerate((R2, R3, R4, R5)):
        a.str_(reg, R1, 4 * k)
    a.bx(LR)


# ---------------------------------------------------------------------------------------------
# ChaCha20-Poly1305 (RFC 8439 §2.8) in one call per message: the state (`thumb._A`, 300 bytes)
# holds the flags (bit 0: begun, the caller has MACed ad itself; bit 1: WireGuard's nonce from
# COUNTER), the lengths of ad and of the message, the counter (64 bits), the length block, a
# 16-byte pad block, the computed tag, then a ChaCha20 state (key, and the block counter and
# nonce unless bit 1) and a Poly1305 state.

_A_FLAGS = 0
_A_ADLEN = 4
_A_LEN = 8
_A_COUNTER = 12
_A_LENBLOCK = 32
_A_PAD = 48
_A_TAG = 64
_A_CHACHA = 80
_A_POLY = _A_CHACHA + _C_SIZE
_A_SIZE = _A_POLY + _P_SIZE


def aead_begin(a):
    # r0 = state: the one-time key = ChaCha20 block 0 (with flag 1 first the nonce 4 zero bytes
    # || LE64 counter), r = its first 16 bytes clamped, s = the next 16, h = 0; the block counter
    # is then 1.
    a.entry("aead_begin")
    a.push([R0], lr=True)
    a.ldr(R3, R0, _A_FLAGS)
    a.movsi(R4, 2)
    a.tst(R3, R4)
    a.bcc("eq", "ab_nonce_set")
    a.mov(R5, R0)
    a.addsi(R5, R5, _A_CHACHA)
    a.movsi(R4, 0)
    a.str_(R4, R5, 48)  # block counter 0
    a.str_(R4, R5, 52)
    a.ldr(R4, R0, _A_COUNTER)
    a.str_(R4, R5, 56)
    a.ldr(R4, R0, _A_COUNTER + 4)
    a.str_(R4, R5, 60)
    a.label("ab_nonce_set")
    a.movsi(R1, 0)
    for k in range(8):  # 32 zero bytes at PAD..TAG, encrypted in place
        a.str_(R1, R0, _A_PAD + 4 * k)
    a.movsi(R1, 32)
    a.addr(R2, R0, _A_CHACHA + _C_N)
    a.str_(R1, R2, 0)
    a.addr(R1, R0, _A_PAD)
    a.mov(R2, R1)
    a.addsi(R0, R0, _A_CHACHA)
    a.bl("chacha20_xor")
    a.pop([R0])
    a.addr(R7, R0, _A_POLY)
    a.movsi(R5, 15)
    a.lsls(R5, R5, 28)
    a.mvns(R5, R5)  # 0x0FFFFFFF
    a.mov(R6, R5)
    a.movsi(R4, 3)
    a.bics(R6, R4)  # 0x0FFFFFFC
    for k in range(4):
        a.ldr(R1, R0, _A_PAD + 4 * k)
        a.ands(R1, R5 if k == 0 else R6)
        a.str_(R1, R7, _P_R + 4 * k)
        a.ldr(R1, R0, _A_PAD + 16 + 4 * k)
        a.str_(R1, R7, _P_S + 4 * k)
    a.movsi(R1, 0)
    for k in range(5):
        a.str_(R1, R7, _P_H + 4 * k)
    a.pop([], pc=True)


def aead_mac(a):
    # r0 = state, r1 = data, r2 = n: MAC data[0:n] zero-padded to 16 bytes (ad or ciphertext).
    a.entry("aead_mac")
    a.push([R0, R1, R2], lr=True)
    a.lsrs(R2, R2, 4)
    a.bcc("eq", "am_tail")
    a.addsi(R0, R0, _A_POLY)
    a.bl("poly1305_blocks")
    a.label("am_tail")
    a.ldrsp(R0, 0)
    a.ldrsp(R1, 4)
    a.ldrsp(R3, 8)
    a.movsi(R2, 15)
    a.ands(R2, R3)
    a.bcc("eq", "am_done")
    a.movsi(R4, 0)
    for k in range(4):
        a.str_(R4, R0, _A_PAD + 4 * k)
    a.subs(R3, R3, R2)
    a.adds(R1, R1, R3)  # the tail: data + n - (n & 15)
    a.mov(R5, R0)
    a.addsi(R5, R5, _A_PAD)
    a.label("am_byte")
    a.ldrbr(R6, R1, R4)
    a.strbr(R6, R5, R4)
    a.addsi(R4, R4, 1)
    a.cmp(R4, R2)
    a.bcc("ne", "am_byte")
    a.mov(R1, R5)
    a.movsi(R2, 1)
    a.addsi(R0, R0, _A_POLY)
    a.bl("poly1305_blocks")
    a.label("am_done")
    a.pop([R0, R1, R2])
    a.pop([], pc=True)


def _aead_tag(a):
    # In a routine whose stack holds the state at sp: the length block, then TAG = the tag.
    a.ldrsp(R0, 0)
    a.ldr(R1, R0, _A_ADLEN)
    a.ldr(R2, R0, _A_LEN)
    a.movsi(R3, 0)
    a.str_(R1, R0, _A_LENBLOCK)
    a.str_(R3, R0, _A_LENBLOCK + 4)
    a.str_(R2, R0, _A_LENBLOCK + 8)
    a.str_(R3, R0, _A_LENBLOCK + 12)
    a.mov(R1, R0)
    a.addsi(R1, R1, _A_LENBLOCK)
    a.movsi(R2, 1)
    a.addsi(R0, R0, _A_POLY)
    a.bl("poly1305_blocks")
    a.ldrsp(R0, 0)
    a.mov(R1, R0)
    a.addsi(R1, R1, _A_TAG)
    a.addsi(R0, R0, _A_POLY)
    a.bl("poly1305_finish")


def _aead_start(a, name):
    # Entry: [sp] = state, [sp + 4] = r1, [sp + 8] = r2; the one-time key unless flagged begun.
    a.entry(name)
    a.push([R0, R1, R2], lr=True)
    a.ldr(R3, R0, _A_FLAGS)
    a.lsrs(R3, R3, 1)  # C = bit 0
    skip = a.fresh("begun")
    a.bcc("cs", skip)
    a.bl("aead_begin")
    a.label(skip)


def _aead_cipher(a, src_sp, dst_sp):
    # ChaCha20 from block 1 over the message: src, dst from the stack.
    a.ldrsp(R0, 0)
    a.ldr(R3, R0, _A_LEN)
    a.addsi(R0, R0, _A_CHACHA)
    a.mov(R1, R0)
    a.addsi(R1, R1, _C_N)
    a.str_(R3, R1, 0)
    a.ldrsp(R1, src_sp)
    a.ldrsp(R2, dst_sp)
    a.bl("chacha20_xor")


def aead_seal(a):
    # r0 = state, r1 = src, r2 = dst (may be src): dst[0:n] = ChaCha20(src), dst[n:n + 16] = tag.
    _aead_start(a, "aead_seal")
    _aead_cipher(a, 4, 8)
    a.ldrsp(R0, 0)
    a.ldrsp(R1, 8)
    a.ldr(R2, R0, _A_LEN)
    a.bl("aead_mac")
    _aead_tag(a)
    a.ldrsp(R0, 0)
    a.ldrsp(R1, 8)
    a.ldr(R3, R0, _A_LEN)
    a.adds(R1, R1, R3)
    a.addsi(R0, R0, _A_TAG)
    for i in range(16):  # by bytes: dst + n may be unaligned
        a.ldrb(R4, R0, i)
        a.strb(R4, R1, i)
    a.pop([R0, R1, R2])
    a.pop([], pc=True)


def aead_open(a):
    # r0 = state, r1 = sealed (message || tag), r2 = out: returns 1 and out[0:n] = the plaintext
    # when the tag verifies, else 0 with out untouched. The tags are compared in full.
    _aead_start(a, "aead_open")
    a.ldrsp(R0, 0)
    a.ldrsp(R1, 4)
    a.ldr(R2, R0, _A_LEN)
    a.bl("aead_mac")
    _aead_tag(a)
    a.ldrsp(R0, 0)
    a.ldrsp(R1, 4)
    a.ldr(R3, R0, _A_LEN)
    a.adds(R1, R1, R3)
    a.addsi(R0, R0, _A_TAG)
    a.movsi(R7, 0)
    for i in range(16):
        a.ldrb(R4, R1, i)
        a.ldrb(R5, R0, i)
        a.eors(R4, R5)
        a.orrs(R7, R4)
    a.cmpi(R7, 0)
    a.bcc("ne", "ao_forged")
    _aead_cipher(a, 4, 8)
    a.movsi(R0, 1)
    a.b("ao_out")
    a.label("ao_forged")
    a.movsi(R0, 0)
    a.label("ao_out")
    a.pop([R1, R2, R3])
    a.pop([], pc=True)


# ---------------------------------------------------------------------------------------------
# BLAKE2s compression (RFC 7693 §3.2). The state (`thumb._B`, 508 bytes): v (16 words),
# h (8), t (2), f (0 or all ones: last block), the bytes per block added to t, m (16), the IV,
# then SIGMA as byte offsets of m's words from the state (one 16-byte row per round).

_B_V = 0
_B_H = 64
_B_T = 96
_B_F = 104
_B_INC = 108
_B_M = 112
_B_IV = 176
_B_SIGMA = 208
_B_PARAM = 368  # blake2s_message: h[0] ^= this (RFC 7693 §2.5: digest length, key length, 1, 1)
_B_PREFIXED = 372  # 1: the message starts with the 64-byte PREFIX block, XORed with PAD
_B_PAD = 376  # a byte repeated 4 times: 0 (keyed BLAKE2s), 0x36 / 0x36 ^ 0x5c (HMAC's pads)
_B_PREFIX = 380
_B_TAIL = 444
_B_SIZE = 508


def _blake_g(a, i, x, y, z, w):
    # G(v[x], v[y], v[z], v[w]) with message words SIGMA[r][2i], [2i + 1] (r7 = row r).
    offs = [_B_V + 4 * k for k in (x, y, z, w)]
    for reg, off in zip((R1, R2, R3, R4), offs):
        a.ldr(reg, R0, off)
    for half, (r1, r2) in enumerate(((16, 12), (8, 7))):
        a.ldrb(R5, R7, 2 * i + half)
        a.ldrr(R5, R0, R5)
        a.adds(R1, R1, R2)
        a.adds(R1, R1, R5)
        a.eors(R4, R1)
        a.movsi(R5, r1)
        a.rors(R4, R5)
        a.adds(R3, R3, R4)
        a.eors(R2, R3)
        a.movsi(R5, r2)
        a.rors(R2, R5)
    for reg, off in zip((R1, R2, R3, R4), offs):
        a.str_(reg, R0, off)


def blake2s_blocks(a):
    # r0 = state, r1 = data, r2 = number of 64-byte blocks (> 0); the state's INC word is added
    # to t per block (64; the caller sets the real length for a final padded block, and f).
    # r8 = data, r9 = blocks left, r10 = t increment.
    a.entry("blake2s_blocks")
    a.ldr(R3, R0, _B_INC)
    a.mov(R4, R8)
    a.mov(R5, R9)
    a.mov(R6, R10)
    a.push([R4, R5, R6], lr=True)
    a.mov(R8, R1)
    a.mov(R9, R2)
    a.mov(R10, R3)
    a.label("bb_block")
    # t += increment (64-bit)
    a.ldr(R4, R0, _B_T)
    a.ldr(R5, R0, _B_T + 4)
    a.movsi(R6, 0)
    a.adds(R4, R4, R3)
    a.adcs(R5, R6)
    a.str_(R4, R0, _B_T)
    a.str_(R5, R0, _B_T + 4)
    # m = the block, as 16 little-endian words
    a.mov(R1, R8)
    a.mov(R2, R0)
    a.addsi(R2, R2, _B_M)
    a.lsls(R7, R1, 30)
    a.bcc("ne", "bb_unaligned")
    for i in range(0, 16, 4):
        for k in range(4):
            a.ldr(R3 + k, R1, 4 * (i + k))
        for k in range(4):
            a.str_(R3 + k, R2, 4 * (i + k))
    a.b("bb_loaded")
    a.label("bb_unaligned")
    for i in range(0, 16, 4):
        _load_words_unaligned(a, (R3, R4, R5, R6), R1, R7)
        for k in range(4):
            a.str_(R3 + k, R2, 4 * (i + k))
        a.addsi(R1, R1, 16)
    a.label("bb_loaded")
    a.mov(R1, R8)
    a.addsi(R1, R1, 64)
    a.mov(R8, R1)
    # v = h || IV, v12 ^= t0, v13 ^= t1, v14 ^= f
    a.mov(R7, R0)
    a.addsi(R7, R7, _B_IV)
    for i in range(8):
        a.ldr(R1, R0, _B_H + 4 * i)
        a.str_(R1, R0, _B_V + 4 * i)
        a.ldr(R1, R7, 4 * i)
        if i in (4, 5, 6):
            a.ldr(R2, R0, (_B_T, _B_T + 4, _B_F)[i - 4])
            a.eors(R1, R2)
        a.str_(R1, R0, _B_V + 32 + 4 * i)
    a.mov(R7, R0)
    a.addsi(R7, R7, _B_SIGMA)
    a.mov(R6, R7)
    a.addsi(R6, R6, 160)
    a.label("bb_round")
    for i, q in enumerate(((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
                           (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14))):
        _blake_g(a, i, *q)
    a.addsi(R7, R7, 16)
    a.cmp(R7, R6)
    a.bcc_far("ne", "bb_round")
    for i in range(8):  # h ^= v[i] ^ v[i + 8]
        a.ldr(R1, R0, _B_H + 4 * i)
        a.ldr(R2, R0, _B_V + 4 * i)
        a.ldr(R3, R0, _B_V + 32 + 4 * i)
        a.eors(R1, R2)
        a.eors(R1, R3)
        a.str_(R1, R0, _B_H + 4 * i)
    a.mov(R3, R10)
    a.mov(R1, R9)
    a.subsi(R1, R1, 1)
    a.mov(R9, R1)
    a.bcc_far("ne", "bb_block")
    a.pop([R4, R5, R6])
    a.mov(R8, R4)
    a.mov(R9, R5)
    a.mov(R10, R6)
    a.pop([], pc=True)


def blake2s_message(a):
    # r0 = state, r1 = data, r2 = n: h = BLAKE2s(PREFIX ^ PAD (if PREFIXED) || data[0:n]), the
    # last block zero-padded (the empty message is one zero block). r8 = data, r9 = n.
    a.entry("blake2s_message")
    a.mov(R4, R8)
    a.mov(R5, R9)
    a.push([R0, R4, R5], lr=True)  # [sp] = the state
    a.mov(R8, R1)
    a.mov(R9, R2)
    # h = IV, h[0] ^= PARAM; t = 0, f = 0
    a.addr(R7, R0, _B_IV)
    for i in range(8):
        a.ldr(R1, R7, 4 * i)
        if i == 0:
            a.addr(R3, R0, _B_PARAM)
            a.ldr(R2, R3, 0)
            a.eors(R1, R2)
        a.str_(R1, R0, _B_H + 4 * i)
    a.movsi(R1, 0)
    for off in (_B_T, _B_T + 4, _B_F):
        a.str_(R1, R0, off)
    a.addr(R3, R0, _B_PREFIXED)
    a.ldr(R2, R3, 0)
    a.cmpi(R2, 0)
    a.bcc("eq", "bm_data")
    # The prefix block: PAD into it, then a block of its own unless it is the whole message.
    a.ldr(R2, R3, _B_PAD - _B_PREFIXED)
    a.addr(R1, R0, _B_PREFIX)
    for i in range(16):
        a.ldr(R4, R1, 4 * i)
        a.eors(R4, R2)
        a.str_(R4, R1, 4 * i)
    a.movsi(R2, 64)
    a.str_(R2, R0, _B_INC)
    a.mov(R2, R9)
    a.cmpi(R2, 0)
    a.bcc("eq", "bm_last_prefix")
    a.movsi(R2, 1)
    a.bl("blake2s_blocks")
    a.ldrsp(R0, 0)
    a.label("bm_data")
    # Whole blocks but the last: (n - 1) >> 6 of them.
    a.mov(R2, R9)
    a.subsi(R2, R2, 1)
    a.bcc("mi", "bm_tail")  # n = 0
    a.lsrs(R2, R2, 6)
    a.bcc("eq", "bm_tail")
    a.movsi(R3, 64)
    a.str_(R3, R0, _B_INC)
    a.mov(R1, R8)
    a.lsls(R3, R2, 6)
    a.addhi(R8, R3)  # data += 64 * blocks; n -= 64 * blocks
    a.mov(R4, R9)
    a.subs(R4, R4, R3)
    a.mov(R9, R4)
    a.bl("blake2s_blocks")
    a.ldrsp(R0, 0)
    a.label("bm_tail")
    # The last 0..64 bytes into TAIL, zero-padded; t += their number; f = all ones.
    a.addr(R5, R0, _B_TAIL)
    a.movsi(R4, 0)
    for i in range(16):
        a.str_(R4, R5, 4 * i)
    a.mov(R1, R8)
    a.mov(R2, R9)
    a.cmpi(R2, 0)
    a.bcc("eq", "bm_copied")
    a.label("bm_byte")
    a.ldrbr(R6, R1, R4)
    a.strbr(R6, R5, R4)
    a.addsi(R4, R4, 1)
    a.cmp(R4, R2)
    a.bcc("ne", "bm_byte")
    a.label("bm_copied")
    a.str_(R2, R0, _B_INC)
    a.mov(R1, R5)
    a.b("bm_final")
    a.label("bm_last_prefix")
    a.addr(R1, R0, _B_PREFIX)
    a.label("bm_final")
    a.movsi(R2, 0)
    a.mvns(R2, R2)
    a.str_(R2, R0, _B_F)
    a.movsi(R2, 1)
    a.bl("blake2s_blocks")
    a.pop([R0, R4, R5])
    a.mov(R8, R4)
    a.mov(R9, R5)
    a.pop([], pc=True)


# ---------------------------------------------------------------------------------------------

def build():
    """(machine code, {entry name: byte offset})."""
    a = Asm()
    x25519_ladder(a)
    fe_entries(a)
    fe_mul(a)
    fe_sqr(a)
    fe_add(a)
    fe_sub(a)
    fe_mul_a24(a)
    fe_cswap(a)
    fe_freeze(a)
    chacha20_xor(a)
    poly1305_blocks(a)
    poly1305_finish(a)
    aead_begin(a)
    aead_mac(a)
    aead_seal(a)
    aead_open(a)
    blake2s_blocks(a)
    blake2s_message(a)
    return a.finish(), a.entries


def _module(doc, names, code):
    lines = ['"""%s"""' % doc, ""]
    for name in sorted(names):
        lines.append("%s = %d" % (name.upper(), names[name]))
    lines.append("CODE = (")
    for i in range(0, len(code), 32):
        lines.append("    b'%s'" % "".join("\\x%02x" % c for c in code[i:i + 32]))
    lines.append(")")
    return "\n".join(lines) + "\n"


def sources():
    """{file name: text} of the generated modules."""
    code, entries = build()
    gen = "Generated by client/crypto/thumbgen.py (python3 -m client.crypto.thumbgen NAME): do not edit."
    return {
        "thumbcode.py": _module(gen + "\n\nThe machine code; entry points as byte offsets into CODE.",
                                entries, code),
        # A frozen bytes constant may start at an odd flash address, where Thumb code cannot
        # run; of two copies one byte apart, one is at an even address (thumb.py picks it, and
        # imports this module only then, so that nothing of it is loaded into RAM otherwise).
        "thumbcode2.py": _module(gen + "\n\nCODE is thumbcode.CODE twice, the second copy at byte SECOND: "
                                 "thumb.py runs\nwhichever starts at an even address when the first "
                                 "module's CODE does not.", {"second": len(code) + 1},
                                 code + b"\x00" + code),
    }


if __name__ == "__main__":
    import sys
    print(sources()[sys.argv[1] + ".py"], end="")
