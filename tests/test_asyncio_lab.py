"""The client inside the device's own asyncio app, in the lab (issue 11), on CPython and on the
MicroPython unix port, netif "stack": [dev] -- [carrier NAT] -- [srv: wireguard-go, mosquitto].

- main.py with README's example app.py on a board's filesystem: unmodified microdot answers the
  server's curl through the tunnel, with no forward;
- unmodified aiomqttc publishes to mosquitto at the server's tunnel address; mosquitto_sub on the
  server receives it;
- a forward to an asyncio server of the same program on the device's 127.0.0.1 serves 1 MiB intact;
- with an idle app beside it, the power keepalive's spacing holds and the loop wakes only for what
  it sends and receives;
- an app that raises, and one that blocks the loop for 2 s, leave the tunnel up (handshake,
  keepalives, the server's ping);
- README's asyncio example runs as written (tests/example_api.py).
"""
import os
import re
import sys
import time

from tests.harness import lab_on_both_runtimes, assert_power_spacing

INTERVAL_S = 4
NAT_TIMEOUT_S = 6



def _lab(runtime, apps=(), route=True, capture=False, forward=None, mosquitto=False):
    from tests import testlib
    from tools import lab as labmod
    testlib.ensure()  # tests/lib/ for the device's MicroPython, from the installed packages
    lab = labmod.Lab(nat=True, nat_timeout_s=NAT_TIMEOUT_S)
    try:
        private = labmod.genkey()
        lab.start_server(labmod.pubkey(private))
        if mosquitto:
            lab.start_mosquitto()
        if capture:
            lab.start_capture()
        cfg = lab.client_config(private, INTERVAL_S, netif="stack")
        if forward:
            cfg["forward"] = forward
        args = []
        for app in apps:
            args += ["--app", app]
        if route:
            args.append("--route")
        proc = lab.start_app_client(runtime, cfg, args)
    except Exception:
        lab.close()
        raise
    return lab, proc


def _curl(lab, path="/", out=None):
    cmd = ["curl", "-s", "--max-time", "60", "-w", "\n%{http_code}"]
    if out:
        cmd += ["-o", out]
    r = lab.run(lab.srv, *(cmd + ["http://192.0.2.2" + path]), check=False)
    return r.returncode, r.stdout


def _counts(text, what):
    """Sum of a status line's counts ("  sent: data 3, keepalive 12")."""
    m = re.search(r"\n  %s: ([^\n]*)" % what, text)
    return sum(int(n) for n in re.findall(r" (\d+)", " " + m.group(1))) if m else 0


def _board_folder(lab, private, files):
    """A folder laid out as a board's filesystem: config.json and the given files from the repository."""
    import json
    import shutil
    from tools import lab as labmod
    folder = lab.path("board")
    os.makedirs(folder)
    cfg = lab.client_config(private, INTERVAL_S, netif="stack")
    cfg["state_file"] = os.path.join(folder, "wgstate.json")
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f)
    for src, dst in files:
        shutil.copy(os.path.join(labmod.ROOT, src), os.path.join(folder, dst))
    return folder


def _runtime_command(runtime, script, extra_path=()):
    from tools import lab as labmod
    path = ":".join((labmod.ROOT,) + tuple(extra_path))
    if runtime == "cpython":
        return [sys.executable, script], dict(os.environ, PYTHONPATH=path)
    return ([os.path.join(os.path.dirname(sys.executable), "micropython"), script],
            dict(os.environ, MICROPYPATH=path + ":.frozen"))


def _board_main(runtime):
    """main.py and README's example app.py on a board's filesystem (unmodified microdot, routed by
    main.py): the server's curl gets the page - the client's status - through the tunnel."""
    from tests import testlib
    from tools import lab as labmod
    import subprocess
    lib = testlib.ensure()
    lab = labmod.Lab(nat=True, nat_timeout_s=NAT_TIMEOUT_S)
    try:
        private = labmod.genkey()
        lab.start_server(labmod.pubkey(private))
        folder = _board_folder(lab, private, [("main.py", "main.py"), ("tests/example_app.py", "app.py")])
        cmd, env = _runtime_command(runtime, "main.py", (lib,))
        proc = lab.popen(lab.dev, *cmd, cwd=folder, env=env, stdout=open(lab.path("client.log"), "w"),
                         stderr=subprocess.STDOUT)
        assert lab.wait_handshake(), lab.log_text()
        for _ in range(5):  # microdot starts listening right after the client
            code, out = _curl(lab)
            if code == 0:
                break
            time.sleep(1)
        assert code == 0 and out.endswith("\n200"), (code, out, lab.log_text())
        assert "interface: wgm0" in out and "latest handshake:" in out, out  # the client's status
        lab.stop(proc)
        assert "Traceback" not in lab.log_text(), lab.log_text()
    finally:
        lab.close()


test_board_main_and_microdot_app_cpython, test_board_main_and_microdot_app_micropython = lab_on_both_runtimes(_board_main)


def _mqtt(runtime):
    """Unmodified aiomqttc publishes to mosquitto at 192.0.2.1; mosquitto_sub there receives it."""
    lab, proc = _lab(runtime, ["tests.app_mqtt"], mosquitto=True)
    try:
        assert lab.wait_handshake(), lab.log_text()
        r = lab.run(lab.srv, "mosquitto_sub", "-h", "192.0.2.1", "-t", "wg/test", "-C", "1", "-W", "60",
                    check=False)
        assert r.returncode == 0 and r.stdout.startswith("hello from the device"), (r.stdout, r.stderr,
                                                                                   lab.log_text())
        lab.stop(proc)
        text = lab.log_text()
        assert "Traceback" not in text, text
    finally:
        lab.close()


test_mqtt_client_publishes_through_the_tunnel_cpython, test_mqtt_client_publishes_through_the_tunnel_micropython = \
    lab_on_both_runtimes(_mqtt)


def _forward_in_process(runtime):
    """A forward to an asyncio server in the same program on 127.0.0.1: 1 MiB intact."""
    import hashlib
    from tests.app_local_server import body
    lab, proc = _lab(runtime, ["tests.app_local_server"], route=False,
                     forward=[{"proto": "tcp", "port": 80, "to": "127.0.0.1:8080"}])
    try:
        assert lab.wait_handshake(), lab.log_text()
        out = lab.path("download")
        for _ in range(3):
            code, status = _curl(lab, "/file", out)
            if code == 0:
                break
            time.sleep(1)
        assert code == 0 and status.endswith("200"), (code, status, lab.log_text())
        with open(out, "rb") as f:
            got = f.read()
        assert len(got) == len(body()) and hashlib.sha256(got).digest() == hashlib.sha256(body()).digest()
        lab.stop(proc)
        assert "tcp_forwarded 1" in lab.log_text() and "Traceback" not in lab.log_text()
    finally:
        lab.close()


test_forward_to_an_in_process_asyncio_server_cpython, test_forward_to_an_in_process_asyncio_server_micropython = \
    lab_on_both_runtimes(_forward_in_process)


def _idle(runtime):
    """An idle app beside the client: over 60 s, gaps <= interval + 0.5 s and count <= 60/interval + 1
    (as tests/test_client_lab.py without an app); wake-ups <= what was sent and received + 2."""
    lab, proc = _lab(runtime, ["tests.app_idle"], capture=True)
    try:
        assert lab.wait_handshake(), lab.log_text()
        window_start, rows = lab.idle_window(60)
        assert_power_spacing(window_start, rows, INTERVAL_S)
        lab.stop(proc)
        text = lab.log_text()
        wakeups = int(re.search(r"loop wake-ups: (\d+)", text).group(1))
        sent, received = _counts(text, "sent"), _counts(text, "received")
        assert sent >= 60 // INTERVAL_S and wakeups <= sent + received + 2, (wakeups, sent, received, text)
    finally:
        lab.close()


test_idle_app_keeps_spacing_and_wakeups_cpython, test_idle_app_keeps_spacing_and_wakeups_micropython = \
    lab_on_both_runtimes(_idle)


def _survives(runtime, app, extra_gap_s, marker):
    lab, proc = _lab(runtime, [app], route=False, capture=True)
    try:
        assert lab.wait_handshake(), lab.log_text()
        start = time.time()
        time.sleep(16)
        rows = [t for t, n in lab.captured() if t >= start]
        gaps = [b - a for a, b in zip(rows, rows[1:])]
        assert len(rows) >= 3 and max(gaps) <= INTERVAL_S + extra_gap_s + 0.5, (rows, lab.log_text())
        ok, out = lab.server_ping(count=3, timeout_s=3)
        assert ok, (out, lab.log_text())
        lab.stop(proc)
        text = lab.log_text()
        assert marker in text, text
        assert "handshakes: 1 as initiator" in text, text
    finally:
        lab.close()


def _app_raises(runtime):
    """An app that raises: logged and listed, and the tunnel goes on (keepalives, the server's ping)."""
    _survives(runtime, "tests.app_raises", 0, "failed: app tests.app_raises (ValueError(")


def _app_blocks(runtime):
    """An app that blocks the loop 2 s (during the handshake, then later): the tunnel goes on."""
    _survives(runtime, "tests.app_blocks", 2, "app: blocked 2 s again")


test_app_that_raises_leaves_the_tunnel_up_cpython, test_app_that_raises_leaves_the_tunnel_up_micropython = \
    lab_on_both_runtimes(_app_raises)
test_app_that_blocks_2s_leaves_the_tunnel_up_cpython, test_app_that_blocks_2s_leaves_the_tunnel_up_micropython = \
    lab_on_both_runtimes(_app_blocks)


def _readme_example(runtime):
    """README's asyncio example, as written (tests/example_api.py), run from a folder with config.json."""
    from tools import lab as labmod
    lab = labmod.Lab(nat=True, nat_timeout_s=30)
    try:
        private = labmod.genkey()
        lab.start_server(labmod.pubkey(private))
        lab.start_mosquitto()
        lab.start_server_udp_echo(53)
        folder = _board_folder(lab, private, [])
        cmd, env = _runtime_command(runtime, os.path.join(labmod.ROOT, "tests", "example_api.py"))
        r = lab.run(lab.dev, *cmd, cwd=folder, env=env, timeout=60, check=False)
        assert r.returncode == 0, (r.stdout, r.stderr)
        assert "interface: wgm0" in r.stdout and "handshakes: 1 as initiator" in r.stdout, r.stdout
        assert "Traceback" not in r.stdout + r.stderr
    finally:
        lab.close()


test_readme_example_runs_as_written_cpython, test_readme_example_runs_as_written_micropython = \
    lab_on_both_runtimes(_readme_example)
