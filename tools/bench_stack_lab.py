"""Stack benchmark in the lab (issue 5): TCP goodput server -> device through a forward, device on
CPython and on the MicroPython unix port; and the MicroPython client under -X heapsize=96K with 4 TCP
connections open at once, with the heap in use at that moment (gc.mem_alloc() after a collect).

    .venv/bin/python tools/bench_stack_lab.py
"""
import hashlib
import os
import re
import sys
import threading

sys.path.insert(0, __file__.rsplit("/", 2)[0])

from tools import lab as labmod  # noqa: E402

SIZE = 8 << 20
RUNS = 3
HEAPS_KB = (96, 128, 160, 176, 192, 208, 224, 256, 320, 384, 512)
ROOT = __file__.rsplit("/", 2)[0]
_RESIDENT = ("import gc, sys\n{mount}"
             "gc.collect(); before = gc.mem_alloc()\n"
             "import client.loop, client.netif.forward\n"
             "gc.collect(); print(gc.mem_alloc() - before)\n")
_MOUNT_ROMFS = ("import vfs\nf = open('build/unix/client.romfs', 'rb'); image = f.read(); f.close()\n"
                "vfs.mount(vfs.VfsRom(image), '/rom'); sys.path[:] = ['/rom', '.frozen']\n")


def setup(runtime, heap_kb=None, body=None, mpy=False):
    lab = labmod.Lab(nat=True, nat_timeout_s=30)
    private = labmod.genkey()
    lab.start_server(labmod.pubkey(private))
    body = body or os.urandom(SIZE)
    lab.start_http_server(body)
    cfg = lab.client_config(private, 25, netif="stack")
    cfg["forward"] = [{"proto": "tcp", "port": 80, "to": "127.0.0.1:8080"}]
    proc = lab.start_client(runtime, cfg, heap_kb=heap_kb, mpy=mpy)
    if not lab.wait_handshake(timeout_s=10):
        text = lab.log_text()
        lab.close()
        raise AssertionError(text)
    return lab, proc, body


def curl(lab, name, rate=None):
    out = lab.path(name)
    cmd = ["curl", "-s", "-o", out, "-w", "%{speed_download}", "--max-time", "60", "--connect-timeout", "5"]
    if rate:
        cmd += ["--limit-rate", rate]
    r = lab.run(lab.srv, *(cmd + ["http://192.0.2.2/file"]), check=False)
    if not os.path.exists(out):
        return r.returncode or 1, 0.0, b""
    with open(out, "rb") as f:
        return r.returncode, float(r.stdout or 0), hashlib.sha256(f.read()).digest()


def goodput(runtime, loss=0.0):
    lab, proc, body = setup(runtime)
    if loss:
        lab.add_loss(loss)
    try:
        speeds = []
        for i in range(RUNS):
            code, speed, digest = curl(lab, "out%d" % i)
            assert code == 0 and digest == hashlib.sha256(body).digest()
            speeds.append(speed * 8 / 1e6)
        return sorted(speeds)[RUNS // 2]
    finally:
        lab.close()


def four_connections(heap_kb=96):
    body = os.urandom(1 << 20)
    lab, proc, _ = setup("micropython", heap_kb=heap_kb, body=body, mpy=True)  # .mpy, as on a board
    try:
        results = []
        threads = [threading.Thread(target=lambda i=i: results.append(curl(lab, "four%d" % i, rate="150k")))
                   for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        lab.stop(proc)
        text = lab.log_text()
        m = re.search(r"peak (\d+), heap in use then (\d+) B", text)
        oom = re.search(r"out of memory: (\d+)", text)
        ok = len(results) == 4 and all(c == 0 and d == hashlib.sha256(body).digest() for c, _, d in results)
        return ok, (int(m.group(1)), int(m.group(2))) if m else None, int(oom.group(1)) if oom else 0
    finally:
        lab.close()


def main():
    if "--heap-only" in sys.argv:
        return heap_table()
    print("| device runtime | TCP goodput server -> device through a forward, Mbit/s (median of %d x %d MiB) |"
          % (RUNS, SIZE >> 20))
    print("|---|---|")
    for runtime in ("cpython", "micropython"):
        print("| %s | %.1f |" % (runtime, goodput(runtime)))
    print("| micropython, 5%% random loss of tunnel packets both ways | %.1f |" % goodput("micropython", 0.05))
    if "--goodput-only" not in sys.argv:
        heap_table()


def resident_code():
    """Heap taken by the modules a forwarding client keeps loaded, before any packet: from .mpy
    files (the bytecode is copied into the heap) and from a ROMFS image (run in place)."""
    import subprocess
    subprocess.run([ROOT + "/tools/deploy", "unix", "--romfs", "--dry-run"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    exe = ROOT + "/.venv/bin/micropython"
    files = subprocess.run([exe, "-c", _RESIDENT.format(mount="sys.path[:] = ['build/unix/rom']\n")],
                           cwd=ROOT, check=True, capture_output=True, text=True).stdout
    romfs = subprocess.run([exe, "-c", _RESIDENT.format(mount=_MOUNT_ROMFS)],
                           cwd=ROOT, check=True, capture_output=True, text=True).stdout
    size = os.path.getsize(ROOT + "/build/unix/client.romfs")
    print("| client modules resident (loop, device, crypto, stack, TCP, forwards), x64 unix port |"
          " heap (gc.mem_alloc) |")
    print("|---|---|")
    print("| imported from .mpy files (board filesystem) | %d B |" % int(files))
    print("| imported from a ROMFS image (`tools/deploy --romfs`; the %d B image is flash on a board,"
          " not counted) | %d B |" % (size, int(romfs)))


def heap_table():
    print()
    resident_code()
    print()
    print("| MicroPython client (.mpy, x64 unix port), 4 rate-limited 1 MiB downloads at once | result |"
          " steps cut by MemoryError | peak TCP connections | heap in use at the peak (gc.mem_alloc after collect) |")
    print("|---|---|---|---|---|")
    for heap_kb in HEAPS_KB:
        try:
            ok, peak, oom = four_connections(heap_kb)
            result = "all intact" if ok else "stalled"
        except AssertionError:
            ok, peak, oom, result = False, None, 0, "MemoryError while starting"
        print("| -X heapsize=%dK | %s | %s | %s | %s |" % (
            heap_kb, result, oom, peak[0] if peak else "-", "%d B" % peak[1] if peak else "-"))
        if ok:
            break


if __name__ == "__main__":
    main()
