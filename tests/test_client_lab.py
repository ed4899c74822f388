"""Acceptance: the client behind a real carrier NAT against a real WireGuard server (issue 4).

Root; tools/lab.py builds [dev] -- [nat, MASQUERADE --random-fully, UDP timeout 6 s] -- [srv with
wireguard-go]. The device is our client on CPython (netif "tun", a real TUN) and on the MicroPython
unix port (netif "stack"); the board scenarios also on the 32-bit board proxy ("unix32": the client
frozen in, -X heapsize=96K). Keepalive 4 s unless stated. Each scenario has its own namespaces, so
pytest-xdist runs them in parallel.
"""
import re
import time

from tests.harness import MICROPYTHON, needs_lab, needs_unix32, lab_on_both_runtimes, assert_power_spacing

NAT_TIMEOUT_S = 6
INTERVAL_S = 4
NETIF = {"cpython": "tun", "micropython": "stack", "unix32": "stack"}


def _lab_with_client(runtime, keepalive=INTERVAL_S, mode="power", confirm=600, capture=False, env=None):
    from tools import lab as labmod
    lab = labmod.Lab(nat=True, nat_timeout_s=NAT_TIMEOUT_S)
    private = labmod.genkey()
    lab.start_server(labmod.pubkey(private))
    if capture:
        lab.start_capture()
    cfg = lab.client_config(private, keepalive, mode, confirm, NETIF[runtime])
    proc = lab.start_client(runtime, cfg, env=env)
    return lab, proc, private, cfg


def _device_status(lab, proc):
    """Stop the client; its exit status block gives the counters."""
    lab.stop(proc)
    text = lab.log_text()
    m = re.search(r"handshakes: (\d+) as initiator, (\d+) as responder", text)
    assert m, text
    assert "Traceback" not in text, text
    return int(m.group(1)), int(m.group(2)), text



def _on_board_proxy(scenario):
    def unix32():
        scenario("unix32")

    if not MICROPYTHON:
        unix32.__doc__ = scenario.__doc__
    return needs_unix32(unix32)


def _no_idle_crypto(runtime):
    """power, confirm_interval 60: after the session lapsed only 1-byte refreshes; reachable at 200 s."""
    lab, proc, _, _ = _lab_with_client(runtime, confirm=60, capture=True)
    try:
        t0 = lab.wait_handshake()
        assert t0, lab.log_text()
        time.sleep(200)
        rows = lab.captured()
        start = rows[0][0]
        inits = [t - start for t, n in rows if n == 148]
        late = [n for t, n in rows if t - start > 185]
        assert inits == [0.0] or inits[:1] == [0.0] and all(t > 230 for t in inits[1:]), inits
        assert late and set(late) == {1}, late  # no crypto once the session lapsed
        ok, out = lab.server_ping(count=3, timeout_s=3)
        assert ok, out  # the server initiates through the kept mapping; the device answers
        initiator, responder, text = _device_status(lab, proc)
        assert responder >= 1, text
    finally:
        lab.close()


test_no_idle_crypto_cpython, test_no_idle_crypto_micropython = lab_on_both_runtimes(_no_idle_crypto)


def _spacing(runtime):
    """power: over a 60 s idle window, gaps <= interval + 0.5 s and count <= 60/interval + 1."""
    lab, proc, _, _ = _lab_with_client(runtime, capture=True)
    try:
        assert lab.wait_handshake(), lab.log_text()
        window_start, rows = lab.idle_window(60)
        assert_power_spacing(window_start, rows, INTERVAL_S)
    finally:
        lab.close()


test_spacing_cpython, test_spacing_micropython = lab_on_both_runtimes(_spacing)
test_spacing_unix32 = _on_board_proxy(_spacing)


def _standard_like_wireguard_go(runtime):
    """standard mode reproduces wireguard-go's own pattern: keepalives every 4 s, a rekey ~120 s."""
    from tools import lab as labmod
    ours, proc, _, _ = _lab_with_client(runtime, mode="standard", capture=True)
    ref = labmod.Lab(nat=True, nat_timeout_s=NAT_TIMEOUT_S)
    try:
        private = labmod.genkey()
        ref.start_server(labmod.pubkey(private))
        ref.start_capture()
        ref.start_reference_device(private, INTERVAL_S)
        time.sleep(135)
        patterns = []
        for lab in (ours, ref):
            rows = lab.captured()
            start = rows[0][0]
            inits = [round(t - start) for t, n in rows if n == 148]
            keepalives = [t for t, n in rows if n == 32]
            patterns.append((inits, len(keepalives)))
        (our_inits, our_ka), (ref_inits, ref_ka) = patterns
        assert len(our_inits) == len(ref_inits), patterns
        for a, b in zip(our_inits, ref_inits):
            assert abs(a - b) <= 6, patterns
        assert abs(our_ka - ref_ka) <= max(3, ref_ka // 10), patterns
    finally:
        ours.close()
        ref.close()


test_standard_like_wireguard_go_cpython, test_standard_like_wireguard_go_micropython = \
    lab_on_both_runtimes(_standard_like_wireguard_go)


def _reachable(runtime):
    """After 20 s idle the server's ping reaches the device (keepalive 4 s behind a 6 s NAT)."""
    lab, proc, _, _ = _lab_with_client(runtime)
    try:
        assert lab.wait_handshake(), lab.log_text()
        time.sleep(20)
        ok, out = lab.server_ping(count=3, timeout_s=3)
        assert ok, out
    finally:
        lab.close()


test_reachable_cpython, test_reachable_micropython = lab_on_both_runtimes(_reachable)
test_reachable_unix32 = _on_board_proxy(_reachable)


def _unreachable_without_keepalive(runtime):
    """Control: keepalive off, the mapping expires and the same ping fails (this proves the test)."""
    lab, proc, _, _ = _lab_with_client(runtime, keepalive=0)
    try:
        assert lab.wait_handshake(), lab.log_text()  # the start-up handshake confirms the endpoint
        ok, out = lab.server_ping(count=2)
        assert ok, out  # the path works while the mapping lives
        time.sleep(10 + NAT_TIMEOUT_S + 6)  # passive keepalive 10 s after the ping, then the timeout
        ok, out = lab.server_ping(count=3, timeout_s=2)
        assert not ok, out
    finally:
        lab.close()


test_unreachable_without_keepalive_cpython, test_unreachable_without_keepalive_micropython = \
    lab_on_both_runtimes(_unreachable_without_keepalive)


def _rebinding(runtime):
    """After `conntrack -F` in the NAT, reachable again within one interval plus a handshake."""
    lab, proc, _, _ = _lab_with_client(runtime)
    try:
        assert lab.wait_handshake(), lab.log_text()
        time.sleep(2)
        before = list(lab.wg_show("endpoints").values())[0]
        lab.run(lab.nat, "conntrack", "-F", check=False)
        time.sleep(INTERVAL_S + 1)
        ok, out = lab.server_ping(count=3, timeout_s=3)
        assert ok, out
        after = list(lab.wg_show("endpoints").values())[0]
        assert after != before, (before, after)  # --random-fully: the device came back on a new port
    finally:
        lab.close()


test_rebinding_cpython, test_rebinding_micropython = lab_on_both_runtimes(_rebinding)
test_rebinding_unix32 = _on_board_proxy(_rebinding)


def _reboot_with_clock_set_back(runtime):
    """A reboot with the wall clock a year behind handshakes at once with the still-running server."""
    year = str(-365 * 86400)
    lab, proc, private, cfg = _lab_with_client(runtime)
    try:
        first = lab.wait_handshake()
        assert first, lab.log_text()
        lab.stop(proc)
        time.sleep(1.5)
        proc = lab.start_client(runtime, cfg, env={"WG_CLOCK_OFFSET_S": year}, name="rebooted")
        second = lab.wait_handshake(timeout_s=4, newer_than=first)
        assert second, lab.log_text("rebooted")
        lab.stop(proc)
        # Control: the same reboot without the state file is refused (replayed timestamp).
        time.sleep(1.5)
        cfg["state_file"] = lab.path("fresh-state.json")
        lab.start_client(runtime, cfg, env={"WG_CLOCK_OFFSET_S": year}, name="no-state")
        assert lab.wait_handshake(timeout_s=7, newer_than=second) is None
    finally:
        lab.close()


test_reboot_with_clock_set_back_cpython, test_reboot_with_clock_set_back_micropython = \
    lab_on_both_runtimes(_reboot_with_clock_set_back)


@needs_lab
def test_address_change_recreates_socket_and_handshakes_cpython():
    """A new local address (hosts: routing table; boards: Wi-Fi) -> new socket and a handshake at once."""
    lab, proc, _, _ = _lab_with_client("cpython")
    try:
        first = lab.wait_handshake()
        assert first, lab.log_text()
        time.sleep(1.5)
        dev_if = "va" + lab.id
        lab.run(lab.dev, "ip", "addr", "add", "100.64.0.3/24", "dev", dev_if)
        lab.run(lab.dev, "ip", "route", "replace", "default", "via", "100.64.0.1", "src", "100.64.0.3")
        second = lab.wait_handshake(timeout_s=INTERVAL_S + 3, newer_than=first)
        assert second, lab.log_text()
        assert "network change (local address 100.64.0.2 -> 100.64.0.3)" in lab.log_text()
        ok, out = lab.server_ping(count=2)
        assert ok, out
    finally:
        lab.close()


def _resolve_again_after_failed_handshakes(runtime):
    """An endpoint name is looked up again after failed handshakes (the server moved)."""
    from tools import lab as labmod
    lab = labmod.Lab(nat=True, nat_timeout_s=NAT_TIMEOUT_S)
    try:
        private = labmod.genkey()
        lab.start_server(labmod.pubkey(private))
        lab.set_device_hosts("203.0.113.99 vpn.test\n")  # a wrong address at first
        cfg = lab.client_config(private, INTERVAL_S, netif=NETIF[runtime], endpoint_host="vpn.test")
        proc = lab.start_client(runtime, cfg)
        time.sleep(2)
        assert lab.wait_handshake(timeout_s=1) is None
        lab.set_device_hosts("%s vpn.test\n" % labmod.SERVER_IP)
        # The third retry (at ~15 s) resolves again; the next one reaches the server.
        assert lab.wait_handshake(timeout_s=25), lab.log_text()
        lab.stop(proc)
        assert "peer endpoint vpn.test:51820 is 203.0.113.2:51820" in lab.log_text()
    finally:
        lab.close()


test_resolve_again_after_failed_handshakes_cpython, test_resolve_again_after_failed_handshakes_micropython = \
    lab_on_both_runtimes(_resolve_again_after_failed_handshakes)


@needs_lab
def test_status_on_sigusr1_and_tun_removed_on_exit_cpython():
    """SIGUSR1 prints the status while running; on exit the TUN interface and its routes are gone."""
    import signal
    lab, proc, _, _ = _lab_with_client("cpython")
    try:
        assert lab.wait_handshake(), lab.log_text()
        assert lab.run(lab.dev, "ip", "route", "get", "192.0.2.1").stdout.find("dev wgm0") >= 0
        proc.send_signal(signal.SIGUSR1)
        time.sleep(1)
        assert "handshakes: 1 as initiator" in lab.log_text() and proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        assert proc.returncode == 0
        assert lab.run(lab.dev, "ip", "link", "show", "wgm0", check=False).returncode != 0
        assert lab.log_text().count("interface: wgm0") == 2  # SIGUSR1, then at exit
    finally:
        lab.close()
