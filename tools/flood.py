"""Hostile traffic for the lab (issue 12): a flood of handshake initiations with a valid mac1 (anyone
who knows the device's public key can make them) from many source ports, plus random, mutated,
forged and replayed datagrams, to the device's UDP port, for a while, at a steady rate.

    python3 tools/flood.py --target 100.64.0.2:51900 --public-key BASE64 [--rate 1000]
        [--junk-rate 200] [--seconds 60] [--ports 64] [--source 100.64.0.1] [--sniff IFNAME]
        [--pool N] [--report FILE]

--rate: valid-mac1 initiations per second (fresh random ones; --pool N reuses N of them instead,
for rates where making them would cost the sender more than sending). --junk-rate: the other kinds
per second, in turn: random bytes of any length, an initiation with one byte changed, an
initiation sent again as is, forged responses, cookie replies and transport messages with random
indices, 1-byte datagrams, and (with --sniff, root) genuine datagrams to the device's port seen on
that interface, replayed. Cookie replies that come back are counted. At the end one JSON line:
{"seconds": ..., "sent": {kind: count}, "cookie_replies": n, "send_errors": n}. CPython only;
run it in a lab namespace (tools/lab.py Lab.start_flood) and aim it only at lab addresses.
"""
import argparse
import base64
import hashlib
import json
import os
import random
import socket
import struct
import sys
import time

JUNK_KINDS = ("random", "mutated", "replayed", "response", "cookie", "transport", "short", "genuine")


def mac1_key(public):
    return hashlib.blake2s(b"mac1----" + public).digest()


def initiation(key, rng):
    """148 bytes: type 1, random sender, ephemeral and ciphertexts, a valid mac1, no mac2."""
    body = bytearray(b"\x01\x00\x00\x00" + rng(112))
    body += hashlib.blake2s(bytes(body), key=key, digest_size=16).digest() + bytes(16)
    return bytes(body)


class Sniffer:
    """Genuine datagrams to the device's port, as they pass an interface (AF_PACKET, root)."""

    def __init__(self, ifname, port, exclude_source):
        # ETH_P_ALL: a packet socket bound to one protocol is not shown the frames sent out.
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        self.sock.bind((ifname, 0))
        self.sock.setblocking(False)
        self.port = port
        self.exclude = socket.inet_aton(exclude_source)
        self.seen = []

    def poll(self):
        while True:
            try:
                frame = self.sock.recv(4096)
            except OSError:  # drained (or the interface went away: nothing more to replay)
                return
            ip = frame[14:]
            if frame[12:14] != b"\x08\x00" or len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17 \
                    or ip[12:16] == self.exclude:
                continue
            udp = ip[(ip[0] & 15) * 4:]
            if len(udp) >= 8 and struct.unpack("!H", udp[2:4])[0] == self.port:
                self.seen = (self.seen + [bytes(udp[8:])])[-32:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", required=True, help="host:port of the device")
    ap.add_argument("--public-key", required=True, help="the device's public key (base64)")
    ap.add_argument("--rate", type=float, default=1000)
    ap.add_argument("--junk-rate", type=float, default=200)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--ports", type=int, default=64, help="source ports (one socket each)")
    ap.add_argument("--source", default="0.0.0.0", help="local address to send from")
    ap.add_argument("--sniff", help="interface on which to pick up genuine datagrams to replay")
    ap.add_argument("--pool", type=int, default=0, help="reuse this many initiations (0: fresh ones)")
    ap.add_argument("--report", help="also write the JSON line to this file")
    args = ap.parse_args()
    host, port = args.target.rsplit(":", 1)
    target = (host, int(port))
    key = mac1_key(base64.b64decode(args.public_key))
    rnd = random.Random(os.urandom(8))

    def rng(n):
        return rnd.getrandbits(8 * n).to_bytes(n, "little") if n else b""

    socks = []
    for _ in range(args.ports):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((args.source, 0))
        s.setblocking(False)
        socks.append(s)
    sniffer = Sniffer(args.sniff, target[1], args.source) if args.sniff else None
    pool = [initiation(key, rng) for _ in range(args.pool)]
    sent = dict((k, 0) for k in ("initiation",) + JUNK_KINDS)
    replies = errors = 0
    last_init = initiation(key, rng)
    n_init = n_junk = 0
    start = time.monotonic()
    end = start + args.seconds
    next_poll = start
    i = 0
    while True:
        now = time.monotonic()
        if now >= end:
            break
        due_init = int((now - start) * args.rate) - n_init
        due_junk = int((now - start) * args.junk_rate) - n_junk
        batch = []
        for _ in range(max(0, due_init)):
            last_init = pool[n_init % len(pool)] if pool else initiation(key, rng)
            batch.append(("initiation", last_init))
            n_init += 1
        for _ in range(max(0, due_junk)):
            kind = JUNK_KINDS[n_junk % len(JUNK_KINDS)]
            n_junk += 1
            if kind == "random":
                d = rng(rnd.randrange(0, 200))
            elif kind == "mutated":
                d = bytearray(last_init)
                d[rnd.randrange(len(d))] ^= 1 + rnd.randrange(255)
                d = bytes(d)
            elif kind == "replayed":
                d = last_init
            elif kind == "response":
                d = b"\x02\x00\x00\x00" + rng(88)
            elif kind == "cookie":
                d = b"\x03\x00\x00\x00" + rng(60)
            elif kind == "transport":
                d = b"\x04\x00\x00\x00" + rng(28 + rnd.randrange(0, 170))
            elif kind == "short":
                d = b"\x00"
            else:
                if sniffer is None or not sniffer.seen:
                    continue
                d = sniffer.seen[rnd.randrange(len(sniffer.seen))]
            batch.append((kind, d))
        for kind, d in batch:
            i += 1
            try:
                socks[i % len(socks)].sendto(d, target)
                sent[kind] += 1
            except OSError:
                errors += 1  # a full send buffer: counted, not sent
        if now >= next_poll:  # what came back, every 20 ms (64 sockets: not on every tick)
            next_poll = now + 0.02
            for s in socks:
                while True:
                    try:
                        reply = s.recv(2048)
                    except OSError:
                        break
                    if len(reply) == 64 and reply[0] == 3:
                        replies += 1
            if sniffer is not None:
                sniffer.poll()
        time.sleep(0.002)  # the next batch is what became due meanwhile
    report = {"seconds": round(time.monotonic() - start, 3), "sent": sent, "cookie_replies": replies,
              "send_errors": errors}
    line = json.dumps(report)
    print(line)
    sys.stdout.flush()
    if args.report:
        with open(args.report, "w") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    main()
