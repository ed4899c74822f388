"""Calls into machine code on the rp2 port: `call(r0, r1, r2, address | 1)` runs the Thumb code
at `address` with three arguments (buffers arrive as pointers to their data, ints as values) and
returns its r0; `addr(buffer)` is the address of a buffer's data.

Both are two-instruction `@micropython.asm_thumb` functions compiled here with `exec`, so that
this file compiles for every port (mpy-cross rejects Thumb assembler for Xtensa). The import
raises ImportError anywhere but rp2 (other ports may cache or forbid executing data: the unix
port's heap is not executable) and where the inline assembler is missing (RP2350 in RISC-V mode).
Tests replace this module with a simulator (tests/test_crypto_thumb.py).
"""
import sys

if sys.platform != "rp2":
    raise ImportError("machine code runs on the rp2 port only")

try:
    _ns = {}
    exec("import micropython\n"
         "@micropython.asm_thumb\n"
         "def call(r0, r1, r2, r3):\n"
         "    data(2, 0x4798)\n"  # blx r3 (the trampoline's entry and exit save r4-r7 and lr)
         "@micropython.asm_thumb\n"
         "def addr(r0):\n"
         "    nop()\n", _ns)
except Exception as e:  # SyntaxError, NotImplementedError: no Thumb assembler in this build
    raise ImportError("no inline Thumb assembler: %r" % (e,))
call = _ns["call"]
addr = _ns["addr"]
del _ns
