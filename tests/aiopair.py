"""Two clients in one asyncio program over loopback UDP (test helper, both runtimes): `dev`
(192.0.2.2, the device) and `srv` (192.0.2.1, in the server's place), each a real Client with its
loop, socket and stack; the device's endpoint is 127.0.0.1:<srv's port>.

    dev, srv = await pair(route=True, forward=[...])
    ...
    await close(dev, srv)
"""
import asyncio
import os
import sys
from binascii import b2a_base64

import client
from client import crypto

MICROPYTHON = sys.implementation.name == "micropython"
DEV_IP = "192.0.2.2"
SRV_IP = "192.0.2.1"


def _b64(raw):
    return b2a_base64(raw).decode().strip()


def _keys():
    private = crypto.generate_private()
    return _b64(private), _b64(crypto.public_key(private))


def free_port():
    """A loopback UDP/TCP port number for this run (40000..59999, from os.urandom)."""
    r = os.urandom(2)
    return 40000 + ((r[0] << 8) | r[1]) % 20000


def configs(port, forward=(), keepalive=0, mode="power"):
    dev_private, dev_public = _keys()
    srv_private, srv_public = _keys()
    srv = {"interface": {"private_key": srv_private, "address": [SRV_IP + "/32"], "listen_port": port},
           "peers": [{"public_key": dev_public, "allowed_ips": [DEV_IP + "/32"]}],
           "state_file": "/tmp/wg-aiopair-srv-%d.json" % port, "log": "warning"}
    dev = {"interface": {"private_key": dev_private, "address": [DEV_IP + "/32"]},
           "peers": [{"public_key": srv_public, "endpoint": "127.0.0.1:%d" % port,
                      "allowed_ips": [SRV_IP + "/32"], "persistent_keepalive": keepalive,
                      "keepalive_mode": mode}],
           "forward": list(forward), "state_file": "/tmp/wg-aiopair-dev-%d.json" % port, "log": "warning",
           "stack": {"tcp_connections": 3}}
    srv["stack"] = {"tcp_connections": 3}
    return dev, srv


async def pair(route=False, forward=(), keepalive=0):
    """Both clients started and the handshake done (the first ping through the tunnel answered)."""
    dev_cfg, srv_cfg = configs(free_port(), forward, keepalive)
    srv = await client.start(srv_cfg)
    dev = await client.start(dev_cfg, route=route)
    for _ in range(5):
        if await dev.network.ping(SRV_IP, timeout_ms=2000) is not None:
            return dev, srv
    await close(dev, srv)
    raise AssertionError("no handshake between the two clients")


async def close(*clients):
    for c in clients:
        await c.stop()


def run(coro, timeout_s=60):
    """asyncio.run with a bound: a test never hangs (asyncio's TimeoutError instead). MicroPython
    starts from an empty loop (its asyncio keeps the queues of an earlier run)."""
    async def bounded():
        return await asyncio.wait_for(coro, timeout_s)
    if hasattr(asyncio, "new_event_loop") and MICROPYTHON:
        asyncio.new_event_loop()
    return asyncio.run(bounded())
