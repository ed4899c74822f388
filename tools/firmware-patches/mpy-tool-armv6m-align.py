#!/usr/bin/env python3
"""Fix a MicroPython v1.28.0 bug in tools/mpy-tool.py, in place and idempotently.

    python3 tools/firmware-patches/mpy-tool-armv6m-align.py MICROPYTHON_SOURCE_TREE

Why: when freezing, mpy-tool.py gives native (viper) code of ARMv6-M (the RP2040's Cortex-M0+)
`__attribute__ ((aligned (2)))`: its 4-byte list holds ARMV6, XTENSA and XTENSAWIN but not ARMV6M.
The ARMv6-M emitter (py/asmthumb.c) lays out its inline 32-bit literals assuming the code starts on
a 4-byte boundary (PC-relative `ldr` rounds the PC down to a word). A frozen viper function that
the linker places at 2 mod 4 loads wrong constants and crashes or computes garbage (seen: BLAKE2s
in the client's crypto/viper.py); whether it hits depends on where the linker puts each function,
so any change of the firmware can bring it back. Loading .mpy files at run time is unaffected (the
runtime allocates native code word-aligned). The fix: align ARMV6M to 4 like ARMV6.

Exit status: 0 when the tree is fixed (now or already), 1 when mpy-tool.py has neither the known
buggy code nor the fix (a different MicroPython version: check by hand), 2 on usage errors.
tests/test_firmware.py checks the result by freezing an ARMv6-M viper function.
"""
import os
import re
import sys

BUGGY = """        if config.native_arch in (
            MP_NATIVE_ARCH_ARMV6,
            MP_NATIVE_ARCH_XTENSA,
            MP_NATIVE_ARCH_XTENSAWIN,
        ):
            # ARMV6 or Xtensa -- four byte align."""
FIXED = """        if config.native_arch in (
            MP_NATIVE_ARCH_ARMV6,
            MP_NATIVE_ARCH_ARMV6M,  # wg-micro fix: inline literals need a 4-byte aligned start
            MP_NATIVE_ARCH_XTENSA,
            MP_NATIVE_ARCH_XTENSAWIN,
        ):
            # ARMV6, ARMV6M or Xtensa -- four byte align."""


def is_fixed(text):
    """True if the 4-byte alignment tuple of RawCodeNative lists ARMV6M (our fix or upstream's)."""
    m = re.search(r"if config\.native_arch in \(([^)]*)\):\s*#[^\n]*four byte align", text)
    return bool(m) and "MP_NATIVE_ARCH_ARMV6M" in m.group(1)


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    path = os.path.join(argv[1], "tools", "mpy-tool.py")
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        print("mpy-tool-armv6m-align: %s" % e, file=sys.stderr)
        return 2
    if is_fixed(text):
        return 0
    if text.count(BUGGY) != 1:
        print("mpy-tool-armv6m-align: %s: neither the v1.28.0 code nor the fix found; make sure "
              "frozen ARMV6M native code is 4-byte aligned" % path, file=sys.stderr)
        return 1
    with open(path + ".tmp", "w") as f:
        f.write(text.replace(BUGGY, FIXED))
    os.chmod(path + ".tmp", os.stat(path).st_mode)
    os.replace(path + ".tmp", path)
    print("mpy-tool-armv6m-align: fixed %s (frozen ARMv6-M native code now 4-byte aligned)" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
