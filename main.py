# Board entry point: runs the client with config.json (status: `import client; client.status()`),
# and, when app.py is on the board, its `async def main(wg)` beside the client in the same asyncio
# loop, with asyncio routed by address (a server on 0.0.0.0 also answers through the tunnel). A
# failing app is logged and the tunnel goes on; a tunnel error never stops the app.
# A file named "safemode" skips autostart (see boot.py); Ctrl-C stops the client at the REPL.
import os

if "safemode" in os.listdir():
    print("safemode file present: not starting (delete it to autostart)")
else:
    from client.__main__ import main

    app = [f for f in os.listdir() if f in ("app.py", "app.mpy")]
    main(["--config", "config.json"] + (["--app", "app", "--route"] if app else []))
