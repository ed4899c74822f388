"""Minimal UDP harness: drives the sans-I/O core over a real socket (interop tests, issue 3).

    python tests/udp_peer.py --private B64 --peer B64 [--psk B64] [--endpoint IP:PORT] [--port N]
                             [--ping IP] [--duration S] [--keepalive S]

Answers ICMP echo requests addressed to 192.0.2.2 that arrive through the tunnel, optionally
pings --ping every second, and prints one JSON line per event and a final status line.
"""
import argparse
import base64
import json
import os
import select
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from client.wg import tai64n  # noqa: E402
from client.compat import ticks_add, ticks_diff, ticks_ms  # noqa: E402
from client.wg.device import Device  # noqa: E402
from client.wg.keepalive import StandardKeepalive  # noqa: E402
from client.compat import earliest  # noqa: E402
from tests.ipkit import icmp_echo, parse_icmp_echo  # noqa: E402

MY_IP = bytes((192, 0, 2, 2))


def emit(**event):
    print(json.dumps(event), flush=True)


def wall_tai64n():
    ns = time.time_ns()
    return tai64n.encode(ns // 1_000_000_000, ns % 1_000_000_000)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--private", required=True)
    ap.add_argument("--peer", required=True)
    ap.add_argument("--psk")
    ap.add_argument("--endpoint")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--ping")
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--keepalive", type=int, default=0)
    args = ap.parse_args()

    dev = Device(base64.b64decode(args.private), wall_tai64n)
    endpoint = None
    if args.endpoint:
        host, port = args.endpoint.rsplit(":", 1)
        endpoint = (host, int(port))
    peer = dev.add_peer(base64.b64decode(args.peer), base64.b64decode(args.psk) if args.psk else None,
                        endpoint, ["192.0.2.0/24"], StandardKeepalive(args.keepalive))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", args.port))
    emit(event="listening", port=sock.getsockname()[1])
    ping_dst = bytes(int(x) for x in args.ping.split(".")) if args.ping else None

    start = now = ticks_ms()
    end = ticks_add(start, int(args.duration * 1000))
    next_ping = now if ping_dst else None
    seq = 0
    handshakes = 0
    dev.up(now)
    while ticks_diff(end, now) > 0:
        wake = earliest(earliest(dev.next_deadline(), next_ping), end)
        timeout = max(0, ticks_diff(wake, now)) / 1000
        ready, _, _ = select.select([sock], [], [], timeout)
        now = ticks_ms()
        if ready:
            data, source = sock.recvfrom(2048)
            dev.receive(data, source, now)
        if dev.due(now):
            dev.expire(now)
        if next_ping is not None and ticks_diff(now, next_ping) >= 0:
            seq += 1
            dev.send_packet(icmp_echo(MY_IP, ping_dst, 0x77, seq), now)
            emit(event="ping", seq=seq, t=ticks_diff(now, start))
            next_ping = ticks_add(next_ping, 1000)
        for packet, _ in dev.inbox:
            echo = parse_icmp_echo(packet)
            if echo and echo[0] == 8 and echo[4] == MY_IP:
                dev.send_packet(icmp_echo(MY_IP, echo[3], echo[1], echo[2], reply=True, data=echo[5]), now)
                emit(event="echo_request", seq=echo[2])
            elif echo and echo[0] == 0 and echo[1] == 0x77:
                emit(event="pong", seq=echo[2], t=ticks_diff(now, start))
        dev.inbox.clear()
        for datagram, dest in dev.outbox:
            sock.sendto(datagram, dest)
        dev.outbox.clear()
        total = peer.counters.handshakes["initiator"] + peer.counters.handshakes["responder"]
        if total != handshakes:
            handshakes = total
            emit(event="handshake", initiator=peer.counters.handshakes["initiator"],
                 responder=peer.counters.handshakes["responder"], t=ticks_diff(now, start))
    emit(event="status", sent=peer.counters.sent, received=peer.counters.received, handshakes=peer.counters.handshakes,
         drops=dev.drops, endpoint=str(peer.endpoint))


if __name__ == "__main__":
    main()
