"""--app for the lab: an asyncio server on the device's own 127.0.0.1:8080 (the board's stack; on a
board there is no other process) serving BODY to every connection, like an HTTP server; the
config's forward (tcp 80 -> 127.0.0.1:8080) brings the server's curl to it through the tunnel."""
import asyncio

SIZE = 1 << 20


def body():
    """1 MiB, the same on both runtimes and in the test that checks it."""
    block = bytes((i * 7 + 3) & 0xFF for i in range(4096))
    return block * (SIZE // len(block))


async def serve(reader, writer):
    while (await reader.readline()) not in (b"\r\n", b"\n", b""):
        pass
    writer.write(("HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % SIZE).encode())
    data = body()
    for at in range(0, SIZE, 16384):
        writer.write(data[at:at + 16384])
        await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main(wg):
    await asyncio.start_server(serve, "127.0.0.1", 8080)
    while True:
        await asyncio.sleep(3600)
