#!/usr/bin/env python3
"""Import a wg-quick .conf into config.json, and print the server's [Peer] block for this device.

    python3 tools/import_conf.py device.conf [--out config.json] [--netif stack|tun]
                                 [--mode power|standard] [--confirm-interval S]

Keys this client does not use (DNS, Table, PostUp, ...) are listed on stderr and left out.
"""
import argparse
import json
import os
import sys
from binascii import a2b_base64, b2a_base64

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from client import config, crypto  # noqa: E402

_INTERFACE = {"privatekey": "private_key", "address": "address", "listenport": "listen_port", "mtu": "mtu"}
_PEER = {"publickey": "public_key", "presharedkey": "preshared_key", "endpoint": "endpoint",
         "allowedips": "allowed_ips", "persistentkeepalive": "persistent_keepalive"}
_LISTS = ("address", "allowed_ips")
_INTS = ("listen_port", "mtu", "persistent_keepalive")


def parse_wg_quick(text):
    """{"interface": {...}, "peers": [...]} with this client's key names; plus ignored keys."""
    interface, peers, ignored, section = {}, [], [], None
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            section = line.lower()
            if section == "[peer]":
                peers.append({})
            elif section != "[interface]":
                raise ValueError("line %d: unknown section %s" % (number, line))
            continue
        if "=" not in line or section is None:
            raise ValueError("line %d: expected Key = Value inside a section" % number)
        key, value = [x.strip() for x in line.split("=", 1)]
        names = _INTERFACE if section == "[interface]" else _PEER
        name = names.get(key.lower())
        if name is None:
            ignored.append(key)
            continue
        if name in _LISTS:
            value = [v.strip() for v in value.split(",") if v.strip()]
        elif name in _INTS:
            value = int(value)
        target = interface if section == "[interface]" else peers[-1]
        target[name] = value
    return {"interface": interface, "peers": peers}, ignored


def build(conf, netif, mode, confirm):
    conf["interface"]["netif"] = netif
    for peer in conf["peers"]:
        peer["keepalive_mode"] = mode
        peer["confirm_interval"] = confirm
    conf["state_file"] = "wgstate.json"
    conf["log"] = "info"
    config.parse(conf)  # the same checks as at start-up
    return conf


def server_block(conf):
    device_public = crypto.public_key(a2b_base64(conf["interface"]["private_key"]))
    lines = ["[Peer]", "# this device (wg-micro)", "PublicKey = " + b2a_base64(device_public).decode().strip()]
    psk = conf["peers"][0].get("preshared_key") if conf["peers"] else None
    if psk:
        lines.append("PresharedKey = " + psk)
    lines.append("AllowedIPs = " + ", ".join(conf["interface"].get("address", [])))
    return "\n".join(lines)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("conf")
    ap.add_argument("--out", default="config.json")
    ap.add_argument("--netif", choices=config.NETIFS, default="stack")
    ap.add_argument("--mode", choices=config.KEEPALIVE_MODES, default="power")
    ap.add_argument("--confirm-interval", type=int, default=config.DEFAULT_CONFIRM_INTERVAL_S)
    args = ap.parse_args(argv)
    try:
        with open(args.conf) as f:
            conf, ignored = parse_wg_quick(f.read())
        conf = build(conf, args.netif, args.mode, args.confirm_interval)
    except (OSError, ValueError) as e:
        print("import_conf: %s" % e, file=sys.stderr)
        return 2
    except config.ConfigError as e:
        print("import_conf: %s" % e, file=sys.stderr)
        return 2
    if ignored:
        print("import_conf: not used by this client: %s" % ", ".join(ignored), file=sys.stderr)
    fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds the private key
    with os.fdopen(fd, "w") as f:
        f.write(json.dumps(conf))
    print("wrote %s. Add this to the server's configuration:\n" % args.out)
    print(server_block(conf))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
