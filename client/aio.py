"""The client inside asyncio: its one loop waits in asyncio's own I/O wait, on both runtimes.

`Poller` has `select.poll`'s register/modify/unregister (the netifs and forwards keep using them)
and `await wait(timeout_ms, now)`: the loop's task sleeps until one of the registered objects is
ready, the timeout passes (-1: none), or `wake()` is called (a device program queued data) - no
periodic tick, no polling. Readiness is one-shot, as asyncio's own streams wait: an object is
watched again only when the loop waits again, so a socket the loop has not read yet never spins
the event loop.

- CPython: `loop.add_reader` / `add_writer` on each object, a future for the wait, `call_later`
  for the timeout.
- MicroPython: asyncio's IOQueue (`yield asyncio.core._io_queue.queue_read(sock)`, as its
  StreamReader waits) holds one small waker task per watched object and direction; the loop's task
  sleeps in asyncio's task queue until its deadline, or outside any queue when it has none, and a
  waker moves it to the front when its object is ready. One waiting task per stream and
  direction is what the IOQueue allows; the loop itself is never registered twice.

`Scheduler` is what the device-program API (client/net/api.py, sans-I/O) needs from asyncio:
events, waits with a timeout, tasks, the loop's clock, a wake-up of the loop.
"""
import asyncio
import select
import sys

from . import log
from .compat import MICROPYTHON

POLLIN = select.POLLIN
POLLOUT = select.POLLOUT


if MICROPYTHON:
    from asyncio import core
    from time import ticks_add

    class _Watch:
        """One registered object: what the loop wants of it, its two wakers, what fired."""

        def __init__(self, obj, events):
            self.obj = obj
            self.events = events
            self.alive = True
            self.fired = 0  # events seen since the loop last took them
            self.tasks = [None, None]  # waker tasks: read, write
            self.parked = [False, False]  # the waker fired and waits to be armed again

    def _waker(poller, watch, direction):
        # A waker task: registered in asyncio's IOQueue for one direction of one object; once the
        # object is ready it tells the poller and parks (in no queue) until the loop waits again.
        while watch.alive:
            if direction:
                yield core._io_queue.queue_write(watch.obj)
            else:
                yield core._io_queue.queue_read(watch.obj)
            if not watch.alive:
                return
            watch.parked[direction] = True
            poller._fired(watch, POLLOUT if direction else POLLIN)
            yield

    class Poller:
        def __init__(self):
            self.watches = {}  # id(obj) -> _Watch
            self.ready = []  # watches that fired since the last wait
            self.task = None  # the loop's task while it waits
            self.timer = False  # ... and it sits in the task queue until its deadline
            self.woken = False

        def register(self, obj, events=POLLIN | POLLOUT):
            self.watches[id(obj)] = _Watch(obj, events)

        def modify(self, obj, events):
            # A waker armed for a direction no longer wanted stays armed: if it fires, the event is
            # not wanted and it parks (no wake-up of the loop).
            self.watches[id(obj)].events = events

        def unregister(self, obj):
            watch = self.watches.pop(id(obj), None)
            if watch is None:
                return
            watch.alive = False
            for task in watch.tasks:
                if task is not None:
                    core._io_queue.remove(task)  # out of asyncio's poller before the object closes
            if watch in self.ready:
                self.ready.remove(watch)

        def close(self):
            for watch in list(self.watches.values()):
                self.unregister(watch.obj)
            self.wake()

        def _arm(self):
            for watch in self.watches.values():
                for direction, bit in ((0, POLLIN), (1, POLLOUT)):
                    if not watch.events & bit:
                        continue
                    task = watch.tasks[direction]
                    if task is None:
                        watch.tasks[direction] = core.create_task(_waker(self, watch, direction))
                    elif watch.parked[direction]:
                        watch.parked[direction] = False
                        core._task_queue.push(task)

        def _fired(self, watch, bit):
            if not watch.events & bit:
                return
            if not watch.fired:
                self.ready.append(watch)
            watch.fired |= bit
            self._resume()

        def _resume(self):
            task = self.task
            if task is None:
                return
            self.task = None
            if task.data is not None and task.data is not self:
                return  # cancelled meanwhile: Task.cancel() has put it back in the queue itself
            if self.timer:
                self.timer = False
                core._task_queue.remove(task)
            core._task_queue.push(task)

        def wake(self):
            """Make the loop's current or next wait return at once."""
            self.woken = True
            self._resume()

        def remove(self, task):
            # Task.cancel() calls this while the loop's task waits outside any queue (its .data).
            if self.task is task:
                self.task = None

        def wait(self, timeout_ms, now):
            """[(obj, events)] once something is ready, timeout_ms passed (-1: no timeout) or wake()."""
            if not self.ready and not self.woken:
                self._arm()
                task = core.cur_task
                if timeout_ms >= 0:
                    core._task_queue.push(task, ticks_add(now, timeout_ms))
                    self.timer = True
                else:
                    task.data = self
                self.task = task
                try:
                    yield
                finally:
                    self.task = None
                    self.timer = False
            self.woken = False
            out = [(w.obj, w.fired) for w in self.ready]
            for w in self.ready:
                w.fired = 0
            self.ready = []
            return out

        def sleep(self, ms):
            """A pause that no socket interrupts (the loop's back-off)."""
            return asyncio.sleep_ms(ms)

    def _wait_for(aw, timeout_ms):
        return asyncio.wait_for_ms(aw, timeout_ms)

else:
    class Poller:
        def __init__(self):
            self.watches = {}  # fd -> [obj, events wanted, events armed]
            self.ready = {}  # fd -> events fired since the last wait
            self.future = None
            self.woken = False

        @staticmethod
        def _fd(obj):
            return obj if isinstance(obj, int) else obj.fileno()

        def register(self, obj, events=POLLIN | POLLOUT):
            self.watches[self._fd(obj)] = [obj, events, 0]

        def modify(self, obj, events):
            fd = self._fd(obj)
            watch = self.watches[fd]
            watch[1] = events
            self._disarm(fd, watch, watch[2] & ~events)

        def unregister(self, obj):
            fd = self._fd(obj)
            watch = self.watches.pop(fd, None)
            if watch is not None:
                self._disarm(fd, watch, watch[2])
            self.ready.pop(fd, None)

        def close(self):
            for watch in list(self.watches.values()):
                self.unregister(watch[0])
            self.wake()

        def _disarm(self, fd, watch, bits):
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # closing after asyncio.run ended: nothing is armed any more
                watch[2] = 0
                return
            if bits & POLLIN:
                loop.remove_reader(fd)
            if bits & POLLOUT:
                loop.remove_writer(fd)
            watch[2] &= ~bits

        def _fired(self, fd, bit):
            watch = self.watches.get(fd)
            if watch is None:
                return
            self._disarm(fd, watch, bit)  # one-shot: armed again by the next wait
            if watch[1] & bit:
                self.ready[fd] = self.ready.get(fd, 0) | bit
                self._resume()

        def _resume(self, *_):
            future = self.future
            if future is not None and not future.done():
                future.set_result(None)

        def wake(self):
            self.woken = True
            self._resume()

        async def wait(self, timeout_ms, now):
            if not self.ready and not self.woken:
                loop = asyncio.get_running_loop()
                for fd, watch in self.watches.items():
                    want = watch[1] & ~watch[2]
                    if want & POLLIN:
                        loop.add_reader(fd, self._fired, fd, POLLIN)
                    if want & POLLOUT:
                        loop.add_writer(fd, self._fired, fd, POLLOUT)
                    watch[2] |= want
                if timeout_ms == 0:
                    await asyncio.sleep(0)  # a turn for the other tasks and the I/O callbacks
                else:
                    self.future = loop.create_future()
                    timer = loop.call_later(timeout_ms / 1000, self._resume) if timeout_ms > 0 else None
                    try:
                        await self.future
                    finally:
                        self.future = None
                        if timer is not None:
                            timer.cancel()
            self.woken = False
            ready, self.ready = self.ready, {}
            return [(self.watches[fd][0], bits) for fd, bits in ready.items() if fd in self.watches]

        def sleep(self, ms):
            return asyncio.sleep(ms / 1000)

    def _wait_for(aw, timeout_ms):
        return asyncio.wait_for(aw, timeout_ms / 1000)


class Scheduler:
    """asyncio for the device-program API (client/net/api.py), which imports none itself."""

    TimeoutError = asyncio.TimeoutError

    def __init__(self, clock, wake):
        self.now = clock  # () -> ms ticks: the loop's clock
        self.kick = wake  # the loop wakes at once (data to send, timers to look at)

    event = asyncio.Event

    async def wait(self, event, timeout_ms=None):
        """True once event is set; False when timeout_ms passed first."""
        if timeout_ms is None:
            await event.wait()
            return True
        try:
            await _wait_for(event.wait(), timeout_ms)
            return True
        except asyncio.TimeoutError:
            return False

    def spawn(self, coro):
        return asyncio.create_task(coro)

    def sleep_ms(self, ms):
        return asyncio.sleep_ms(ms) if MICROPYTHON else asyncio.sleep(ms / 1000)

    @staticmethod
    def incomplete(partial, expected):
        """What readexactly raises at end of stream, as the runtime's own streams do."""
        if MICROPYTHON:
            return EOFError()
        return asyncio.IncompleteReadError(partial, expected)

    @staticmethod
    def failed(what, e):
        log.error("%s failed: %r" % (what, e))
        print_exception(e)


def print_exception(e):
    """The traceback of a device program's or app's exception (its author needs the line)."""
    if MICROPYTHON:
        sys.print_exception(e)
    else:
        import traceback
        traceback.print_exception(type(e), e, e.__traceback__)
