# Board entry point. Until the client lands (issue 4) it checks the crypto on this board.
import os

if "safemode" in os.listdir():
    print("safemode file present: not starting (delete it to autostart)")
else:
    import client.crypto.selftest as _selftest

    _selftest.main()
