"""--app for the lab: an unmodified aiomqttc (PyPI, via tests/testlib.py) publishes to mosquitto at
the server's tunnel address, once a second; the client routes asyncio.open_connection there."""
import asyncio
import sys

from tests import testlib

testlib.ensure()

if sys.implementation.name == "micropython":
    try:
        from machine import RTC  # noqa: F401 - every board has one
    except ImportError:
        # The unix port, standing in for a board here, has no machine.RTC; aiomqttc's log line reads
        # one. The board's RTC, from the host's clock, before aiomqttc is imported.
        import time

        class RTC:
            def datetime(self):
                t = time.gmtime()
                return t[0], t[1], t[2], t[6], t[3], t[4], t[5], 0

        class _Machine:
            pass

        machine = _Machine()
        machine.RTC = RTC
        sys.modules["machine"] = machine

from aiomqttc import MQTTClient  # noqa: E402


async def main(wg):
    mqtt = MQTTClient(client_id="wg-device", server="192.0.2.1", port=1883, keepalive=60)
    while not await mqtt.connect():
        await asyncio.sleep(1)
    n = 0
    while True:
        n += 1
        await mqtt.publish("wg/test", "hello from the device %d" % n, qos=1)
        await asyncio.sleep(1)
