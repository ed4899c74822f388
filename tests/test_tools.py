"""tools/: keys compatible with wg(8), wg-quick import, deploy dry-run (CPython, subprocesses)."""
from tests.harness import cpython_only

WG_QUICK = """
[Interface]
PrivateKey = {private}
Address = 192.0.2.2/32, fd00::2/128
ListenPort = 51821
DNS = 192.0.2.53

[Peer]
PublicKey = {server}
PresharedKey = {psk}
Endpoint = vpn.example.net:51820
AllowedIPs = 192.0.2.0/24, fd00::/64
PersistentKeepalive = 25
"""


def _run(*cmd, stdin=None):
    import os
    import subprocess
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return subprocess.run(list(cmd), input=stdin, capture_output=True, text=True, cwd=root, timeout=120)


@cpython_only("runs tools and wg as subprocesses")
def test_keys_match_wg():
    import shutil
    import sys
    assert shutil.which("wg"), "wireguard-tools missing: tools/setup installs it"
    ours = _run(sys.executable, "tools/keys", "genkey").stdout.strip()
    assert _run(sys.executable, "tools/keys", "pubkey", stdin=ours).stdout == _run("wg", "pubkey", stdin=ours).stdout
    theirs = _run("wg", "genkey").stdout.strip()
    assert _run(sys.executable, "tools/keys", "pubkey", stdin=theirs).stdout == _run("wg", "pubkey", stdin=theirs).stdout
    assert len(_run(sys.executable, "tools/keys", "genpsk").stdout.strip()) == 44
    bad = _run(sys.executable, "tools/keys", "pubkey", stdin="nonsense")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr


@cpython_only("runs tools as subprocesses")
def test_import_wg_quick_conf():
    import json
    import os
    import sys
    import tempfile
    keys = {k: _run(sys.executable, "tools/keys", "genkey" if k != "psk" else "genpsk").stdout.strip()
            for k in ("private", "server_private", "psk")}
    server = _run(sys.executable, "tools/keys", "pubkey", stdin=keys["server_private"]).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "device.conf")
        out = os.path.join(tmp, "config.json")
        with open(conf, "w") as f:
            f.write(WG_QUICK.format(private=keys["private"], server=server, psk=keys["psk"]))
        r = _run(sys.executable, "tools/import_conf.py", conf, "--out", out)
        assert r.returncode == 0, r.stderr
        assert "DNS" in r.stderr  # listed as not used
        device_public = _run(sys.executable, "tools/keys", "pubkey", stdin=keys["private"]).stdout.strip()
        assert "PublicKey = " + device_public in r.stdout
        assert "AllowedIPs = 192.0.2.2/32, fd00::2/128" in r.stdout and "PresharedKey = " + keys["psk"] in r.stdout
        assert keys["private"] not in r.stdout  # the private key stays in the file
        assert oct(os.stat(out).st_mode & 0o777) == "0o600"
        with open(out) as f:
            cfg = json.load(f)
        peer = cfg["peers"][0]
        assert peer["endpoint"] == "vpn.example.net:51820" and peer["persistent_keepalive"] == 25
        assert peer["allowed_ips"] == ["192.0.2.0/24", "fd00::/64"] and peer["keepalive_mode"] == "power"
        assert cfg["interface"]["listen_port"] == 51821
        with open(conf, "w") as f:
            f.write("[Interface]\nPrivateKey = short\n")
        r = _run(sys.executable, "tools/import_conf.py", conf, "--out", out)
        assert r.returncode == 2 and r.stderr.startswith("import_conf: config: interface.private_key")


@cpython_only("runs tools/deploy and mpy-cross")
def test_deploy_dry_run_compiles_for_both_boards():
    import os
    for board, arch_files in (("esp32", 20), ("rp2", 20)):
        r = _run("tools/deploy", board, "--dry-run")
        assert r.returncode == 0, r.stderr
        assert "+ .venv/bin/mpremote connect auto fs cp build/%s/rom/client/crypto/viper.mpy :client/crypto/viper.mpy" \
            % board in r.stdout
        assert "backend_pycryptodome" not in r.stdout and "netif/tun" not in r.stdout
        for folder in ("client", "client/crypto", "client/net", "client/netif", "client/wg"):  # every folder before its files
            assert "+ .venv/bin/mpremote connect auto fs mkdir :%s\n" % folder in r.stdout
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        mpys = [f for _, _, files in os.walk(os.path.join(root, "build", board)) for f in files if f.endswith(".mpy")]
        assert len(mpys) >= arch_files
    assert _run("tools/deploy", "esp8266", "--dry-run").returncode == 2


@cpython_only("runs tools/deploy, mpremote and the MicroPython unix port")
def test_deploy_romfs_image_runs_the_client_in_place():
    # The image a board gets with --romfs, built for the unix port, mounted as a board mounts its
    # ROM partition: the client imports from it (bytecode executed in place) and its crypto passes.
    import os
    r = _run("tools/deploy", "unix", "--romfs", "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "+ .venv/bin/mpremote connect auto romfs deploy build/unix/client.romfs" in r.stdout
    assert "fs cp build/unix/rom/client" not in r.stdout  # the code goes only into the image
    assert os.path.getsize("build/unix/client.romfs") > 50_000
    script = ("import sys, vfs\n"
              "f = open('build/unix/client.romfs', 'rb'); image = f.read(); f.close()\n"
              "vfs.mount(vfs.VfsRom(image), '/rom')\n"
              "sys.path[:] = ['/rom', '.frozen']\n"  # .frozen: the firmware's own modules (asyncio)
              "import client.loop, client.netif.forward\n"
              "from client.crypto import selftest\n"
              "print(client.loop.__file__, client.netif.forward.__file__)\n"
              "sys.exit(0 if selftest.passed else 1)\n")
    r = _run(".venv/bin/micropython", "-c", script)
    assert r.returncode == 0, r.stdout + r.stderr
    # (the self-test prints its lines at import, before the paths)
    assert "/rom/client/loop.mpy /rom/client/netif/forward.mpy" in r.stdout.splitlines()
    assert "backend pure (viper)" in r.stdout and "self-test passed" in r.stdout


def test_crypto_selftest_runs_on_import_and_as_a_module():
    # What its docstring promises, on this runtime: one line per check at import, and -m's exit status.
    import sys
    sys.modules.pop("client.crypto.selftest", None)
    import client.crypto.selftest as selftest
    assert selftest.passed is True
    sys.modules.pop("client.crypto.selftest", None)


@cpython_only("runs both interpreters as subprocesses")
def test_crypto_selftest_with_dash_m_on_both_runtimes():
    for interpreter in (".venv/bin/python", ".venv/bin/micropython"):
        r = _run(interpreter, "-m", "client.crypto.selftest")
        assert r.returncode == 0, r.stdout + r.stderr
        assert r.stdout.count("self-test passed") == 1 and r.stdout.count("X25519") >= 1


def _has_lines(path, lines):
    """True when the file at path contains `lines` as consecutive lines (read line by line: README
    is larger than the 32-bit proxy's 96 KB heap)."""
    window = []
    with open(path) as f:
        for line in f:
            window.append(line.rstrip("\n"))
            if len(window) > len(lines):
                window.pop(0)
            if window == lines:
                return True
    return False


def test_readme_examples_are_the_files_the_lab_runs():
    # README's asyncio example and its board app are tests/example_api.py and tests/example_app.py,
    # which tests/test_asyncio_lab.py runs as written: the two must not drift apart.
    for path in ("tests/example_api.py", "tests/example_app.py"):
        with open(path) as f:
            lines = f.read().strip().split("\n")
        assert _has_lines("README.md", lines), path + " differs from README's copy"
