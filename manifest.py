# MicroPython freeze manifest: the board's own default modules plus the package client/, compiled
# into the firmware (its bytecode and viper code then run from flash and take no heap to load).
#   tools/firmware unix32|rp2-pico|rp2-pico-w      (builds with FROZEN_MANIFEST=<this file>)
# By hand: make -C ports/unix ... FROZEN_MANIFEST=$PWD/manifest.py MPY_CROSS_FLAGS=-march=x86, or
# cmake -S ports/rp2 -DMICROPY_BOARD=RPI_PICO_W -DMICROPY_FROZEN_MANIFEST=$PWD/manifest.py ...
#
# The file list is walked when the firmware is built, so modules moved into sub-packages need no
# edit here. Left out: what runs only on CPython (relative to client/).
EXCLUDE = (
    "crypto/backend_pycryptodome.py",  # pycryptodome
    "netif/tun.py",  # the Linux TUN netif (fcntl, ioctl)
    "crypto/thumbgen.py",  # the host-side generator of thumbcode*.py: nothing imports it at run time
)
# The RP2040's machine code (backend "pure (thumb)"): 24 KB of flash that other ports never load.
RP2_ONLY = ("crypto/thumb.py", "crypto/thumbcall.py", "crypto/thumbcode.py", "crypto/thumbcode2.py")
# Bytecode optimisation for mpy-cross (-O): 0 keeps line numbers in tracebacks (they cost flash,
# not heap: 3 would save ~5 KB of the Pico's flash). Viper needs an architecture: the rp2 port
# passes -march=armv6m itself, the unix port needs MPY_CROSS_FLAGS=-march=x86 (32-bit) or
# -march=x64 (tools/firmware passes it).
OPT = 0

import os  # noqa: E402 (the manifest API gives no imports; this runs on the build host's CPython)


def _var(name):
    # A path variable of makemanifest (-v NAME=PATH: MPY_DIR, PORT_DIR, BOARD_DIR, ...), as
    # include() substitutes it; "" when unset (the unix port sets no BOARD_DIR).
    return include.__self__._path_vars.get(name) or ""


def _port_default():
    # What the port builds in when no FROZEN_MANIFEST is given, so asyncio & co stay frozen:
    # rp2: the board's manifest.py if it has one (RPI_PICO_W: networking, aioble), else
    # ports/rp2/boards/manifest.py; unix: its variant's manifest (tools/firmware passes the
    # variant directory as BOARD_DIR; without it, the "standard" variant's).
    board, port = _var("BOARD_DIR"), _var("PORT_DIR")
    candidates = [os.path.join(board, "manifest.py")] if board else []
    if port:
        candidates += [os.path.join(port, "boards", "manifest.py"),
                       os.path.join(port, "variants", "standard", "manifest.py")]
    for c in candidates:
        if os.path.isfile(c):
            return c
    return None


def client_files(here, rp2=True):
    """The client/ modules to freeze, as paths relative to `here` (the repository root)."""
    skip = EXCLUDE if rp2 else EXCLUDE + RP2_ONLY
    out = []
    top = os.path.join(here, "client")
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, name), top).replace(os.sep, "/")
            if rel in skip:
                continue
            out.append("client/" + rel)
    return out


_default = _port_default()
if _default:
    include(_default)

# include() runs a manifest with its own directory as the current one: that is the repository root.
_here = os.getcwd()
for _f in client_files(_here, rp2=os.path.basename(os.path.normpath(_var("PORT_DIR"))) == "rp2"):
    module(_f, base_path=_here, opt=OPT)
