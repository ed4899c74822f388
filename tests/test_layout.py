"""The architecture rule, checked: the sans-I/O parts import no I/O and read no clock (both runtimes).

client/wg/ (the WireGuard core), client/net/ (the IP stack) and client/crypto/ take `now` and bytes;
only the client around them (loop, netif/, clock, __main__) touches sockets, the netif and time.
Each part may import only what README "Layout" says. The check reads the source text, so it runs
on MicroPython too (no ast there) and needs no import of the code it judges.
"""
# tools/test runs this module on the 32-bit board proxy with more heap than 96K: the test reads
# every client source file as text (test data, not the client).
UNIX32_HEAP = "2M"
import os

from tests.harness import raises

# Part -> the client modules it may import (prefix match) and the standard modules it may import.
RULES = {
    "client/wg": (("client.wg", "client.crypto", "client.compat", "client.net.addr"), ("struct", "os")),
    "client/net": (("client.net", "client.compat"), ("struct", "os", "micropython")),
    "client/crypto": (("client.crypto", "client.compat"),
                      ("struct", "os", "array", "sys", "micropython", "hmac", "Crypto")),
}
# What a sans-I/O module must never name, even without importing it: a clock read, or an I/O
# call on a module it may import for other reasons (os for urandom only).
FORBIDDEN_NAMES = ("ticks_ms", "ticks_us", "time.", "os.read", "os.write", "os.open", "open(")


class LayoutError(Exception):
    pass


def _files(folder):
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py"):
            yield folder + "/" + name


def _package_of(path):
    return path[:-3].replace("/", ".").rsplit(".", 1)[0]


def _absolute(package, module):
    """The absolute name of `module` as written in `package` (relative dots resolved)."""
    if not module.startswith("."):
        return module
    dots = len(module) - len(module.lstrip("."))
    base = package.split(".")
    if dots > 1:
        base = base[:-(dots - 1)]
    rest = module[dots:]
    return ".".join(base) + ("." + rest if rest else "")


def code_lines(source):
    """The lines of `source` with comments, docstrings and string literals blanked out."""
    out = []
    in_doc = None
    for line in source.split("\n"):
        code = ""
        i = 0
        while i < len(line):
            if in_doc:
                end = line.find(in_doc, i)
                if end < 0:
                    i = len(line)
                    continue
                i, in_doc = end + 3, None
            elif line.startswith('"""', i) or line.startswith("'''", i):
                in_doc = line[i:i + 3]
                i += 3
            elif line[i] in "\"'":
                end = line.find(line[i], i + 1)
                i = len(line) if end < 0 else end + 1
                code += '""'
            elif line[i] == "#":
                break
            else:
                code += line[i]
                i += 1
        out.append(code)
    return out


def imports(path, source):
    """Absolute names of the modules `source` (the text of file `path`) imports, at any depth."""
    package = _package_of(path)
    found = []
    for code in code_lines(source):
        words = code.replace(",", " ").replace("(", " ").replace(")", " ").split()
        if len(words) >= 2 and words[0] == "import":
            names = [w for i, w in enumerate(words[1:], 1) if w != "as" and words[i - 1] != "as"]
            found += [_absolute(package, m) for m in names]
        elif len(words) >= 4 and words[0] == "from" and words[2] == "import":
            module = _absolute(package, words[1])
            if words[1].strip(".") == "" or module == "client":  # "from . import x": the submodules
                names = [w for i, w in enumerate(words[3:], 3) if w != "as" and words[i - 1] != "as"]
                found += [module + "." + w for w in names]
            else:
                found.append(module)
    return found


def _mentions(code, name):
    """True when `name` occurs in `code` as a name of its own (not inside "_passive_open(")."""
    at = code.find(name)
    while at >= 0:
        before = code[at - 1] if at else " "
        if not (before.isalpha() or before.isdigit() or before in "_."):
            return True
        at = code.find(name, at + 1)
    return False


def check_source(path, source, rule):
    """LayoutError naming the file and the import or name that breaks `rule`."""
    client_ok, std_ok = rule
    for name in imports(path, source):
        if name == "client" or name.startswith("client."):
            if not any(name == p or name.startswith(p + ".") for p in client_ok):
                raise LayoutError("%s imports %s: not allowed in this part (README, Layout)" % (path, name))
        elif name.split(".")[0] not in std_ok:
            raise LayoutError("%s imports %s: an I/O or runtime module in a sans-I/O part" % (path, name))
    for code in code_lines(source):
        for bad in FORBIDDEN_NAMES:
            if _mentions(code, bad):
                raise LayoutError("%s uses %s: a clock read or I/O in a sans-I/O part" % (path, bad.strip("(.")))


def _read(path):
    with open(path) as f:
        return f.read()


def test_sans_io_parts_import_no_io_and_read_no_clock():
    checked = 0
    for folder, rule in RULES.items():
        for path in _files(folder):
            check_source(path, _read(path), rule)
            checked += 1
    assert checked >= 30  # every module of the three parts


def test_the_check_fails_on_each_kind_of_breach():
    wg = RULES["client/wg"]
    path = "client/wg/peer.py"
    clean = "import struct\nfrom .. import crypto\nfrom ..compat import ticks_diff\nfrom .noise import x\n"
    check_source(path, clean, wg)
    check_source(path, clean + "def _passive_open(self):\n    self.uptime.x = 1\n", wg)
    for breach in ("import socket\n", "import select\n", "from time import sleep\n",
                   "    from ..netif.tun import Tun\n", "from .. import loop\n", "from ..clock import Clock\n",
                   "from ..compat import ticks_ms\n", "now = time.ticks_ms()\n", "import gc, socket\n",
                   "from ..net.stack import Stack\n", "import socket as s\n", "f = open(path)\n"):
        e = raises(LayoutError, check_source, path, clean + breach, wg)
        assert path in str(e)
    net = RULES["client/net"]
    raises(LayoutError, check_source, "client/net/stack.py", "from ..wg.peer import Peer\n", net)
    raises(LayoutError, check_source, "client/crypto/viper.py", "from ..wg import noise\n", RULES["client/crypto"])


def test_relative_imports_resolve_to_their_modules():
    assert imports("client/wg/device.py", "from .. import crypto\nfrom . import noise, peer\n") == \
        ["client.crypto", "client.wg.noise", "client.wg.peer"]
    assert imports("client/net/api.py", "from ..compat import earliest\nfrom .addr import parse_ip\n") == \
        ["client.compat", "client.net.addr"]
    assert imports("client/crypto/selftest.py", "from client import crypto\n") == ["client.crypto"]
    assert imports("client/wg/x.py", "import os\nimport struct as s\n") == ["os", "struct"]
    # Text that only mentions a module is no import, and no clock read.
    doc = '"""Timers: import socket\n is what the loop does; time.sleep too."""\nx = "open(" # time.\n'
    assert imports("client/wg/x.py", doc) == [] and code_lines(doc)[-2] == 'x = "" '
    check_source("client/wg/x.py", doc, RULES["client/wg"])
