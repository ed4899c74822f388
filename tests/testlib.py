"""Third-party asyncio libraries for the tests, on both runtimes: microdot and aiomqttc, installed
from PyPI into .venv by tools/setup (requirements.txt pins them) and copied, their pure-Python
files only, into tests/lib/ - MicroPython cannot read a CPython site-packages tree as a whole
(aiomqttc installs top-level `main.py` and `config.py` there). No network at test time: `ensure()`
copies from the installed packages, on either runtime, whenever a copy is missing or differs.

    from tests import testlib
    testlib.ensure()          # tests/lib/ is then on sys.path: import microdot, aiomqttc
"""
import os
import sys

_TESTS = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
ROOT = _TESTS.rsplit("/", 1)[0] if "/" in _TESTS else "."
LIB = ROOT + "/tests/lib"
# Files of the installed packages (site-packages-relative), copied to the same place under tests/lib/.
FILES = ("microdot/__init__.py", "microdot/microdot.py", "microdot/helpers.py", "aiomqttc.py")
LICENCES = {"microdot": "microdot-2.7.0.dist-info/licenses/LICENSE",
            "aiomqttc": "aiomqttc-1.0.7.dist-info/licenses/LICENSE"}


class Missing(Exception):
    pass


def site_packages():
    lib = ROOT + "/.venv/lib"
    for name in sorted(os.listdir(lib)):
        if name.startswith("python"):
            return lib + "/" + name + "/site-packages"
    raise Missing("no .venv/lib/python*/site-packages (tools/setup makes it)")


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _copy(src, dst):
    data = _read(src)
    try:
        if _read(dst) == data:
            return
    except OSError:
        pass
    folder = dst.rsplit("/", 1)[0]
    _makedirs(folder)
    with open(dst, "wb") as f:
        f.write(data)


def _makedirs(folder):
    path = ""
    for part in folder.split("/"):
        path = path + "/" + part if path or folder.startswith("/") else part
        if not path:
            continue
        try:
            os.mkdir(path)
        except OSError:
            pass


def ensure():
    """tests/lib/ holds the installed microdot and aiomqttc and is on sys.path; Missing if not installed."""
    site = site_packages()
    for rel in FILES:
        src = site + "/" + rel
        try:
            os.stat(src)
        except OSError:
            raise Missing("%s is not installed (tools/setup installs requirements.txt)" % rel)
        _copy(src, LIB + "/" + rel)
    for name, rel in LICENCES.items():
        try:
            _copy(site + "/" + rel, LIB + "/LICENSE." + name)
        except OSError:
            pass
    if LIB not in sys.path:
        sys.path.insert(0, LIB)
    return LIB
