"""tools/emulate: scripts on RPI_PICO firmware in the rp2040js emulator (CPython runs it as a subprocess).

Needs node and the firmware build/firmware/rp2-pico/firmware.uf2 (or $EMULATE_FIRMWARE); without
the firmware, firmware_path() builds it with tools/firmware when the MicroPython source is at hand,
and the tests skip, saying why, when it is not.
"""
from tests.harness import cpython_only


def _root():
    import os
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _skip(reason):
    import pytest
    pytest.skip(reason)


def firmware_path():
    """The RPI_PICO firmware (.uf2) to run: $EMULATE_FIRMWARE, else the project's build (tests/board.py
    builds it when the MicroPython source is at hand, and skips saying why when not)."""
    import os
    env = os.environ.get("EMULATE_FIRMWARE")
    if env:
        if not os.path.isfile(env):
            _skip("EMULATE_FIRMWARE=%s does not exist" % env)
        return env
    from tests import board
    return board.firmware()


def _node_or_skip():
    import shutil
    if not shutil.which("node"):
        _skip("node is not installed (tools/emulate runs rp2040js on node >= 18)")


def _emulate(*args, scripts=(), timeout=120, env=None):
    """Run tools/emulate FIRMWARE with the given script texts; returns the CompletedProcess."""
    import os
    import subprocess
    import tempfile
    _node_or_skip()
    fw = firmware_path()
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, text in enumerate(scripts):
            p = os.path.join(tmp, "s%d.py" % i)
            with open(p, "w", encoding="utf-8") as f:
                f.write(text)
            paths.append(p)
        return subprocess.run([os.path.join(_root(), "tools", "emulate")] + list(args) + [fw] + paths,
                              capture_output=True, encoding="utf-8", timeout=timeout,
                              env=dict(os.environ, **(env or {})))


@cpython_only("runs node (rp2040js) as a subprocess")
def test_emulate_prints_the_output_and_both_times():
    r = _emulate(scripts=["print(1+1)\n"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == "2\n"
    assert "emulate: boot to raw REPL" in r.stderr
    assert "emulated s" in r.stderr and "wall s" in r.stderr


@cpython_only("runs node (rp2040js) as a subprocess")
def test_emulate_python_error_fails_with_the_traceback():
    r = _emulate("--quiet", scripts=["print('before')\nraise ValueError('boom')\n"])
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout == "before\n"
    assert "Traceback (most recent call last):" in r.stderr and "ValueError: boom" in r.stderr
    r = _emulate("--quiet", scripts=["print('never'\n"])  # raw paste stops early on a syntax error
    assert r.returncode == 1 and "SyntaxError" in r.stderr and r.stdout == ""


@cpython_only("runs node (rp2040js) as a subprocess")
def test_emulate_scripts_share_one_interpreter_and_stop_at_an_error():
    r = _emulate("--quiet", scripts=["x = 41\ndef f():\n    return x + 1\n", "print(f(), 'é')\n",
                                     "import nothing_here\n", "print('not reached')\n"])
    assert r.returncode == 1
    assert r.stdout == "42 é\n"
    assert "ImportError" in r.stderr


@cpython_only("runs node (rp2040js) as a subprocess")
def test_emulate_sys_exit_is_an_error_because_rp2_loses_its_value():
    r = _emulate("--quiet", scripts=["print('hi')\nimport sys\nsys.exit(0)\n", "print('not reached')\n"])
    assert r.returncode == 5, r.stdout + r.stderr
    assert r.stdout == "hi\n" and "sys.exit()" in r.stderr


@cpython_only("runs node (rp2040js) as a subprocess")
def test_emulate_pastes_a_script_larger_than_the_input_buffers():
    lines = ["t = 0"] + ["t += %d  # %s" % (i, "x" * 40) for i in range(400)] + ["print('sum', t)"]
    for mode in ("--quiet", "--no-paste"):  # raw-paste mode (flow control), plain raw mode
        r = _emulate("--quiet", mode, scripts=["\n".join(lines) + "\n"])
        assert r.returncode == 0, r.stderr
        assert r.stdout == "sum %d\n" % sum(range(400))


@cpython_only("runs node (rp2040js) as a subprocess")
def test_emulate_memory_fault_ends_the_run():
    # rp2040js raises no HardFault; the runner stops at an access outside the RP2040's address map
    r = _emulate("--quiet", scripts=["import machine\nmachine.mem32[0xFFFFFFF0] = 0\nprint('after')\n"])
    assert r.returncode == 3, r.stdout + r.stderr
    assert "emulator fault" in r.stderr and "fffffff0" in r.stderr
    assert "after" not in r.stdout


@cpython_only("runs node (rp2040js) as a subprocess")
def test_emulate_timeout_and_a_script_waiting_for_input():
    r = _emulate("--quiet", "--timeout", "2", scripts=["while True:\n    pass\n"])
    assert r.returncode == 4 and "timeout" in r.stderr, r.stderr
    r = _emulate("--quiet", scripts=["input()\n"])  # nothing will come: reported at once
    assert r.returncode == 3 and "waiting for input" in r.stderr, r.stderr


@cpython_only("runs tools/emulate as a subprocess")
def test_emulate_without_a_boot_rom_says_so_in_one_line():
    import os
    import subprocess
    _node_or_skip()
    r = subprocess.run([os.path.join(_root(), "tools", "emulate"), "fw.uf2", "s.py"], capture_output=True,
                       text=True, env=dict(os.environ, RP2040_BOOTROM="/nonexistent/bootrom.mjs"))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "/nonexistent/bootrom.mjs" in r.stderr
