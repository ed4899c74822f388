"""Acceptance under hostile load (issue 12): a minute of flood changes nothing for the tunnel.

Root; tools/lab.py builds [dev] -- [nat] -- [srv: wireguard-go], the device our client on CPython
(TUN) and on the MicroPython unix port (stack). For 60 s tools/flood.py, in the NAT namespace (a
hostile neighbour on the device's side), sends the device's UDP port 1000 initiations a second
with a valid mac1 from 64 source ports, and 200 a second of random, mutated, forged and replayed
datagrams (genuine ones to the device, picked up on the NAT's inner interface, among them). Meanwhile:
the server's ping to the device loses nothing; the server forgets its session and its new
handshake with the device completes (a cookie reply, then wireguard-go's retry with mac2); the
device's CPU time over the minute (/proc/PID/stat) stays within CPU_SHARE_MAX; the device sent
cookie replies to the flood at no more than 20 per second.
"""
import re
import time

from tests.harness import cpython_only, lab_on_both_runtimes

FLOOD_S = 60
DEVICE_PORT = 51900
NETIF = {"cpython": "tun", "micropython": "stack"}
# The device's CPU time over the flood, as a share of one core. Measured on this machine (2 cores,
# other sessions' tests running): 0.08 (CPython, TUN) and 0.06 (MicroPython) with the under-load
# logic (0.09 and 0.07 with both scenarios at once); without it 0.47 and 0.87, MicroPython losing
# 39% of the pings (tools/bench_flood_lab.py). 0.25 is 3x what was measured, room for CI's
# parallel lab tests on 2 cores, and half of what the device takes without the logic.
CPU_SHARE_MAX = {"cpython": 0.25, "micropython": 0.25}


def _flood(runtime):
    from tools import lab as labmod
    lab = labmod.Lab(nat=True, nat_timeout_s=6)
    try:
        private = labmod.genkey()
        public = labmod.pubkey(private)
        lab.start_server(public)
        cfg = lab.client_config(private, 4, netif=NETIF[runtime])
        cfg["interface"]["listen_port"] = DEVICE_PORT
        proc = lab.start_client(runtime, cfg)
        first = lab.wait_handshake()
        assert first, lab.log_text()
        assert lab.ping_counts(2) == (2, 2)
        cpu0, t0 = labmod.cpu_seconds(proc.pid), time.time()
        flood = lab.start_flood(public, DEVICE_PORT, FLOOD_S)
        time.sleep(2)
        # 1. The established session, through the flood: 100 pings in 25 s, none lost.
        sent, received = lab.ping_counts(100)
        assert sent == received == 100, (sent, received)
        # 2. The server forgets the session: its new handshake completes during the flood, the
        # device under load answering its first initiation with a cookie reply.
        lab.force_rehandshake(public)
        sent, received = lab.ping_counts(1, timeout_s=20)
        assert received == 1, lab.log_text()
        second = lab.wait_handshake(timeout_s=1, newer_than=first)
        assert second, "no new handshake"
        # 3. And on until the flood ends, again without a loss.
        left = max(8, int((t0 + FLOOD_S - 2 - time.time()) / 0.25))  # ping -c 0 would never end
        sent, received = lab.ping_counts(left)
        assert sent == received == left, (sent, received)
        flood.wait(FLOOD_S)
        cpu1, t1 = labmod.cpu_seconds(proc.pid), time.time()
        share = (cpu1 - cpu0) / (t1 - t0)
        report = lab.flood_report()
        assert report["sent"]["initiation"] >= 0.95 * 1000 * FLOOD_S, report  # the flood was a flood
        assert share <= CPU_SHARE_MAX[runtime], (share, report)
        # Cookie replies to the flood's one address: 20 per second after a burst of 5.
        assert 0 < report["cookie_replies"] <= 5 + 20 * (report["seconds"] + 1), report
        lab.stop(proc)
        text = lab.log_text()
        assert "Traceback" not in text, text
        m = re.search(r"under load: [^;]*; (\d+) periods?", text)
        assert m and int(m.group(1)) >= 1, text
        m = re.search(r"cookie replies: (\d+) sent, (\d+) rate-limited", text)
        assert m and int(m.group(1)) >= report["cookie_replies"] and int(m.group(2)) > 50 * FLOOD_S, text
        m = re.search(r"handshakes: \d+ as initiator, (\d+) as responder", text)
        assert m and int(m.group(1)) >= 1, text  # the server's forced handshake
        print("%s: CPU share %.3f over %.0f s; flood %s" % (runtime, share, t1 - t0, report))
    finally:
        lab.close()



test_flood_changes_nothing_cpython, test_flood_changes_nothing_micropython = lab_on_both_runtimes(_flood)


@cpython_only("tools/flood.py uses hashlib")
def test_flood_initiations_carry_a_valid_mac1():
    """What the flood sends passes the device's first check (so it reaches the load logic)."""
    import random
    from tools import flood
    from client.wg.device import Device
    from tests.wgpair import Rng, Tai64n
    dev = Device(Rng(b"key")(32), Tai64n(), random_bytes=Rng(b"d"))
    rnd = random.Random(1)
    def rng(n):
        return rnd.getrandbits(8 * n).to_bytes(n, "little")

    msg = flood.initiation(flood.mac1_key(dev.identity.public), rng)
    assert dev.cookie_checker.mac1_valid(msg)
    dev.receive(msg, "100.64.0.1:1", 0)
    assert dev.drops == {"bad_initiation": 1}
