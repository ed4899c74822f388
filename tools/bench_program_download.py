"""A device program for tools/bench_asyncio_lab.py: downloads the server's /file (8 MiB) RUNS times
through net.open_connection and prints each time. Only the calls the device-program API has had
since issue 5 (open_connection, write, drain, read, close), so it runs before and after issue 11."""
import sys

RUNS = 3

if sys.implementation.name == "micropython":
    from time import ticks_diff, ticks_ms
else:
    import time

    def ticks_ms():
        return int(time.monotonic() * 1000)

    def ticks_diff(a, b):
        return a - b


async def main(net):
    for _ in range(RUNS):
        reader, writer = await net.open_connection("192.0.2.1", 8000)
        writer.write(b"GET /file HTTP/1.0\r\nHost: server\r\n\r\n")
        await writer.drain()
        start = ticks_ms()
        total = 0
        while True:
            piece = await reader.read(4096)
            if not piece:
                break
            total += len(piece)
        ms = ticks_diff(ticks_ms(), start)
        writer.close()
        print("program: downloaded %d bytes in %d ms" % (total, ms))
    print("program: done")
