"""--app for the lab: an app that blocks the one loop for 2 s, twice (a blocking call where an
await was due) - once during the first handshake, once later; the tunnel must carry on."""
import asyncio
import time


def _block_2s():
    if hasattr(time, "sleep_ms"):
        time.sleep_ms(2000)
    else:
        time.sleep(2)


async def main(wg):
    _block_2s()
    print("app: blocked 2 s")
    await asyncio.sleep(10)
    _block_2s()
    print("app: blocked 2 s again")
    while True:
        await asyncio.sleep(3600)
