"""The RP2040's machine code (client/crypto/thumbgen.py -> thumbcode.py) run in a Thumb simulator.

The simulator below executes the ARMv6-M instructions thumbgen emits, faults on unaligned word
and halfword accesses as the Cortex-M0+ does, and stands in for `client.crypto.thumbcall`, so
`client.crypto.thumb` itself (the code the rp2 port runs) is tested here against the plain-Python
primitives. CPython only: it needs ctypes (buffer addresses) and is slow (a whole X25519 is
4 million instructions); the real thing runs in the emulated RP2040 (tests/test_crypto_board.py).
"""
import sys

from tests.harness import cpython_only

P = (1 << 255) - 19
CODE_BASE = 0x10000000
RAM_BASE = 0x20000000
RAM_SIZE = 0x40000
STOP = 0x0FFFFFF0  # the return address of a call: execution ends when PC reaches it
M32 = 0xFFFFFFFF


class Fault(Exception):
    pass


class Thumb:
    """The ARMv6-M subset thumbgen uses; code at CODE_BASE, RAM at RAM_BASE."""

    def __init__(self, code):
        self.code = bytes(code)
        self.ram = bytearray(RAM_SIZE)
        self.r = [0] * 16
        self.n = self.z = self.c = self.v = 0
        self.undecoded = []
        self.ops = [self._decode(i) for i in range(len(self.code) // 2)]
        self.steps = 0

    # --- memory ---
    def _where(self, addr, size):
        if addr % size:
            raise Fault("unaligned %d-byte access at %#x" % (size, addr))
        if RAM_BASE <= addr and addr + size <= RAM_BASE + RAM_SIZE:
            return self.ram, addr - RAM_BASE
        if CODE_BASE <= addr and addr + size <= CODE_BASE + len(self.code):
            return self.code, addr - CODE_BASE
        raise Fault("access outside memory at %#x" % addr)

    def load(self, addr, size):
        buf, off = self._where(addr, size)
        return int.from_bytes(buf[off:off + size], "little")

    def store(self, addr, size, value):
        buf, off = self._where(addr, size)
        if buf is self.code:
            raise Fault("write to code at %#x" % addr)
        buf[off:off + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")

    # --- flags ---
    def _nz(self, x):
        self.n = x >> 31
        self.z = int(x == 0)
        return x

    def _add(self, a, b, carry):
        s = a + b + carry
        res = s & M32
        self.c = s >> 32
        self.v = int(((a ^ res) & (b ^ res)) >> 31 == 1)
        return self._nz(res)

    def _sub(self, a, b, carry=1):
        return self._add(a, b ^ M32, carry)

    def _cond(self, cond):
        n, z, c, v = self.n, self.z, self.c, self.v
        return (z, not z, c, not c, n, not n, self.v, not self.v, c and not z, not c or z,
                n == v, n != v, not z and n == v, z or n != v)[cond]

    # --- decoding: one closure per halfword ---
    def _decode(self, i):
        h = self.code[2 * i] | self.code[2 * i + 1] << 8
        r = self.r
        pc = CODE_BASE + 2 * i
        nxt = pc + 2
        top5 = h >> 11
        rd, rn, rm = h & 7, (h >> 3) & 7, (h >> 6) & 7
        imm5 = (h >> 6) & 31

        def op(fn):
            def run():
                fn()
                r[15] = nxt
            return run

        if top5 == 0:  # LSLS imm
            def f():
                x = r[rn]
                if imm5:
                    self.c = (x >> (32 - imm5)) & 1
                r[rd] = self._nz((x << imm5) & M32)
            return op(f)
        if top5 in (1, 2):  # LSRS / ASRS imm (0 = 32)
            sh = imm5 or 32

            def f():
                x = r[rn]
                if top5 == 2 and x >> 31:
                    x -= 1 << 32
                self.c = (x >> (sh - 1)) & 1
                r[rd] = self._nz((x >> sh) & M32)
            return op(f)
        if top5 == 3:  # ADDS/SUBS reg or imm3
            sub, imm = (h >> 9) & 1, (h >> 10) & 1

            def f():
                b = rm if imm else r[rm]
                r[rd] = self._sub(r[rn], b) if sub else self._add(r[rn], b, 0)
            return op(f)
        if 4 <= top5 <= 7:  # MOVS / CMP / ADDS / SUBS imm8
            k, d, imm8 = top5 - 4, (h >> 8) & 7, h & 0xFF

            def f():
                if k == 0:
                    r[d] = self._nz(imm8)
                elif k == 1:
                    self._sub(r[d], imm8)
                elif k == 2:
                    r[d] = self._add(r[d], imm8, 0)
                else:
                    r[d] = self._sub(r[d], imm8)
            return op(f)
        if h >> 10 == 0x10:  # data processing
            alu = (h >> 6) & 15
            dn, m = h & 7, (h >> 3) & 7

            def f():
                a, b = r[dn], r[m]
                if alu == 0:
                    r[dn] = self._nz(a & b)
                elif alu == 1:
                    r[dn] = self._nz(a ^ b)
                elif alu in (2, 3, 4, 7):
                    s = b & 0xFF
                    if s == 0:
                        res = a
                    elif alu == 2:
                        self.c = (a >> (32 - s)) & 1 if s <= 32 else 0
                        res = (a << s) & M32 if s < 32 else 0
                    elif alu == 3:
                        self.c = (a >> (s - 1)) & 1 if s <= 32 else 0
                        res = a >> s if s < 32 else 0
                    elif alu == 4:
                        sa = a - (1 << 32) if a >> 31 else a
                        sa >>= min(s - 1, 31)
                        self.c = sa & 1
                        res = (sa >> 1) & M32
                    else:
                        s &= 31
                        res = ((a >> s) | (a << (32 - s))) & M32 if s else a
                        self.c = res >> 31
                    r[dn] = self._nz(res)
                elif alu == 5:
                    r[dn] = self._add(a, b, self.c)
                elif alu == 6:
                    r[dn] = self._sub(a, b, self.c)
                elif alu == 8:
                    self._nz(a & b)
                elif alu == 9:
                    r[dn] = self._sub(0, b)
                elif alu == 10:
                    self._sub(a, b)
                elif alu == 11:
                    self._add(a, b, 0)
                elif alu == 12:
                    r[dn] = self._nz(a | b)
                elif alu == 13:
                    r[dn] = self._nz((a * b) & M32)
                elif alu == 14:
                    r[dn] = self._nz(a & ~b & M32)
                else:
                    r[dn] = self._nz(~b & M32)
            return op(f)
        if h >> 8 in (0x44, 0x46):  # ADD / MOV with high registers (no flags)
            d = (h & 7) | ((h >> 4) & 8)
            m = (h >> 3) & 15
            add = h >> 8 == 0x44

            def f():
                r[d] = (r[d] + r[m]) & M32 if add else r[m]
            return op(f)
        if h & 0xFF87 == 0x4700:  # BX
            m = (h >> 3) & 15

            def run():
                r[15] = r[m] & ~1
            return run
        if h >> 12 == 5:  # register offset: STR STRH STRB LDRSB LDR LDRH LDRB LDRSH
            kind = (h >> 9) & 7
            size = (4, 2, 1, 1, 4, 2, 1, 2)[kind]
            if kind in (3, 7):
                raise Fault("signed loads are not used")

            def f():
                addr = (r[rn] + r[rm]) & M32
                if kind < 3:
                    self.store(addr, size, r[rd])
                else:
                    r[rd] = self.load(addr, size)
            return op(f)
        if h >> 13 == 3 or h >> 12 == 8:  # STR/LDR(B) imm, STRH/LDRH imm
            if h >> 12 == 8:
                size, load = 2, (h >> 11) & 1
            else:
                size, load = (4 if not (h >> 12) & 1 else 1), (h >> 11) & 1
            off = imm5 * size

            def f():
                addr = (r[rn] + off) & M32
                if load:
                    r[rd] = self.load(addr, size)
                else:
                    self.store(addr, size, r[rd])
            return op(f)
        if h >> 12 == 9:  # STR/LDR sp-relative
            t, off, load = (h >> 8) & 7, (h & 0xFF) * 4, (h >> 11) & 1

            def f():
                if load:
                    r[t] = self.load(r[13] + off, 4)
                else:
                    self.store(r[13] + off, 4, r[t])
            return op(f)
        if h >> 8 == 0xB0:  # ADD / SUB SP, #imm7 * 4
            delta = (h & 0x7F) * 4 * (-1 if h & 0x80 else 1)

            def f():
                r[13] = (r[13] + delta) & M32
            return op(f)
        if h >> 9 in (0x5A, 0x5E):  # PUSH / POP
            regs = [k for k in range(8) if h >> k & 1]
            extra = (h >> 8) & 1
            if h >> 9 == 0x5A:
                def f():
                    sp = r[13] - 4 * (len(regs) + extra)
                    r[13] = sp
                    for k in regs:
                        self.store(sp, 4, r[k])
                        sp += 4
                    if extra:
                        self.store(sp, 4, r[14])
                return op(f)

            def run():
                sp = r[13]
                for k in regs:
                    r[k] = self.load(sp, 4)
                    sp += 4
                r[15] = nxt
                if extra:
                    r[15] = self.load(sp, 4) & ~1
                    sp += 4
                r[13] = sp
            return run
        if h >> 12 == 0xD:  # B<cond>
            cond = (h >> 8) & 15
            off = (h & 0xFF) - (0x100 if h & 0x80 else 0)
            target = pc + 4 + 2 * off

            def run():
                r[15] = target if self._cond(cond) else nxt
            return run
        if top5 == 0x1C:  # B
            off = (h & 0x7FF) - (0x800 if h & 0x400 else 0)
            target = pc + 4 + 2 * off

            def run():
                r[15] = target
            return run
        if top5 == 0x1E:  # BL, first half
            if 2 * i + 3 >= len(self.code):
                return self._bad(h)
            lo = self.code[2 * i + 2] | self.code[2 * i + 3] << 8
            if lo >> 11 != 0x1F:
                return self._bad(h)
            off = ((h & 0x3FF) << 11 | (lo & 0x7FF)) - ((1 << 21) if h & 0x400 else 0)
            target = pc + 4 + 2 * off

            def run():
                r[14] = (pc + 4) | 1
                r[15] = target
            return run
        return self._bad(h)

    def _bad(self, h):
        self.undecoded.append(len(self.ops) if hasattr(self, "ops") else None)

        def run():
            raise Fault("undecoded instruction %#06x at %#x" % (h, self.r[15]))
        return run

    def call(self, entry, args, limit=20000000):
        """Run the routine at byte offset entry with r0..r2 = args; returns r0."""
        r = self.r
        for k in range(13):
            r[k] = 0xDEAD0000 + k
        for k, a in enumerate(args):
            r[k] = a & M32
        saved = r[4:12]
        r[13] = RAM_BASE + RAM_SIZE
        r[14] = STOP | 1
        r[15] = CODE_BASE + entry
        ops = self.ops
        steps = 0
        while r[15] != STOP:
            pc = r[15]
            if not CODE_BASE <= pc < CODE_BASE + len(self.code):
                raise Fault("PC outside code: %#x" % pc)
            ops[(pc - CODE_BASE) >> 1]()
            steps += 1
            if steps > limit:
                raise Fault("runaway")
        self.steps += steps
        assert r[13] == RAM_BASE + RAM_SIZE, "stack not balanced"
        assert r[8:12] == saved[4:8], "r8-r11 not preserved"
        return r[0]


class FakeCall:
    """`client.crypto.thumbcall` for the simulator: buffers are copied into simulated RAM for a
    call (one region per underlying object, 16-byte aligned like MicroPython's heap, views at
    their offsets in it) and written back after it; bytes must come back unchanged."""

    def __init__(self, sim, odd_flash=False):
        self.sim = sim
        self.odd_flash = odd_flash

    def addr(self, buf):
        # Where frozen constants would be: thumbcode's CODE at CODE_BASE (+ 1 when odd_flash),
        # thumbcode2's right after it, at an odd address too then.
        from client.crypto import thumbcode, thumbcode2
        shift = 1 if self.odd_flash else 0
        if buf is thumbcode.CODE:
            return CODE_BASE + shift
        assert buf is thumbcode2.CODE
        return CODE_BASE + 2 * len(thumbcode.CODE) + 1 if shift else CODE_BASE

    def call(self, r0, r1, r2, target):
        import ctypes
        sim = self.sim
        regions = []  # (base object, address)
        free = [RAM_BASE + 0x100]

        def place(obj):
            if isinstance(obj, int):
                return obj
            view = memoryview(obj)
            base = view.obj if isinstance(obj, memoryview) else obj
            offset = 0
            if isinstance(obj, memoryview) and not view.readonly and len(view):
                offset = (ctypes.addressof(ctypes.c_char.from_buffer(view))
                          - ctypes.addressof(ctypes.c_char.from_buffer(base)))
            elif isinstance(obj, memoryview):
                base = obj  # a read-only view: its own copy
            for b, a in regions:
                if b is base:
                    return a + offset
            a = free[0]
            data = bytes(base)
            sim.ram[a - RAM_BASE:a - RAM_BASE + len(data)] = data
            free[0] = (a + len(data) + 32) & ~15
            regions.append((base, a))
            return a + offset

        args = [place(x) for x in (r0, r1, r2)]
        assert target & 1 and target >= CODE_BASE
        result = sim.call(target - 1 - self.base, args)  # the same code wherever thumb runs it
        for base, a in regions:
            data = sim.ram[a - RAM_BASE:a - RAM_BASE + len(base)]
            if isinstance(base, (bytes, memoryview)) and memoryview(base).readonly:
                assert data == bytes(base), "machine code wrote to a read-only buffer"
            else:
                memoryview(base).cast("B")[:] = data
        return result - (1 << 32) if result >> 31 else result


def _sim():
    from client.crypto import thumbcode
    return Thumb(thumbcode.CODE)


def _thumb_module(odd_flash=False):
    """client.crypto.thumb imported with the simulator as its thumbcall."""
    import importlib
    import types
    fake = FakeCall(_sim(), odd_flash)
    mod = types.ModuleType("client.crypto.thumbcall")
    mod.addr, mod.call = fake.addr, fake.call
    saved = sys.modules.get("client.crypto.thumbcall")
    sys.modules["client.crypto.thumbcall"] = mod
    sys.modules.pop("client.crypto.thumb", None)
    try:
        thumb = importlib.import_module("client.crypto.thumb")
    finally:
        sys.modules.pop("client.crypto.thumb", None)
        if saved is None:
            sys.modules.pop("client.crypto.thumbcall", None)
        else:
            sys.modules["client.crypto.thumbcall"] = saved
    fake.base = thumb._BASE - 1
    thumb.sim = fake.sim
    thumb.sim_base = thumb._addr(thumb._CODE)
    return thumb


_THUMB = []


def thumb():
    if not _THUMB:
        _THUMB.append(_thumb_module())
    return _THUMB[0]


def le(x):
    return (x % (1 << 256)).to_bytes(32, "little")


def num(b):
    return int.from_bytes(b, "little")


EDGE = (0, 1, 2, 19, 37, 38, 121665, P - 2, P - 1, P, P + 1, P + 18, 2 * P - 1, 2 * P, 2 * P + 37,
        (1 << 255) - 20, (1 << 255) - 1, 1 << 255, (1 << 256) - 39, (1 << 256) - 38, (1 << 256) - 1,
        0x5555 << 240, (1 << 128) - 1, ((1 << 128) - 1) << 128)


def _values(seed, count):
    import random
    rnd = random.Random(seed)
    out = list(EDGE)
    for _ in range(count):
        out.append(rnd.getrandbits(256))
        out.append(rnd.getrandbits(rnd.randint(1, 256)))
    return out


# --- the generated module ---------------------------------------------------------------------

@cpython_only("runs the generator, which the boards never import")
def test_thumbcode_is_what_thumbgen_generates():
    import os
    from client.crypto import thumbcode, thumbcode2, thumbgen
    for name, text in thumbgen.sources().items():
        path = os.path.join(os.path.dirname(thumbgen.__file__), name)
        with open(path) as f:
            assert f.read() == text, "regenerate: python3 -m client.crypto.thumbgen %s > %s" % (name[:-3], path)
    second = thumbcode2.SECOND
    assert thumbcode2.CODE[:second - 1] == thumbcode2.CODE[second:] == thumbcode.CODE


@cpython_only("the loader's choice, with the simulator's addresses shifted")
def test_code_runs_in_place_at_either_flash_parity():
    from client.crypto import thumbcode, thumbcode2
    for odd, want in ((False, (thumbcode.CODE, 0)), (True, (thumbcode2.CODE, thumbcode2.SECOND))):
        t = _thumb_module(odd_flash=odd)
        assert t._CODE is want[0]
        assert t._BASE == t.sim_base + want[1] + 1


@cpython_only("the simulator")
def test_every_halfword_is_an_instruction_the_simulator_knows():
    # Only the second halves of BL (which the first half executes) may be left undecoded.
    sim = Thumb(b"")
    from client.crypto import thumbcode
    code = thumbcode.CODE
    for i in range(len(code) // 2):
        sim.code = code
        sim.undecoded = []
        sim._decode(i)
        if sim.undecoded:
            first = code[2 * i - 2] | code[2 * i - 1] << 8
            assert i and first >> 11 == 0x1E, "halfword %d: %#06x" % (i, code[2 * i] | code[2 * i + 1] << 8)


# --- field arithmetic (radix 2^16: 16-bit limbs, values below 2^256) ---------------------------

@cpython_only("the simulator")
def test_field_operations_on_edge_and_random_values():
    t = thumb()
    vals = _values(1, 12)
    ops = ((0, lambda x, y: x * y), (1, lambda x, y: x * x), (2, lambda x, y: x + y),
           (3, lambda x, y: x - y), (4, lambda x, y: 121665 * x))
    for i, x in enumerate(vals):
        for y in (vals[(7 * i + 3) % len(vals)], vals[-1 - i % len(vals)], x):
            for op, f in ops:
                got = num(t.fe_op(op, le(x), le(y)))
                assert got % P == f(x, y) % P, (op, hex(x), hex(y))
            assert num(t.fe_op(5, le(x))) == x % P, hex(x)  # freeze: canonical
            assert t.fe_op(6, le(x), le(y), -1) == (le(y), le(x))
            assert t.fe_op(6, le(x), le(y), 0) == (le(x), le(y))


@cpython_only("the simulator")
def test_field_operations_take_constant_time():
    # The same instruction count whatever the values (no data-dependent branch or index).
    t = thumb()
    for op in range(7):
        counts = set()
        for x, y in ((0, 0), (P - 1, P), ((1 << 256) - 1, (1 << 256) - 1), (1 << 255, 19),
                     (0x123456789, (1 << 256) - 38)):
            before = t.sim.steps
            t.fe_op(op, le(x), le(y), -1 if x & 1 else 0)
            counts.add(t.sim.steps - before)
        assert len(counts) == 1, (op, counts)


@cpython_only("the simulator (4 million instructions per scalar multiplication)")
def test_x25519_rfc7748_vectors_in_the_simulator():
    from tests.test_crypto_x25519 import ALICE_PRIVATE, BOB_PUBLIC, ITERATED, RFC7748_5_2, SHARED
    from tests.harness import unhex
    t = thumb()
    k, u, out = RFC7748_5_2[1]
    assert t.x25519(unhex(k), unhex(u)) == unhex(out)
    assert t.x25519(unhex(ALICE_PRIVATE), unhex(BOB_PUBLIC)) == unhex(SHARED)
    nine = b"\x09" + bytes(31)
    assert t.x25519(nine, nine) == unhex(ITERATED[1])  # RFC 7748 §5.2, one iteration


@cpython_only("the simulator")
def test_x25519_ladder_takes_constant_time():
    # Two scalars with opposite bits and different points: the same instruction count.
    t = thumb()
    counts = set()
    for k, u in ((bytes(32), b"\x09" + bytes(31)), (b"\xff" * 32, b"\xff" * 32)):
        before = t.sim.steps
        t.x25519(k, u)
        counts.add(t.sim.steps - before)
    assert len(counts) == 1, counts


# --- ChaCha20, Poly1305, BLAKE2s, the fused AEAD ------------------------------------------------

@cpython_only("the simulator")
def test_chacha20_matches_the_plain_python_loop_at_any_alignment():
    from client.crypto import primitives
    t = thumb()
    key, nonce = bytes(range(32)), bytes(range(100, 112))
    for n in (1, 15, 63, 64, 65, 130, 300):
        data = bytes((i * 7 + 3) & 0xFF for i in range(n + 3))
        for off in (0, 1, 2, 3):
            src = memoryview(data)[off:off + n]
            out = bytearray(n + 5)
            dst = memoryview(out)[(off * 3) & 3:][:n]
            t.chacha20_xor(key, nonce, 0xFFFFFFFE, src, dst)
            ref = bytearray(n)
            primitives.chacha20_xor(key, nonce, 0xFFFFFFFE, src, ref)
            assert bytes(dst) == bytes(ref), (n, off)


@cpython_only("the simulator")
def test_hchacha20_and_poly1305_match_the_plain_python_code():
    from client.crypto import primitives
    t = thumb()
    key = bytes(range(0x80, 0xA0))
    nonce16 = bytes(range(16))
    assert t.hchacha20(key, nonce16) == primitives.hchacha20(key, nonce16)
    for otk in (bytes(range(32)), b"\xff" * 32, bytes(32)):
        for na, nc in ((0, 0), (1, 0), (0, 17), (13, 64), (32, 100)):
            ad = bytes((i * 5) & 0xFF for i in range(na))
            ct = b"\xff" * nc if otk[0] == 0xFF else bytes((i * 11 + 1) & 0xFF for i in range(nc))
            assert t.poly1305_aead(otk, ad, ct) == primitives.poly1305_aead(otk, ad, ct), (na, nc)


@cpython_only("the simulator")
def test_blake2s_whole_messages_hmac_and_single_blocks():
    import hashlib
    from array import array
    from client.crypto import primitives
    from client.crypto.common import BLAKE2S_IV
    t = thumb()
    for n in (0, 1, 63, 64, 65, 128, 129, 300):
        data = bytes((i * 13 + 5) & 0xFF for i in range(n + 1))
        for key in (b"", b"k", bytes(range(32))):
            for view in (data[:n], memoryview(data)[1:n + 1]):
                want = hashlib.blake2s(bytes(view), key=key, digest_size=20).digest()
                assert t.blake2s(view, key, 20) == want, (n, len(key))
    import hmac as std_hmac
    for kl in (0, 1, 32, 64):
        key = bytes(range(100, 100 + kl))
        for n in (0, 1, 64, 100):
            data = bytes(range(n))
            assert t.hmac(key, data) == std_hmac.new(key, data, hashlib.blake2s).digest(), (kl, n)
    h1 = array("I", BLAKE2S_IV)
    h2 = array("I", BLAKE2S_IV)
    block = bytes(range(64))
    t.blake2s_compress(h1, block, 1 << 33 | 5, True)
    primitives.blake2s_compress(h2, block, 1 << 33 | 5, True)
    assert list(h1) == list(h2)


@cpython_only("the simulator")
def test_fused_aead_matches_the_composed_primitives():
    from client.crypto import primitives
    t = thumb()
    key = bytes(range(1, 33))
    for n, na in ((0, 0), (1, 0), (16, 0), (17, 5), (64, 32), (100, 12), (300, 0)):
        msg = bytes((i * 3 + 1) & 0xFF for i in range(n))
        ad = bytes(range(na))
        nonce = bytes(4) + (n * 1000 + 7).to_bytes(8, "little")
        otk = bytearray(32)
        primitives.chacha20_xor(key, nonce, 0, bytes(32), otk)
        ct = bytearray(n)
        primitives.chacha20_xor(key, nonce, 1, msg, ct)
        want = bytes(ct) + primitives.poly1305_aead(otk, ad, ct)
        sealed = t.aead_encrypt(key, n * 1000 + 7, msg, ad)
        assert sealed == want, (n, na)
        assert t.aead_decrypt(key, n * 1000 + 7, sealed, ad) == msg
        out = bytearray(n + 3)
        assert t.open_(key, nonce, sealed, ad, memoryview(out)[3:])
        assert bytes(out[3:]) == msg
        if n:
            forged = bytearray(sealed)
            forged[n // 2] ^= 0x40
            out = bytearray(b"\xaa" * n)
            assert not t.open_(key, nonce, forged, ad, out)
            assert out == b"\xaa" * n  # not written for a forgery
        # The transport path: in place after a 16-byte header, empty ad.
        datagram = bytearray(16) + bytearray(msg) + bytearray(16)
        view = memoryview(datagram)[16:]
        t.seal_into(key, n * 1000 + 7, view, n)
        if not na:
            assert bytes(view) == want
        rx = bytearray(n + 8)
        assert t.open_into(key, n * 1000 + 7, view, rx)
        assert bytes(rx[:n]) == msg
