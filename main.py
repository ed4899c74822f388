# Board entry point: runs the client with config.json (status: `import client; client.status()`).
# A file named "safemode" skips autostart (see boot.py); Ctrl-C stops the client at the REPL.
import os

if "safemode" in os.listdir():
    print("safemode file present: not starting (delete it to autostart)")
else:
    from client.__main__ import main

    main(["--config", "config.json"])
