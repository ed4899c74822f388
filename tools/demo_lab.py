"""The demo: the client on the MicroPython unix port behind a simulated carrier NAT, against a real
WireGuard server (wireguard-go), in network namespaces. Run by tools/demo (as root)."""
import re
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 2)[0])

from tools import lab as labmod  # noqa: E402

NAT_TIMEOUT_S = 6
INTERVAL_S = 4
IDLE_S = 20


def say(text=""):
    print(text, flush=True)


def main():
    why = labmod.unavailable()
    if why:
        say("demo: cannot build the lab here: %s" % why)
        return 1
    lab = labmod.Lab(nat=True, nat_timeout_s=NAT_TIMEOUT_S)
    try:
        say("1. The lab (lab.md): device 100.64.0.2 -- carrier NAT (MASQUERADE --random-fully, UDP mappings")
        say("   expire after %d s idle) -- WireGuard server 203.0.113.2 (wireguard-go, tunnel 192.0.2.1)." % NAT_TIMEOUT_S)
        private = labmod.genkey()
        lab.start_server(labmod.pubkey(private))
        lab.start_capture()
        cfg = lab.client_config(private, INTERVAL_S, "power", 600, "stack")
        say("2. Starting the device: `micropython -m client` (netif \"stack\", keepalive %d s, mode power)." % INTERVAL_S)
        proc = lab.start_client("micropython", cfg)
        stamp = lab.wait_handshake()
        if not stamp:
            say("   no handshake - client log:\n" + lab.log_text())
            return 1
        say("   Handshake done: the server's `wg show` reports a handshake %.1f s ago." % max(0, time.time() - stamp))
        say("3. Idle for %d s, more than three times the NAT's %d s timeout. Nothing is sent but the" % (IDLE_S, NAT_TIMEOUT_S))
        say("   keepalives that hold the mapping open...")
        t0 = time.time()
        time.sleep(IDLE_S)
        sent = [(t, n) for t, n in lab.captured() if t >= t0]
        kinds = {}
        for _, n in sent:
            kind = {148: "initiation", 92: "response", 32: "keepalive", 1: "NAT refresh"}.get(n, "data")
            kinds[kind] = kinds.get(kind, 0) + 1
        gaps = [b[0] - a[0] for a, b in zip(sent, sent[1:])]
        say("   The NAT saw %d datagrams from the device in those %d s: %s; largest gap %.2f s." % (
            len(sent), IDLE_S, ", ".join("%d %s" % (v, k) for k, v in sorted(kinds.items())), max(gaps) if gaps else 0))
        say("4. The server pings the device's tunnel address 192.0.2.2 through the NAT:")
        ok, out = lab.server_ping(count=3, timeout_s=3)
        for line in out.strip().splitlines():
            if "bytes from" in line or "packet loss" in line:
                say("   " + line)
        say("   -> the device is %s." % ("REACHABLE" if ok else "NOT reachable"))
        say("5. Stopping the device (Ctrl-C); its counters:")
        lab.stop(proc)
        status = lab.log_text()
        block = status[status.find("interface:"):] if "interface:" in status else status
        for line in block.strip().splitlines():
            say("   " + line)
        responder = re.search(r"handshakes: (\d+) as initiator", block)
        return 0 if ok and responder else 1
    finally:
        lab.close()


if __name__ == "__main__":
    sys.exit(main())
