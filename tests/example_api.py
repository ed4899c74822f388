import asyncio, client


async def handler(reader, writer):             # one task per connection, as asyncio.start_server
    writer.write(await reader.readline())
    await writer.drain()
    writer.close()


async def main():
    wg = await client.start("config.json")     # or a dict shaped like config.json; returns once running
    net = wg.network                           # the tunnel's sockets
    srv = await net.start_server(handler, 80)  # handler(reader, writer), like asyncio.start_server
    r, w = await net.open_connection("192.0.2.1", 1883)
    sock = net.udp_socket(5000); sock.sendto(b"x", ("192.0.2.1", 53))
    data, (ip, port) = await sock.recvfrom()   # ip as "192.0.2.1", the same form sendto takes
    print(wg.status()); await wg.stop()        # stop: closes connections, prints nothing unasked

asyncio.run(main())
