# Runs first on a board and must return: Wi-Fi from config.json (with power save), then one NTP
# attempt (never required: the client's clock survives reboots without it).
# Safe mode: create a file named "safemode" (mpremote fs touch :safemode) and neither this file
# nor main.py does anything, so the REPL stays reachable. Delete it to autostart again.
import os


def _wifi(cfg):
    import time

    import network
    wlan = network.WLAN(network.STA_IF)
    wlan.active(True)
    if cfg.get("ssid") and not wlan.isconnected():
        wlan.connect(cfg["ssid"], cfg.get("password", ""))
        for _ in range(150):  # up to 15 s
            if wlan.isconnected():
                break
            time.sleep_ms(100)
    if cfg.get("power_save", True):
        try:
            wlan.config(pm=wlan.PM_POWERSAVE)  # radio sleeps between beacons; the loop idles
        except (AttributeError, ValueError, OSError):
            pass
    print("boot: wifi", "connected" if wlan.isconnected() else "not connected")


def _ntp():
    try:
        import ntptime
        ntptime.settime()
        print("boot: clock set by NTP")
    except Exception:  # unreachable, no module: the persisted clock covers it
        print("boot: no NTP (fine)")


if "safemode" not in os.listdir():
    try:
        import json
        with open("config.json") as f:
            _wifi(json.load(f).get("wifi", {}))
    except Exception as e:  # boot.py must return, whatever happens
        print("boot: wifi setup failed:", e)
    _ntp()
