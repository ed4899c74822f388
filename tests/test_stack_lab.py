"""The stack in the lab (issue 5): the device is the client on the MicroPython unix port with
netif "stack" and forwards to services on its own namespace's loopback, behind the carrier NAT;
the forward scenarios also on the 32-bit board proxy at -X heapsize=96K (issue 10)."""
import hashlib
import json
import os
import re
import time

from tests.harness import needs_lab, needs_unix32

BODY_SIZE = 1 << 20
FORWARDS = [{"proto": "tcp", "port": 80, "to": "127.0.0.1:8080"},
            {"proto": "udp", "port": 7, "to": "127.0.0.1:9000"},
            {"proto": "tcp", "port": 81, "to": "127.0.0.1:8081"},  # nothing listens there
            {"proto": "udp", "port": 8, "to": "127.0.0.1:9001"}]  # nor there


def _lab(runtime="micropython", loss=0.0):
    from tools import lab as labmod
    lab = labmod.Lab(nat=True, nat_timeout_s=30)
    private = labmod.genkey()
    lab.start_server(labmod.pubkey(private))
    body = os.urandom(BODY_SIZE)
    lab.start_http_server(body)
    lab.start_udp_echo()
    cfg = lab.client_config(private, 4, netif="stack")
    cfg["forward"] = FORWARDS
    proc = lab.start_client(runtime, cfg)
    assert lab.wait_handshake(), lab.log_text()
    if loss:
        lab.add_loss(loss)
    return lab, proc, body


def _curl(lab, port=80, name="curl.out", rate=None):
    out = lab.path(name)
    limit = ["--limit-rate", rate] if rate else []
    r = lab.run(lab.srv, "curl", "-s", "-o", out, "-w", "%{http_code}", "--max-time", "120", *limit,
                "http://192.0.2.2:%d/file" % port, check=False)
    body = open(out, "rb").read() if os.path.exists(out) else b""
    return r.returncode, r.stdout, body


def _intact(body, got):
    return hashlib.sha256(got).digest() == hashlib.sha256(body).digest() and len(got) == BODY_SIZE


def _check_download(loss, runtime="micropython"):
    lab, proc, body = _lab(runtime, loss=loss)
    try:
        code, status, got = _curl(lab)
        assert code == 0 and status == "200", (code, status, lab.log_text())
        assert _intact(body, got)
        lab.stop(proc)
        assert "Traceback" not in lab.log_text()
    finally:
        lab.close()


@needs_lab
def test_curl_1mib_through_tcp_forward():
    """The server's curl reaches an HTTP server on the device's loopback; 1 MiB arrives intact."""
    _check_download(0.0)


@needs_unix32
def test_curl_1mib_through_tcp_forward_unix32():
    """The same with the device on the 32-bit board proxy, client frozen in, 96 KB of heap."""
    _check_download(0.0, "unix32")


@needs_unix32
def test_four_downloads_at_once_unix32():
    """Four 1 MiB downloads through the forward at once (rate-limited so that they overlap), device
    on the board proxy at 96 KB: all intact, four connections open together, no step lost to memory."""
    lab, proc, body = _lab("unix32")
    try:
        results = []
        import threading  # here: the module also imports on MicroPython (mprun), which has none
        threads = [threading.Thread(target=lambda i=i: results.append(_curl(lab, name="four%d" % i, rate="150k")))
                   for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        lab.stop(proc)
        text = lab.log_text()
        assert len(results) == 4 and all(c == 0 and _intact(body, got) for c, _, got in results), text
        assert re.search(r"TCP connections \(peak 4, heap in use then \d+ B", text), text
        assert "out of memory: 0" in text and "Traceback" not in text, text
    finally:
        lab.close()


@needs_lab
def test_curl_1mib_with_5_percent_loss():
    """The same with 5% random loss of tunnel packets in both directions (iptables statistic)."""
    _check_download(0.05)


@needs_lab
def test_ping_udp_echo_and_refusals():
    """ping works; a UDP echo through a UDP forward works; forwards to closed local ports refuse."""
    lab, proc, _ = _lab()
    try:
        ok, out = lab.server_ping(count=2)
        assert ok, out
        assert lab.server_udp(7, b"echo me") == repr(b"echo me")
        code, _, _ = _curl(lab, port=81)
        # The forward accepts, finds nothing listening locally and resets: curl sees "reset by peer"
        # (56) or "empty reply" (52), or, when the RST lands before curl has looked at its finished
        # connect (seen 2 in 18 runs on a loaded machine: SYN, SYN-ACK, ACK, RST within 1 ms),
        # "failed to connect" (7). Each is a refusal, not a hang.
        assert code in (7, 52, 56), (code, lab.log_text())
        assert lab.server_udp(8, b"anyone?") == "ConnectionRefusedError"  # ICMP port unreachable
        code, _, _ = _curl(lab, port=82)  # no forward at all: RST from the stack
        assert code == 7, code  # connection refused
    finally:
        lab.close()


def _program(runtime):
    import subprocess
    import sys
    from tools import lab as labmod
    lab = labmod.Lab(nat=True, nat_timeout_s=30)
    try:
        private = labmod.genkey()
        lab.start_server(labmod.pubkey(private))
        lab.start_server_http({"hello.txt": b"hello from the server"})
        cfg = lab.client_config(private, 4, netif="stack")
        cfg["peers"][0]["allowed_ips"] = ["192.0.2.1/32"]
        cfg_path = lab.path("client.json")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        exe = sys.executable if runtime == "cpython" else os.path.join(os.path.dirname(sys.executable), "micropython")
        proc = lab.popen(lab.dev, exe, "-m", "client", "--config", cfg_path, "--run", "tests.program_fetch",
                         cwd=labmod.ROOT, stdout=open(lab.path("prog.log"), "w"), stderr=subprocess.STDOUT)
        for _ in range(50):
            time.sleep(0.2)
            text = open(lab.path("prog.log")).read()
            if "program: status" in text:
                break
        lab.stop(proc)
        text = open(lab.path("prog.log")).read()
        assert "program: ping rtt" in text and "program: status HTTP/1.0 200 OK body hello from the server" in text, text
    finally:
        lab.close()


@needs_lab
def test_device_program_over_the_tunnel_micropython():
    """A device program (client.net.api) pings the server and fetches a page from it through the tunnel."""
    _program("micropython")


@needs_lab
def test_device_program_over_the_tunnel_cpython():
    _program("cpython")
