"""--app for the lab: an app that fails at once; the tunnel must not notice."""
import asyncio


async def main(wg):
    await asyncio.sleep(0.2)
    raise ValueError("the app's own bug")
