"""Human-readable status, close to `wg show` plus this client's counters (keepalive.md)."""
from binascii import b2a_base64

from .log import format_endpoint
from .wg.counters import peer_status
from .wg.load import load_status


def b64(key):
    return b2a_base64(key).decode().strip()


def _ago(ms):
    if ms is None:
        return "never"
    return "%d seconds ago" % (ms // 1000)


def _heap():
    # MicroPython only: what a board's heap holds now (the board budget in README reads this).
    import gc
    if not hasattr(gc, "mem_alloc"):
        return None
    gc.collect()
    return gc.mem_alloc(), gc.mem_free()


def _counts(d):
    return ", ".join("%s %d" % (k, d[k]) for k in sorted(d) if d[k]) or "none"


def lines(client, now):
    dev = client.device
    out = ["interface: %s" % client.name,
           "  public key: %s" % b64(dev.identity.public),
           "  listening port: %s" % (client.port or "(chosen by the system)"),
           "  loop wake-ups: %d" % client.wakeups,
           "  out of memory: %d" % client.oom.failures,
           "  clock state: %s" % ("saved in %s" % client.clock.state_file if client.clock.unsaved is None
                                  else "NOT saved (%s)" % client.clock.unsaved),
           "  drops: %s" % _counts(dev.drops)]
    heap = _heap()
    if heap is not None:
        out.append("  heap: %d B in use, %d B free (after a collect)" % heap)
    out += load_lines(dev, now)
    netif = client.netif
    stack = getattr(netif, "stack", None)  # the stack netif; TUN has the kernel's counters
    if stack is not None:
        out.append("  stack: %d TCP connections (peak %d%s), drops and events: %s" % (
            len(stack.tcp), netif.peak_connections,
            "" if netif.heap_at_peak is None else ", heap in use then %d B" % netif.heap_at_peak,
            _counts(stack.counters)))
        if netif.forwarder is not None:
            out.append("  forwards: %s" % _counts(netif.forwarder.counters))
    net = getattr(netif, "network", None)
    if net is not None and (net.tasks or net.errors):
        out.append("  programs: %d running; failed: %s" % (
            len(net.tasks), ", ".join("%s (%r)" % e for e in net.errors) or "none"))
    for peer in dev.peers:
        s = peer_status(peer, now)
        ka = peer.keepalive
        out += ["", "peer: %s" % b64(peer.public_key),
                "  endpoint: %s" % format_endpoint(s["endpoint"]),
                "  allowed ips: %s" % (", ".join(dev.allowed_ips.of(peer)) or "(none)"),
                "  latest handshake: %s" % _ago(s["last_handshake_ago_ms"]),
                "  transfer: %d B received, %d B sent" % (s["rx_bytes"], s["tx_bytes"]),
                "  persistent keepalive: %s" % (
                    "every %d seconds (%s)" % (ka.interval_ms // 1000, ka.name) if ka.interval_ms else "off"),
                "  sent: %s" % _counts(s["sent"]),
                "  received: %s" % _counts(s["received"]),
                "  handshakes: %d as initiator, %d as responder" % (
                    s["handshakes"]["initiator"], s["handshakes"]["responder"]),
                "  drops: %s" % _counts(s["drops"]),
                "  timer wake-ups: %d" % s["wakeups"]]
        if s["keepalive_deadline_ms"] is not None:
            out.append("  next keepalive/refresh in: %.1f s" % (s["keepalive_deadline_ms"] / 1000))
    return out


def _s(ms):
    return "%.1f s" % (ms / 1000)


def _bp(p):
    return "%d.%02d%%" % (p // 100, p % 100)


def load_lines(dev, now):
    """Hostile load (client/wg/load.py): under-load periods, cookie replies, handshake work share."""
    s = load_status(dev, now)
    if s["under_load"]:
        state = "yes (forced)" if s["forced"] else "yes, for %s" % _s(s["under_load_for_ms"] or 0)
    else:
        state = "no"
    if s["periods"]:
        state += "; %d period%s, %s in all" % (s["periods"], "" if s["periods"] == 1 else "s",
                                               _s(s["under_load_total_ms"]))
        if s["last_ended_ago_ms"] is not None:
            state += ", the last ended %s ago" % _s(s["last_ended_ago_ms"])
    return ["  under load: " + state,
            "  cookie replies: %d sent, %d rate-limited (%d of them: table full; %d of %d sources tracked)" % (
                s["cookies_sent"], s["cookies_rate_limited"], s["cookies_table_full"], s["sources"],
                s["sources_max"]),
            "  handshake work: %s of the time since start, peak %s over 10 s (budget %d%%); %d X25519 "
            "at %.2f ms measured; %d refused over budget" % (
                _bp(s["share_bp"]), _bp(s["peak_bp"]), s["budget_percent"],
                s["handshake_dh"], s["dh_cost_us"] / 1000, s["over_budget"])]
