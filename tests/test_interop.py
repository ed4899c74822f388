"""Interop of the core with a real peer: wireguard-go in network namespaces (root; lab.md).

The core is driven by tests/udp_peer.py, a minimal UDP harness, in the device namespace.
"""
import json

from tests.harness import needs_lab

DEVICE_PORT = 51902


def _events(out):
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def _device(lab, keys, *extra, duration):
    import os
    import subprocess
    import sys
    here = os.path.dirname(os.path.abspath(__file__))
    cmd = [sys.executable, os.path.join(here, "udp_peer.py"), "--private", keys["private"],
           "--peer", keys["server"], "--duration", str(duration)] + list(extra)
    if keys.get("psk"):
        cmd += ["--psk", keys["psk"]]
    return lab.popen(lab.dev, *cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _scenario(client_initiates, psk, duration=6):
    from tools import lab as labmod
    lab = labmod.Lab()
    try:
        private = labmod.genkey()
        keys = {"private": private, "psk": labmod.genpsk() if psk else None}
        endpoint = None if client_initiates else "%s:%d" % (lab.device_ip, DEVICE_PORT)
        keys["server"] = lab.start_server(labmod.pubkey(private), keys["psk"], endpoint)
        if client_initiates:
            proc = _device(lab, keys, "--endpoint", labmod.SERVER_IP + ":51820", "--ping", labmod.SERVER_TUNNEL_IP,
                           duration=duration)
            ok, ping_out = True, ""
        else:
            proc = _device(lab, keys, "--port", str(DEVICE_PORT), duration=duration)
            first = proc.stdout.readline()  # {"event": "listening"}: the socket is bound
            ok, ping_out = lab.server_ping(count=4)
        out, err = proc.communicate(timeout=duration + 30)
        if not client_initiates:
            out = first + out
        handshakes = lab.wg_show("latest-handshakes")
        return _events(out), ok, ping_out + err, handshakes
    finally:
        lab.close()


def _check_initiator(events, handshakes):
    status = events[-1]
    pongs = [e for e in events if e["event"] == "pong"]
    assert len(pongs) >= 4, events
    assert status["handshakes"]["initiator"] >= 1 and not status["drops"], status
    assert int(list(handshakes.values())[0]) > 0


def _check_responder(events, ok, out):
    status = events[-1]
    assert ok, out
    assert status["handshakes"]["responder"] >= 1, status
    assert len([e for e in events if e["event"] == "echo_request"]) >= 4
    assert status["sent"]["response"] >= 1 and status["sent"]["initiation"] == 0


@needs_lab
def test_core_initiates_to_wireguard_go():
    events, _, _, handshakes = _scenario(True, psk=False)
    _check_initiator(events, handshakes)


@needs_lab
def test_core_initiates_to_wireguard_go_with_psk():
    events, _, _, handshakes = _scenario(True, psk=True)
    _check_initiator(events, handshakes)


@needs_lab
def test_wireguard_go_initiates_to_core():
    events, ok, out, _ = _scenario(False, psk=False)
    _check_responder(events, ok, out)


@needs_lab
def test_wireguard_go_initiates_to_core_with_psk():
    events, ok, out, _ = _scenario(False, psk=True)
    _check_responder(events, ok, out)


@needs_lab
def test_session_survives_rekey_against_wireguard_go():
    """140 s of one ping per second: the core rekeys as initiator after 120 s without losing pings."""
    events, _, _, _ = _scenario(True, psk=True, duration=140)
    status = events[-1]
    assert status["handshakes"]["initiator"] >= 2, status
    pongs = set(e["seq"] for e in events if e["event"] == "pong")
    pings = [e["seq"] for e in events if e["event"] == "ping"]
    assert len(pings) >= 139
    assert len(pongs) >= len(pings) - 1, sorted(set(pings) - pongs)  # the last may be in flight
    assert not status["drops"], status
