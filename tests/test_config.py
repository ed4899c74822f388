"""config.json: every error class gives one line naming the key, never the secret (both runtimes)."""
import json

from client import config
from tests.harness import cpython_only, raises

PRIVATE = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
PUBLIC = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="


def good():
    return {"interface": {"private_key": PRIVATE, "address": ["192.0.2.2/32"]},
            "peers": [{"public_key": PUBLIC, "endpoint": "203.0.113.2:51820", "allowed_ips": ["192.0.2.0/24"],
                       "persistent_keepalive": 25}]}


def _error(mutate):
    raw = good()
    mutate(raw)
    e = raises(config.ConfigError, config.parse, raw)
    return str(e)


def test_good_config_and_defaults():
    cfg = config.parse(good())
    p = cfg.peers[0]
    assert cfg.netif == "stack" and cfg.mtu == 1420 and cfg.listen_port == 0 and cfg.state_file == "wgstate.json"
    assert p.keepalive_mode == "power" and p.confirm_interval == 600 and p.persistent_keepalive == 25
    assert p.endpoint == ("203.0.113.2", 51820) and len(p.public_key) == 32 and p.preshared_key is None
    raw = good()
    del raw["peers"][0]["persistent_keepalive"]
    assert config.parse(raw).peers[0].persistent_keepalive == 0  # off by default, as wg


def test_each_error_class_names_key_and_problem():
    cases = (
        (lambda r: r["interface"].pop("private_key"), "interface.private_key: missing"),
        (lambda r: r["interface"].update(private_key="not base64!"), "interface.private_key: is not valid base64"),
        (lambda r: r["interface"].update(private_key="AAAA"), "interface.private_key: must decode to 32 bytes"),
        (lambda r: r["peers"][0].update(public_key=PRIVATE[:-4]), "peers[0].public_key"),
        (lambda r: r["peers"][0].update(endpoint="203.0.113.2"), "peers[0].endpoint: must be"),
        (lambda r: r["peers"][0].update(endpoint="host:99999"), "peers[0].endpoint: must be"),
        (lambda r: r["interface"].update(address=["192.0.2.300/32"]), "interface.address"),
        (lambda r: r["peers"][0].update(allowed_ips=["192.0.2.0/40"]), "peers[0].allowed_ips"),
        (lambda r: r["peers"][0].update(persistent_keepalive=65536), "peers[0].persistent_keepalive: must be an integer in 0..65535"),
        (lambda r: r["peers"][0].update(persistent_keepalive=-1), "peers[0].persistent_keepalive"),
        (lambda r: r["peers"][0].update(keepalive_mode="turbo"), "peers[0].keepalive_mode: must be one of: power, standard"),
        (lambda r: r["interface"].update(netif="wifi"), "interface.netif"),
        (lambda r: r.update(colour="blue"), "colour: unknown key"),
        (lambda r: r["peers"][0].update(keepalive=25), "peers[0].keepalive: unknown key"),
        (lambda r: r.update(peers=[]), "peers: at least one peer"),
        (lambda r: r.pop("interface"), "interface: missing"),
        (lambda r: r.update(stack={"tcp_buffer": 100}), "stack.tcp_buffer: must be an integer in 536..65535"),
        (lambda r: r.update(forward=[{"proto": "sctp", "port": 1, "to": "127.0.0.1:2"}]), "forward[0].proto"),
        (lambda r: r.update(forward=[{"proto": "tcp", "port": 80, "to": "127.0.0.1"}]), "forward[0].to"),
    )
    for mutate, expect in cases:
        message = _error(mutate)
        assert message.startswith("config: ") and expect in message, (expect, message)
        assert "\n" not in message and PRIVATE not in message and PRIVATE[:20] not in message


def test_example_config_explains_how_to_make_keys():
    e = raises(config.ConfigError, config.load, "config.json")
    assert "tools/keys" in str(e) and "interface.private_key" in str(e)


@cpython_only("runs both runtimes' executables as subprocesses")
def test_command_line_bad_configs_one_line_and_exit_status():
    import os
    import subprocess
    import sys
    import tempfile
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    micropython = os.path.join(os.path.dirname(sys.executable), "micropython")
    bad = {"missing": lambda r: r["interface"].pop("private_key"),
           "base64": lambda r: r["interface"].update(private_key="%%%%"),
           "length": lambda r: r["interface"].update(private_key="AAAA"),
           "endpoint": lambda r: r["peers"][0].update(endpoint="nohost"),
           "address": lambda r: r["interface"].update(address=["1.2.3"]),
           "interval": lambda r: r["peers"][0].update(persistent_keepalive=70000),
           "mode": lambda r: r["peers"][0].update(keepalive_mode="x")}
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for name, mutate in bad.items():
            raw = good()
            mutate(raw)
            path = os.path.join(tmp, name + ".json")
            with open(path, "w") as f:
                json.dump(raw, f)
            files.append(path)
        with open(os.path.join(tmp, "broken.json"), "w") as f:
            f.write("{not json")
        files += [os.path.join(tmp, "broken.json"), os.path.join(tmp, "absent.json")]
        for exe in (sys.executable, micropython):
            for path in files:
                r = subprocess.run([exe, "-m", "client", "--config", path], cwd=root, capture_output=True,
                                   text=True, timeout=30)
                out = (r.stdout + r.stderr).strip()
                assert r.returncode == 2, (exe, path, out)
                assert len(out.splitlines()) == 1 and out.startswith("config: "), (exe, path, out)
                assert "Traceback" not in out and PRIVATE not in out
