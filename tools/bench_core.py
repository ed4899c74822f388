"""Protocol-core benchmark for one runtime (run by tools/bench): Markdown rows.

    python3 tools/bench_core.py [--header]     micropython tools/bench_core.py

Handshake cost per role (median of 5), transport packets/s at 1420 B (encrypt at one device +
decrypt at the other), and a fake-clock idle hour (standard keepalive, 25 s).
"""
import sys

sys.path.insert(0, ".")

from client.wg import noise  # noqa: E402
from client.compat import ticks_diff  # noqa: E402
from tests.wgpair import IP_A, IP_B, Pair, ipv4  # noqa: E402
from tools.bench_crypto import median_us, runtime_name  # noqa: E402


def handshake_costs():
    """(initiator ms, responder ms): create+consume on each side, with real ephemeral keys."""
    p = Pair()
    a, b = p.a, p.b
    hs_a, hs_b = p.pa.handshake, p.pb.handshake
    state = {}

    def initiation():
        state["init"] = noise.create_initiation(a.identity, hs_a, a.new_ephemeral(), 1, a.timestamp())

    def responder():
        noise.consume_initiation(b.identity, state["init"], lambda s: hs_b, 0)
        hs_b.latest_timestamp = bytes(12)  # the benchmark replays the same initiation
        hs_b.last_initiation_consumed = None
        state["resp"] = noise.create_response(hs_b, b.new_ephemeral(), 2)

    def response():
        hs_a.state = noise.CREATED_INITIATION
        noise.consume_response(a.identity, hs_a, state["resp"])

    initiation()
    responder()
    t_init = median_us(initiation, 3)
    t_resp = median_us(responder, 3)
    hs_a_saved = (bytes(hs_a.hash), bytes(hs_a.chaining_key))

    def consume():
        hs_a.hash[:], hs_a.chaining_key[:] = hs_a_saved
        response()

    t_consume = median_us(consume, 3)
    return (t_init + t_consume) / 1000, t_resp / 1000


def transport_rate():
    p = Pair()
    p.handshake()
    packet = ipv4(IP_A, IP_B, bytes(1400))  # 1420 bytes

    def one():
        p.a.send_packet(packet, p.now)
        datagram, _ = p.a.outbox.pop()
        p.b.receive(datagram, "A:51820", p.now)
        p.b.inbox.pop()

    return 1e6 / median_us(one, 50)


def idle_hour(interval_s=25, power=False):
    """One hour, no data, persistent keepalive on the device (A); the server (B) has none.

    Wake-ups: every deadline of the device the loop would sleep until, each counted once.
    """
    p = Pair(keepalive_a=interval_s, power_a=power)
    p.a.up(p.now)
    p.deliver()
    start = p.now
    wakeups = 0
    while True:
        d = p.a.next_deadline()
        if d is None or ticks_diff(d, start) > 3_600_000:
            break
        p.advance(max(0, ticks_diff(d, p.now)))
        wakeups += 1
    return p.pa.counters.sent, p.pa.counters.handshakes, wakeups


def idle_table():
    print("| policy (fake clock, 1 h, keepalive 25 s) | sends by kind | total sends | handshakes | wake-ups |")
    print("|---|---|---|---|---|")
    for name, power in (("standard", False), ("power", True)):
        sent, handshakes, wakeups = idle_hour(25, power)
        kinds = ", ".join("%s %d" % (k, v) for k, v in sorted(sent.items()) if v)
        print("| %s | %s | %d | %d | %d |" % (name, kinds, sum(sent.values()),
                                            handshakes["initiator"] + handshakes["responder"], wakeups))


def main():
    if "--header" in sys.argv:
        print("| runtime | crypto | initiator handshake ms | responder handshake ms | transport pkts/s 1420 B "
              "| idle hour (standard, 25 s): sends by kind | handshakes | timer wake-ups |")
        print("|---|---|---|---|---|---|---|---|")
    from client import crypto
    for backend in crypto.available():
        crypto.use(backend)
        t_i, t_r = handshake_costs()
        rate = transport_rate()
        sent, handshakes, wakeups = idle_hour()
        kinds = ", ".join("%s %d" % (k, v) for k, v in sorted(sent.items()) if v)
        print("| %s | %s | %.2f | %.2f | %.0f | %s | %d | %d |" % (
            runtime_name(), crypto.backend, t_i, t_r, rate, kinds,
            handshakes["initiator"] + handshakes["responder"], wakeups))


if "--idle" in sys.argv:
    idle_table()
else:
    main()
