"""A device program for the lab test: `-m client --run tests.program_fetch` (both runtimes)."""


async def main(net):
    rtt = await net.ping("192.0.2.1")
    print("program: ping rtt", rtt)
    reader, writer = await net.open_connection("192.0.2.1", 8000)
    writer.write(b"GET /hello.txt HTTP/1.0\r\nHost: server\r\n\r\n")
    await writer.drain()
    response = b""
    while True:
        piece = await reader.read(4096)
        if not piece:
            break
        response += piece
    writer.close()
    print("program: status", response.split(b"\r\n")[0].decode(), "body", response.split(b"\r\n\r\n", 1)[1].decode())
