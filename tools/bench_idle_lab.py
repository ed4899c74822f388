"""Idle-hour benchmark in the lab (issue 4): power, standard and wireguard-go as the device, side by
side, each behind its own carrier NAT (UDP timeout 30 s) with keepalive 25 s, no data, for
--minutes (default 10); counts scaled to one hour.

    .venv/bin/python tools/bench_idle_lab.py [--minutes 10] [--runtime micropython|cpython]
"""
import argparse
import re
import sys
import threading
import time

sys.path.insert(0, __file__.rsplit("/", 2)[0])

from tools import lab as labmod  # noqa: E402

INTERVAL_S = 25
NAT_TIMEOUT_S = 30
KINDS = {148: "initiation", 92: "response", 32: "keepalive", 1: "nat_refresh"}


def run(device, minutes, runtime, results):
    lab = labmod.Lab(nat=True, nat_timeout_s=NAT_TIMEOUT_S)
    try:
        private = labmod.genkey()
        lab.start_server(labmod.pubkey(private))
        lab.start_capture()
        proc = None
        if device == "wireguard-go":
            lab.start_reference_device(private, INTERVAL_S)
        else:
            proc = lab.start_client(runtime, lab.client_config(private, INTERVAL_S, device, 600, "stack"))
        time.sleep(minutes * 60)
        rows = lab.captured()
        wakeups = None
        if proc is not None:
            lab.stop(proc)
            m = re.search(r"loop wake-ups: (\d+)", lab.log_text())
            wakeups = int(m.group(1)) if m else None
        counts = {}
        for _, n in rows:
            kind = KINDS.get(n, "data")
            counts[kind] = counts.get(kind, 0) + 1
        results[device] = (counts, wakeups)
    finally:
        lab.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--runtime", default="micropython", choices=("micropython", "cpython"))
    args = ap.parse_args()
    results = {}
    threads = [threading.Thread(target=run, args=(d, args.minutes, args.runtime, results))
               for d in ("power", "standard", "wireguard-go")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    scale = 60 / args.minutes
    print("| device (lab, %.0f min, scaled to 1 h) | sends/hour by kind | total sends | handshakes/hour | loop wake-ups/hour |"
          % args.minutes)
    print("|---|---|---|---|---|")
    for device in ("power", "standard", "wireguard-go"):
        counts, wakeups = results.get(device, ({}, None))
        name = "wireguard-go (device)" if device == "wireguard-go" else "%s (%s)" % (device, args.runtime)
        kinds = ", ".join("%s %.0f" % (k, v * scale) for k, v in sorted(counts.items()))
        print("| %s | %s | %.0f | %.0f | %s |" % (
            name, kinds, sum(counts.values()) * scale, counts.get("initiation", 0) * scale,
            "n/a" if wakeups is None else "%.0f" % (wakeups * scale)))


if __name__ == "__main__":
    main()
