"""The loop's wait inside asyncio (client/aio.py Poller), both runtimes, on real loopback UDP
sockets: ready objects, timeouts, wake(), one-shot readiness (a socket left unread is reported
again by the next wait, never in between), modify/unregister, and cancellation of a waiting loop
task with or without a timeout (it must end with CancelledError and leave asyncio's queues sound)."""
import asyncio
import socket

from client.aio import POLLIN, Poller
from client.compat import ticks_ms
from tests import aiopair


def _send_to(sock, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"x", socket.getaddrinfo("127.0.0.1", port)[0][-1])
    s.close()


_ports = {}


def _port(sock):
    return _ports[id(sock)]


def _bound():
    port = aiopair.free_port()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(socket.getaddrinfo("127.0.0.1", port)[0][-1])
    s.setblocking(False)
    _ports[id(s)] = port
    return s


def test_wait_reports_ready_sockets_timeouts_and_wakes():
    async def main():
        p = Poller()
        a, b = _bound(), _bound()
        p.register(a, POLLIN)
        p.register(b, POLLIN)
        assert await p.wait(10, ticks_ms()) == []  # timeout, nothing ready
        _send_to(a, _port(a))
        got = await p.wait(-1, ticks_ms())
        assert got == [(a, POLLIN)]
        # Not read: reported again by the next wait (level), once per wait.
        assert await p.wait(-1, ticks_ms()) == [(a, POLLIN)]
        a.recv(10)
        p.wake()
        assert await p.wait(-1, ticks_ms()) == []  # woken, nothing ready
        waker = asyncio.create_task(_wake_soon(p))
        assert await p.wait(-1, ticks_ms()) == []
        await waker
        p.modify(b, 0)
        _send_to(b, _port(b))
        assert await p.wait(20, ticks_ms()) == []  # not wanted now
        p.modify(b, POLLIN)
        assert await p.wait(-1, ticks_ms()) == [(b, POLLIN)]
        p.unregister(b)
        assert await p.wait(10, ticks_ms()) == []
        p.close()
        a.close()
        b.close()

    aiopair.run(main(), 20)


async def _wake_soon(p):
    await asyncio.sleep(0)
    p.wake()


def test_a_waiting_loop_task_cancels_cleanly_with_or_without_timeout():
    async def waiting(p, timeout):
        try:
            await p.wait(timeout, ticks_ms())
        except asyncio.CancelledError:
            return "cancelled"
        return "returned"

    async def main():
        for timeout in (-1, 60_000):
            p = Poller()
            a = _bound()
            p.register(a, POLLIN)
            task = asyncio.create_task(waiting(p, timeout))
            await asyncio.sleep(0.01)
            task.cancel()
            p.wake()  # a wake-up between the cancel and the task's turn must not resume it normally
            _send_to(a, _port(a))
            await asyncio.sleep(0.01)
            assert await task == "cancelled"
            # asyncio's queues are sound: the same poller serves a new wait.
            got = await p.wait(-1, ticks_ms())
            assert got == [(a, POLLIN)], got
            p.close()
            a.close()

    aiopair.run(main(), 20)
