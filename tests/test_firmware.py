"""Firmware builds (tools/firmware, manifest.py): the mpy-tool ARMv6-M alignment fix, and what the
manifest freezes. CPython only; needs a MicroPython source tree (tools/firmware unpacks
../shared/firmware/micropython-1.28.0.tar.gz, or takes $MICROPY_SRC) and skips without one.
Building the firmware itself is tools/firmware's job, not these tests'."""
from tests.harness import cpython_only

# A viper function whose 32-bit constants the ARMv6-M emitter puts in an inline literal pool:
# its PC-relative loads are only right when the code starts on a 4-byte boundary.
VIPER = """
import micropython


@micropython.viper
def mix(x: uint) -> uint:
    return (x ^ uint(0x6A09E667)) + uint(0xBB67AE85)
"""
# Top-level imports that only CPython has: a client module with one of them is not frozen.
CPYTHON_ONLY_IMPORTS = ("Crypto", "fcntl", "subprocess", "hmac")


def _root():
    import os
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _source_tree():
    """The MicroPython tree tools/firmware builds from (unpacked, fixed, mpy-cross built)."""
    import subprocess
    r = subprocess.run([_root() + "/tools/firmware", "src"], capture_output=True, text=True,
                       timeout=900)
    if r.returncode == 2 and "no MicroPython source tree" in r.stderr:
        import pytest
        pytest.skip(r.stderr.strip())
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines()[-1]


def _native_alignments(src, mpy_tool, tmp):
    """Freeze VIPER for ARMv6-M with `mpy_tool`; the alignments its native code gets in the C."""
    import os
    import re
    import subprocess
    import sys
    py, mpy = os.path.join(tmp, "fwalign.py"), os.path.join(tmp, "fwalign.mpy")
    with open(py, "w") as f:
        f.write(VIPER)
    subprocess.run([src + "/mpy-cross/build/mpy-cross", "-march=armv6m", "-o", mpy, py],
                   check=True, capture_output=True, timeout=60)
    c = subprocess.run([sys.executable, mpy_tool, "-f", mpy], check=True, capture_output=True,
                       text=True, timeout=60).stdout
    # Native code is emitted as `static const byte fun_data_...[N] __attribute__((section(".text,
    # ..."))) __attribute__ ((aligned (A))) = {`; bytecode has no section attribute.
    native = [line for line in c.splitlines()
              if line.startswith("static const byte fun_data_") and '(".text' in line]
    assert native, "no frozen native code in mpy-tool's output"
    return [int(m.group(1)) if m else None
            for m in (re.search(r"aligned \((\d+)\)", line) for line in native)]


@cpython_only("runs tools/firmware, mpy-cross and mpy-tool as subprocesses")
def test_frozen_armv6m_native_code_is_4_byte_aligned():
    import tempfile
    src = _source_tree()
    with tempfile.TemporaryDirectory() as tmp:
        aligns = _native_alignments(src, src + "/tools/mpy-tool.py", tmp)
    assert aligns and all(a == 4 for a in aligns), (
        "frozen ARMv6-M viper code aligned %s, needs 4: %s/tools/mpy-tool.py lacks the fix of "
        "tools/firmware-patches/mpy-tool-armv6m-align.py" % (aligns, src))


@cpython_only("runs mpy-cross and mpy-tool as subprocesses")
def test_the_fix_repairs_a_pristine_mpy_tool_once():
    """v1.28.0's own mpy-tool.py (from the tarball) aligns to 2; the patcher makes it 4, once."""
    import os
    import subprocess
    import sys
    import tarfile
    import tempfile
    src = _source_tree()
    tarball = os.path.join(_root(), "..", "shared", "firmware", "micropython-1.28.0.tar.gz")
    if not os.path.isfile(tarball):
        import pytest
        pytest.skip("no pristine v1.28.0 mpy-tool.py (../shared/firmware/ tarball absent)")
    patcher = os.path.join(_root(), "tools", "firmware-patches", "mpy-tool-armv6m-align.py")
    with tempfile.TemporaryDirectory() as tmp:
        tree = os.path.join(tmp, "tree")
        os.makedirs(os.path.join(tree, "tools"))
        os.symlink(os.path.join(src, "py"), os.path.join(tree, "py"))  # mpy-tool imports ../py
        tool = os.path.join(tree, "tools", "mpy-tool.py")
        with tarfile.open(tarball) as t:
            data = t.extractfile("micropython-1.28.0/tools/mpy-tool.py").read()
        with open(tool, "wb") as f:
            f.write(data)
        pristine = _native_alignments(src, tool, tmp)
        assert set(pristine) == {2}, pristine  # the bug this guards against
        run = [sys.executable, patcher, tree]
        assert subprocess.run(run, capture_output=True, timeout=60).returncode == 0
        assert set(_native_alignments(src, tool, tmp)) == {4}
        with open(tool, "rb") as f:
            once = f.read()
        again = subprocess.run(run, capture_output=True, text=True, timeout=60)
        assert again.returncode == 0 and again.stdout == ""  # already fixed: left alone
        with open(tool, "rb") as f:
            assert f.read() == once


def _expected_client_files():
    """client/**/*.py but the modules importing a CPython-only library at top level."""
    import os
    import re
    pattern = re.compile(r"^(?:import|from)\s+(%s)\b" % "|".join(CPYTHON_ONLY_IMPORTS), re.M)
    root = _root()
    out = set()
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, "client")):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in filenames:
            if name.endswith(".py"):
                path = os.path.join(dirpath, name)
                with open(path) as f:
                    if not pattern.search(f.read()):
                        out.add(os.path.relpath(path, root).replace(os.sep, "/"))
    return out


def _frozen(src, port, board):
    """Target paths of what manifest.py freezes, run by the tree's own tools/manifestfile.py."""
    import importlib.util
    import os
    spec = importlib.util.spec_from_file_location("manifestfile", src + "/tools/manifestfile.py")
    manifestfile = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(manifestfile)
    port_dir = os.path.join(src, "ports", port)
    path_vars = {"MPY_DIR": src, "MPY_LIB_DIR": src + "/lib/micropython-lib", "PORT_DIR": port_dir,
                 "BOARD_DIR": os.path.join(port_dir, board) if board else ""}
    m = manifestfile.ManifestFile(manifestfile.MODE_FREEZE, path_vars)
    m.execute(os.path.join(_root(), "manifest.py"))
    return [r.target_path for r in m.files()]


@cpython_only("runs MicroPython's manifest tooling")
def test_manifest_freezes_every_client_module_but_the_cpython_only_ones():
    src = _source_tree()
    expected = _expected_client_files()
    assert "client/crypto/viper.py" in expected and "client/loop.py" in expected
    assert "client/crypto/backend_pycryptodome.py" not in expected
    cases = [("rp2", "boards/RPI_PICO_W", ("asyncio/core.py", "aioble/core.py")),
             ("rp2", "boards/RPI_PICO", ("asyncio/core.py",)),
             ("unix", "variants/standard", ("asyncio/core.py", "ssl.py")),
             ("unix", "", ("asyncio/core.py", "ssl.py"))]  # unix sets no BOARD_DIR by itself
    expected.discard("client/crypto/thumbgen.py")  # the host-side generator of thumbcode*.py
    thumb = set(p for p in expected if p.startswith("client/crypto/thumb"))
    assert len(thumb) == 4, thumb
    for port, board, defaults in cases:
        frozen = _frozen(src, port, board)
        client = [p for p in frozen if p.startswith("client/")]
        assert len(client) == len(set(client)), (port, board, "frozen twice")
        want = expected if port == "rp2" else expected - thumb  # the machine code is the RP2040's
        assert set(client) == want, (port, board, sorted(set(client) ^ want))
        for d in defaults:  # the port's own frozen modules stay in
            assert d in frozen, (port, board, d)
