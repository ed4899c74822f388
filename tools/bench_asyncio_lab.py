"""Goodput in the lab through a forward and through net.open_connection, device on CPython and on
the MicroPython unix port (issue 11), and idle-hour wake-ups with an idle asyncio app beside the
client.

    .venv/bin/python tools/bench_asyncio_lab.py [--goodput] [--idle-minutes N]

Forward: `curl` on the server downloads 8 MiB from http.server on the device's loopback through a
TCP forward (as tools/bench_stack_lab.py). open_connection: a device program
(tools/bench_program_download.py, `--run`) downloads 8 MiB from http.server on the server's tunnel
address. Median of 3 each. Idle: the client with `--app tests.app_idle` (a microdot server on the
tunnel, routed, waiting) for N minutes, keepalive 25 s behind a NAT with a 30 s UDP timeout; sends
counted by tcpdump at the NAT, wake-ups from the client's status, both scaled to one hour.
"""
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tools import lab as labmod  # noqa: E402
from tools.bench_stack_lab import goodput as forward_goodput  # noqa: E402

SIZE = 8 << 20
KINDS = {148: "initiation", 92: "response", 32: "keepalive", 1: "nat_refresh"}


def _exe(runtime):
    return sys.executable if runtime == "cpython" else os.path.join(os.path.dirname(sys.executable), "micropython")


def _client(lab, runtime, cfg, args, name="client"):
    import json
    path = lab.path(name + ".json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    log = open(lab.path(name + ".log"), "w")
    return lab.popen(lab.dev, _exe(runtime), "-m", "client", "--config", path, *args, cwd=ROOT,
                     stdout=log, stderr=subprocess.STDOUT)


def connection_goodput(runtime):
    """Median Mbit/s of 3 downloads of 8 MiB by a device program through net.open_connection."""
    lab = labmod.Lab(nat=True, nat_timeout_s=30)
    try:
        private = labmod.genkey()
        lab.start_server(labmod.pubkey(private))
        lab.start_server_http({"file": os.urandom(SIZE)})
        cfg = lab.client_config(private, 25, netif="stack")
        proc = _client(lab, runtime, cfg, ["--run", "tools.bench_program_download"])
        for _ in range(600):
            time.sleep(0.2)
            if "program: done" in lab.log_text() or proc.poll() is not None:
                break
        lab.stop(proc)
        text = lab.log_text()
        runs = [(int(n), int(ms)) for n, ms in re.findall(r"program: downloaded (\d+) bytes in (\d+) ms", text)]
        assert len(runs) == 3 and all(n >= SIZE for n, _ in runs), text
        speeds = sorted(n * 8 / (ms / 1000) / 1e6 for n, ms in runs)
        return speeds[1]
    finally:
        lab.close()


def idle(runtime, minutes, app="tests.app_idle"):
    lab = labmod.Lab(nat=True, nat_timeout_s=30)
    try:
        private = labmod.genkey()
        lab.start_server(labmod.pubkey(private))
        lab.start_capture()
        cfg = lab.client_config(private, 25, "power", 600, "stack")
        proc = _client(lab, runtime, cfg, ["--app", app] if app else [])
        time.sleep(minutes * 60)
        rows = lab.captured()
        lab.stop(proc)
        m = re.search(r"loop wake-ups: (\d+)", lab.log_text())
        counts = {}
        for _, n in rows:
            kind = KINDS.get(n, "data")
            counts[kind] = counts.get(kind, 0) + 1
        return counts, int(m.group(1)) if m else None
    finally:
        lab.close()


def main():
    args = sys.argv[1:]
    if "--idle-minutes" not in args or "--goodput" in args:
        print("| device runtime | through a forward (curl on the server), Mbit/s | through net.open_connection "
              "(device program), Mbit/s |")
        print("|---|---|---|")
        for runtime in ("cpython", "micropython"):
            print("| %s | %.1f | %.1f |" % (runtime, forward_goodput(runtime), connection_goodput(runtime)))
            sys.stdout.flush()
    if "--idle-minutes" in args:
        minutes = float(args[args.index("--idle-minutes") + 1])
        scale = 60 / minutes
        print()
        print("| device (lab, %g min, scaled to 1 h, power, keepalive 25 s) | sends/hour by kind | total sends |"
              " handshakes/hour | client wake-ups/hour |" % minutes)
        print("|---|---|---|---|---|")
        import threading
        results = {}
        jobs = [(rt, app) for rt in ("micropython", "cpython") for app in ("tests.app_idle", None)]
        threads = [threading.Thread(target=lambda j=j: results.__setitem__(j, idle(j[0], minutes, j[1])))
                   for j in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for rt, app in jobs:
            counts, wakeups = results.get((rt, app), ({}, None))
            kinds = ", ".join("%s %.0f" % (k, v * scale) for k, v in sorted(counts.items()))
            print("| %s, %s | %s | %.0f | %.0f | %s |" % (
                rt, "idle microdot app beside it (--app tests.app_idle)" if app else "no app", kinds,
                sum(counts.values()) * scale, counts.get("initiation", 0) * scale,
                "n/a" if wakeups is None else "%.0f" % (wakeups * scale)))


if __name__ == "__main__":
    main()
