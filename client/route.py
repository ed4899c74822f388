"""asyncio routed by address (`client.start(config, route=True)`, `-m client --route`).

While the client runs, asyncio.open_connection and asyncio.start_server are replaced: the address
decides the route (client/wg/route.py), as a kernel route table would, so libraries that connect
and listen through asyncio (microdot, MQTT clients) reach the tunnel without a change - a
connection to the server's tunnel address goes through the tunnel, `app.start_server(port=80)`
also listens on the tunnel. Everything else goes to the board's own network stack, through the
functions asyncio had. A module that took the functions before (`from asyncio import
open_connection` at its import) keeps asyncio's own. `route(False)` and `stop()` put them back.

TLS (ssl=...) is the board's stack only: a server with ssl listens there alone, and a TLS
connection to a tunnel address is refused (OSError).
"""
import asyncio
import socket

from .compat import MICROPYTHON
from .wg import route as decide

_EOPNOTSUPP = 95


async def _resolve(host, port):
    """host as an address (text or bytes) when it is one or a name resolves to an IPv4 address;
    None when it does not resolve (asyncio's own function then says why)."""
    if decide.address(host) is not None:
        return host
    if not isinstance(host, str) or not host:
        return None
    try:
        if MICROPYTHON:
            found = socket.getaddrinfo(host, port)[0][-1]  # blocking, as asyncio's own is here
        else:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, family=socket.AF_INET,
                                                                 type=socket.SOCK_STREAM)
            found = infos[0][4]
    except (OSError, IndexError):
        return None
    if isinstance(found, tuple):
        return found[0]
    if isinstance(found, (bytes, bytearray)) and len(found) >= 8 and found[0] == socket.AF_INET:
        return bytes(found[4:8])  # the unix port's raw sockaddr_in
    return None


class Server:
    """A server listening on both sides: the board's stack (asyncio's own server) and the tunnel."""

    def __init__(self, local, tunnel):
        self.local = local
        self.tunnel = tunnel

    def close(self):
        self.local.close()
        self.tunnel.close()

    def is_serving(self):
        return self.tunnel.is_serving()

    async def wait_closed(self):
        await self.local.wait_closed()
        await self.tunnel.wait_closed()

    async def serve_forever(self):
        """Until closed; cancelled, it closes both sides (as CPython's asyncio server does)."""
        try:
            if hasattr(self.local, "serve_forever"):
                await self.local.serve_forever()  # CPython: CancelledError once closed, as asyncio's
            await self.tunnel.wait_closed()
        finally:
            self.close()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self.close()
        await self.wait_closed()

    def __getattr__(self, name):  # sockets, get_loop, ...: the board's server
        return getattr(self.local, name)


class Routing:
    """Installed by Client.route(): asyncio's two functions replaced until remove()."""

    def __init__(self, client):
        self.client = client
        self.originals = (asyncio.open_connection, asyncio.start_server)
        asyncio.open_connection = self.open_connection
        asyncio.start_server = self.start_server

    def remove(self):
        asyncio.open_connection, asyncio.start_server = self.originals

    def _addresses(self):
        return self.client.netif.stack.addresses

    async def open_connection(self, host=None, port=None, **kw):
        target = await _resolve(host, port)
        if decide.connection(self.client.device.allowed_ips, self._addresses(), target) == decide.TUNNEL:
            if kw.get("ssl"):
                raise OSError(_EOPNOTSUPP, "TLS is not available through the tunnel's stack")
            return await self.client.network.open_connection(target, port)
        return await self.originals[0](host, port, **kw)

    async def start_server(self, callback, host=None, port=None, *args, **kw):
        where = decide.server(self._addresses(), host, port)
        if kw.get("ssl"):
            if where == decide.TUNNEL:
                raise OSError(_EOPNOTSUPP, "TLS is not available through the tunnel's stack")
            where = decide.LOCAL
        local = None
        if where != decide.TUNNEL:
            local = await self.originals[1](callback, host, port, *args, **kw)  # its errors first
            if where == decide.LOCAL:
                return local
        tunnel = await self.client.network.start_server(callback, port)
        return tunnel if local is None else Server(local, tunnel)
