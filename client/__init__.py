"""A WireGuard client for MicroPython boards and CPython hosts.

    import asyncio, client
    async def main():
        wg = await client.start("config.json")    # or a dict shaped like config.json
        ...                                       # wg.network: the tunnel's sockets
        await wg.stop()
    asyncio.run(main())
"""
__version__ = "0.1.0"


async def start(config="config.json", route=False):
    """The tunnel as a task of the running asyncio program; returns the client once running
    (client/loop.py). route=True: asyncio.open_connection / start_server route by address."""
    from .loop import start as _start
    return await _start(config, route)


def status():
    """Print the running client's status (on a board: `import client; client.status()`)."""
    from .loop import current
    if current is None:
        print("client not running")
        return
    print(current.status())
