"""Hostile-load benchmark in the lab (issue 12), root:

    .venv/bin/python tools/bench_flood_lab.py [--seconds 60] [--step-seconds 10]
        [--runtimes cpython,micropython] [--rates 1000,2000,5000,10000,20000,30000,40000,60000]
        [--skip-share | --skip-absorb]

1. The device's CPU under the flood of the lab test (tools/flood.py from the NAT namespace: 1000
   valid-mac1 initiations a second from 64 ports + 200 other hostile datagrams a second), with the
   under-load logic and without it (the meter never reports load: every valid mac1 buys its
   X25519, as before issue 12), per runtime; the server pings the device every 0.25 s meanwhile.
2. Datagrams per second the MicroPython client absorbs — every one dropped and counted by the
   client — before its socket buffer overflows: the flood's rate in steps, one client; per step the
   device namespace's UDP counters (/proc/net/snmp: InDatagrams read by the client, RcvbufErrors
   lost because its socket buffer was full) and the client's CPU.
Prints Markdown tables. Run it alone: CPU shares are of one core of this machine.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tools import lab as labmod  # noqa: E402

DEVICE_PORT = 51900
NETIF = {"cpython": "tun", "micropython": "stack"}
# The client as -m client runs it, optionally with the load meter never reporting load.
PRELUDE = ("import sys\nsys.path.insert(0, '.')\n"
           "if %r:\n"
           " from client.wg import load\n"
           " _asked = load.LoadMeter.asked\n"
           " load.LoadMeter.asked = lambda self, now, dh: (_asked(self, now, dh), False)[1]\n"
           "from client.__main__ import main\n"
           "sys.exit(main(['--config', %r]))\n")


def start_device(lab, runtime, private, logic):
    cfg = lab.client_config(private, 4, netif=NETIF[runtime])
    cfg["interface"]["listen_port"] = DEVICE_PORT
    cfg_path = lab.path("client.json")
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)
    exe = sys.executable if runtime == "cpython" else os.path.join(os.path.dirname(sys.executable), "micropython")
    log = open(lab.path("client.log"), "w")
    return lab.popen(lab.dev, exe, "-c", PRELUDE % (not logic, cfg_path), cwd=labmod.ROOT,
                     stdout=log, stderr=subprocess.STDOUT)


def lab_with_device(runtime, logic):
    lab = labmod.Lab(nat=True, nat_timeout_s=6)
    private = labmod.genkey()
    public = labmod.pubkey(private)
    lab.start_server(public)
    proc = start_device(lab, runtime, private, logic)
    if not lab.wait_handshake():
        raise RuntimeError("no handshake: " + lab.log_text())
    return lab, proc, public


def status_figures(lab, proc):
    lab.stop(proc)
    text = lab.log_text()
    dh = re.search(r"handshake work: .*?(\d+) X25519 at ([\d.]+) ms", text)
    cookies = re.search(r"cookie replies: (\d+) sent, (\d+) rate-limited", text)
    drops = re.search(r"^  drops: (.*)$", text, re.M)
    counted = sum(int(n) for n in re.findall(r"\b(\d+)\b", drops.group(1))) if drops else 0
    return {"dh": int(dh.group(1)) if dh else None, "dh_ms": float(dh.group(2)) if dh else None,
            "cookies": int(cookies.group(1)) if cookies else None, "counted": counted}


def share_run(runtime, logic, seconds):
    lab, proc, public = lab_with_device(runtime, logic)
    try:
        udp0 = lab.udp_counters(lab.dev)
        cpu0, t0 = labmod.cpu_seconds(proc.pid), time.time()
        flood = lab.start_flood(public, DEVICE_PORT, seconds)
        time.sleep(1)
        pings = lab.ping_counts(int((seconds - 3) / 0.25))
        flood.wait(seconds + 30)
        cpu1, t1 = labmod.cpu_seconds(proc.pid), time.time()
        udp1 = lab.udp_counters(lab.dev)
        figures = status_figures(lab, proc)
        figures.update(share=(cpu1 - cpu0) / (t1 - t0), pings=pings,
                       overflow=udp1["RcvbufErrors"] - udp0["RcvbufErrors"], report=lab.flood_report())
        return figures
    finally:
        lab.close()


def absorb_run(runtime, rates, step_s):
    lab, proc, public = lab_with_device(runtime, True)
    rows = []
    try:
        for rate in rates:
            udp0 = lab.udp_counters(lab.dev)
            cpu0, t0 = labmod.cpu_seconds(proc.pid), time.time()
            name = "flood%d" % rate
            flood = lab.start_flood(public, DEVICE_PORT, step_s, rate=rate, junk_rate=0, name=name, sniff=False,
                                    pool=1024)
            flood.wait(step_s + 30)
            time.sleep(0.5)  # what sits in the socket buffer is read
            cpu1, t1 = labmod.cpu_seconds(proc.pid), time.time()
            udp1 = lab.udp_counters(lab.dev)
            report = lab.flood_report(name)
            rows.append({"rate": rate, "sent": report["sent"]["initiation"], "seconds": report["seconds"],
                         "read": udp1["InDatagrams"] - udp0["InDatagrams"],
                         "overflow": udp1["RcvbufErrors"] - udp0["RcvbufErrors"],
                         "share": (cpu1 - cpu0) / (t1 - t0)})
        pings = lab.ping_counts(4)
        figures = status_figures(lab, proc)
        return rows, figures, pings
    finally:
        lab.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--step-seconds", type=float, default=10)
    ap.add_argument("--runtimes", default="cpython,micropython")
    ap.add_argument("--rates", default="1000,2000,5000,10000,20000,30000,40000,60000")
    ap.add_argument("--skip-share", action="store_true")
    ap.add_argument("--skip-absorb", action="store_true")
    args = ap.parse_args()
    why = labmod.unavailable()
    if why:
        sys.exit("lab unavailable: " + why)
    runtimes = args.runtimes.split(",")
    if not args.skip_share:
        print("| device runtime (lab, %.0f s of flood: 1000 valid-mac1 initiations/s from 64 ports + 200 other "
              "hostile datagrams/s) | under-load logic | device CPU, share of one core | server's pings answered "
              "| X25519 for received handshakes | cookie replies sent | socket buffer overflows |" % args.seconds)
        print("|---|---|---|---|---|---|---|")
        for runtime in runtimes:
            for logic in (True, False):
                f = share_run(runtime, logic, args.seconds)
                print("| %s (X25519 %.2f ms measured) | %s | %.1f%% | %d / %d | %s | %s | %d |" % (
                    runtime, f["dh_ms"] or 0, "on" if logic else "off (every valid mac1 buys its X25519)",
                    100 * f["share"], f["pings"][1], f["pings"][0], f["dh"], f["cookies"], f["overflow"]))
                sys.stdout.flush()
    if not args.skip_absorb:
        rates = [int(r) for r in args.rates.split(",")]
        rows, figures, pings = absorb_run("micropython", rates, args.step_seconds)
        print()
        print("| MicroPython client, valid-mac1 initiations offered per second (%.0f s each, one address, 64 ports) "
              "| sent | read by the client (InDatagrams), each dropped and counted | lost to the full socket buffer "
              "(RcvbufErrors) | absorbed per second | client CPU, share of one core |" % args.step_seconds)
        print("|---|---|---|---|---|---|")
        for r in rows:
            print("| %d | %d | %d | %d (%.1f%%) | %.0f | %.0f%% |" % (
                r["rate"], r["sent"], r["read"], r["overflow"], 100 * r["overflow"] / max(1, r["sent"]),
                r["read"] / r["seconds"], 100 * r["share"]))
        print()
        print("Client's own count over all steps: %d datagrams dropped and counted (status `drops`); "
              "the server's pings afterwards: %d / %d answered." % (figures["counted"], pings[1], pings[0]))


if __name__ == "__main__":
    main()
