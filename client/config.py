"""config.json: load, validate, and explain problems in one line (never echoing a secret).

Every key is documented in README ("config.json"). Unknown keys are errors, so a typo does not
silently fall back to a default.
"""
import json
from binascii import a2b_base64

from .net.addr import parse_cidr
from .wg.constants import DEFAULT_MTU, PERSISTENT_KEEPALIVE_MAX_S

KEEPALIVE_MODES = ("power", "standard")
NETIFS = ("stack", "tun")
LOG_LEVELS = ("debug", "info", "warning", "error")
DEFAULT_CONFIRM_INTERVAL_S = 600

_INTERFACE_KEYS = ("private_key", "address", "listen_port", "mtu", "netif")
_PEER_KEYS = ("public_key", "preshared_key", "endpoint", "allowed_ips", "persistent_keepalive",
              "keepalive_mode", "confirm_interval")
_TOP_KEYS = ("interface", "peers", "forward", "wifi", "state_file", "log", "stack")
_STACK_KEYS = ("tcp_connections", "tcp_buffer", "udp_queue")
_WIFI_KEYS = ("ssid", "password", "power_save")
_FORWARD_KEYS = ("proto", "port", "to")


class ConfigError(Exception):
    """args[0]: the key path (e.g. "peers[0].endpoint"); args[1]: what is wrong with it."""

    def __str__(self):
        return "config: %s: %s" % (self.args[0], self.args[1])


class PeerConfig:
    pass


class Config:
    pass


def load(path):
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        raise ConfigError(path, "cannot read the file")
    try:
        raw = json.loads(text)
    except ValueError:
        raise ConfigError(path, "not valid JSON")
    return parse(raw)


def parse(raw):
    _object(raw, "config", _TOP_KEYS)
    cfg = Config()
    iface = _object(_required(raw, "interface", "config"), "interface", _INTERFACE_KEYS)
    cfg.private_key = _key(_required(iface, "private_key", "interface"), "interface.private_key")
    cfg.addresses = [_cidr(a, "interface.address") for a in _list(iface.get("address", []), "interface.address")]
    cfg.listen_port = _int(iface.get("listen_port", 0), "interface.listen_port", 0, 65535)
    cfg.mtu = _int(iface.get("mtu", DEFAULT_MTU), "interface.mtu", 576, 65535)
    cfg.netif = _choice(iface.get("netif", "stack"), "interface.netif", NETIFS)
    peers = _list(_required(raw, "peers", "config"), "peers")
    cfg.peers = [_peer(p, "peers[%d]" % i) for i, p in enumerate(peers)]
    if not cfg.peers:
        raise ConfigError("peers", "at least one peer is needed")
    cfg.forward = [_forward(f, "forward[%d]" % i) for i, f in enumerate(_list(raw.get("forward", []), "forward"))]
    wifi = _object(raw.get("wifi", {}), "wifi", _WIFI_KEYS)
    cfg.wifi_ssid = _str(wifi.get("ssid", ""), "wifi.ssid")
    cfg.wifi_password = _str(wifi.get("password", ""), "wifi.password")
    cfg.wifi_power_save = _bool(wifi.get("power_save", True), "wifi.power_save")
    stack = _object(raw.get("stack", {}), "stack", _STACK_KEYS)
    cfg.tcp_connections = _int(stack.get("tcp_connections", 4), "stack.tcp_connections", 1, 64)
    cfg.tcp_buffer = _int(stack.get("tcp_buffer", 4096), "stack.tcp_buffer", 536, 65535)
    cfg.udp_queue = _int(stack.get("udp_queue", 8), "stack.udp_queue", 1, 256)
    cfg.state_file = _str(raw.get("state_file", "wgstate.json"), "state_file")
    cfg.log = _choice(raw.get("log", "info"), "log", LOG_LEVELS)
    return cfg


def _peer(raw, where):
    _object(raw, where, _PEER_KEYS)
    p = PeerConfig()
    p.public_key = _key(_required(raw, "public_key", where), where + ".public_key")
    psk = raw.get("preshared_key")
    p.preshared_key = None if psk is None else _key(psk, where + ".preshared_key")
    endpoint = raw.get("endpoint")
    p.endpoint = None if endpoint is None else parse_endpoint(endpoint, where + ".endpoint")
    p.allowed_ips = [_cidr(a, where + ".allowed_ips") for a in _list(raw.get("allowed_ips", []), where + ".allowed_ips")]
    p.persistent_keepalive = _int(raw.get("persistent_keepalive", 0), where + ".persistent_keepalive",
                                  0, PERSISTENT_KEEPALIVE_MAX_S)
    p.keepalive_mode = _choice(raw.get("keepalive_mode", "power"), where + ".keepalive_mode", KEEPALIVE_MODES)
    p.confirm_interval = _int(raw.get("confirm_interval", DEFAULT_CONFIRM_INTERVAL_S), where + ".confirm_interval",
                              0, PERSISTENT_KEEPALIVE_MAX_S)
    return p


def _forward(raw, where):
    _object(raw, where, _FORWARD_KEYS)
    proto = _choice(_required(raw, "proto", where), where + ".proto", ("tcp", "udp"))
    port = _int(_required(raw, "port", where), where + ".port", 1, 65535)
    host, to_port = parse_endpoint(_required(raw, "to", where), where + ".to")
    return (proto, port, host, to_port)


def parse_endpoint(text, where):
    """("host", port) from "host:port" or "[v6]:port"; the name is resolved later, by the loop."""
    if not isinstance(text, str) or ":" not in text:
        raise ConfigError(where, "must be \"host:port\"")
    if text.startswith("["):
        close = text.find("]:")
        if close < 0:
            raise ConfigError(where, "must be \"[ipv6]:port\"")
        host, port = text[1:close], text[close + 2:]
    else:
        i = text.rfind(":")
        host, port = text[:i], text[i + 1:]
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ConfigError(where, "must be \"host:port\" with a port in 1..65535")
    return host, int(port)


def _required(obj, key, where):
    if key not in obj:
        raise ConfigError(where + "." + key if where != "config" else key, "missing")
    return obj[key]


def _object(value, where, allowed):
    if not isinstance(value, dict):
        raise ConfigError(where, "must be an object")
    for key in value:
        if key not in allowed:
            raise ConfigError(where + "." + key if where != "config" else key,
                              "unknown key (known: %s)" % ", ".join(allowed))
    return value


def _list(value, where):
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise ConfigError(where, "must be a list")
    return value


def _key(value, where):
    # Never include the value in the message: it may be a secret.
    if not isinstance(value, str):
        raise ConfigError(where, "must be a base64 string")
    if value.startswith("REPLACE"):
        raise ConfigError(where, "not set yet: make keys with `python3 tools/keys genkey` and "
                                 "`python3 tools/keys pubkey` (or wg genkey / wg pubkey), see README")
    try:
        raw = a2b_base64(value.strip())
    except ValueError:
        raise ConfigError(where, "is not valid base64")
    if len(raw) != 32:
        raise ConfigError(where, "must decode to 32 bytes, not %d (make one with tools/keys)" % len(raw))
    return raw


def _cidr(value, where):
    try:
        parse_cidr(value)
    except (ValueError, TypeError, AttributeError):
        raise ConfigError(where, "%r is not an address/prefix" % (value,))
    return value


def _int(value, where, low, high):
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ConfigError(where, "must be an integer in %d..%d" % (low, high))
    return value


def _choice(value, where, choices):
    if value not in choices:
        raise ConfigError(where, "must be one of: %s" % ", ".join(choices))
    return value


def _str(value, where):
    if not isinstance(value, str):
        raise ConfigError(where, "must be a string")
    return value


def _bool(value, where):
    if not isinstance(value, bool):
        raise ConfigError(where, "must be true or false")
    return value
