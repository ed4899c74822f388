"""python3 -m client --config FILE   |   micropython -m client --config FILE

Runs the client until Ctrl-C / SIGINT / SIGTERM; prints the status on SIGUSR1 (hosts) and at exit.
A bad config stops it with one line naming the key and the problem (exit status 2).

    --run MODULE   a device program: MODULE's `async def main(net)` runs beside the client with the
                   tunnel's sockets (client.net.api); one that raises is logged and listed in the
                   status, and the tunnel goes on
    --app MODULE   the board's app (main.py passes `--app app --route` when app.py is there):
                   `async def main(wg)` with the running client; a failing app is logged and the
                   tunnel goes on, and a tunnel that stops on an error starts again while the app
                   goes on
    --route        asyncio.open_connection / start_server go through the tunnel for its addresses

Everything runs in one asyncio loop (asyncio.run): the client's loop is one of its tasks.
"""
import sys

from . import log

USAGE = ("usage: -m client [--config FILE] [--run MODULE ...] [--app MODULE ...] [--route]   (default: "
         "config.json; --run MODULE has async main(net), --app MODULE async main(wg))")
RESTART_S = 5  # a tunnel that stopped on an error beside an app starts again after this pause


def _arguments(argv):
    """(config path, programs, apps, route), or None for a bad command line."""
    path = "config.json"
    programs = []
    apps = []
    route = False
    i = 0
    while i < len(argv):
        if argv[i] in ("--config", "-c") and i + 1 < len(argv):
            path = argv[i + 1]
            i += 2
        elif argv[i].startswith("--config="):
            path = argv[i][len("--config="):]
            i += 1
        elif argv[i] in ("--run", "--app") and i + 1 < len(argv):
            (programs if argv[i] == "--run" else apps).append(argv[i + 1])
            i += 2
        elif argv[i] == "--route":
            route = True
            i += 1
        else:
            return None
    return path, programs, apps, route


def _modules(names):
    return [(name, __import__(name, None, None, ["main"])) for name in names]


async def _app(client, name, module):
    """The board's app beside the client: an exception is logged (and listed in the status when the
    netif is the stack), never passed on to the tunnel."""
    if hasattr(client.netif, "network_api"):
        await client.network.spawn(module.main(client), "app " + name)
        return
    try:
        await module.main(client)
    except Exception as e:
        from .aio import Scheduler
        Scheduler.failed("app " + name, e)


async def _serve(client, programs, apps, route):
    """The client's loop as a task with the programs and apps beside it, until it ends: never on
    its own without an error; with an app, a tunnel error is logged and the tunnel starts again."""
    import asyncio
    client.start()
    client.task = asyncio.create_task(client.serve())
    if route:
        client.route()
    for name, module in programs:
        net = client.network
        net.spawn(module.main(net), name)
    for name, module in apps:
        asyncio.create_task(_app(client, name, module))
    while True:
        try:
            await client.task
            return
        except Exception as e:
            if not apps:
                raise
            log.error("tunnel stopped: %s; the app goes on, the tunnel starts again in %d s" % (e, RESTART_S))
            await asyncio.sleep(RESTART_S)
            client.task = asyncio.create_task(client.run())


def load_config(source):
    """config.json from a path, or a dict shaped like it; ConfigError (one line, the key) when bad.
    The parser is used once: it is dropped from RAM afterwards (about 10 KB of a board's heap)."""
    from . import config
    try:
        return config.load(source) if isinstance(source, str) else config.parse(source)
    finally:
        _unload("config")


def _load_config(path):
    """The parsed config, or the one-line error."""
    from .config import ConfigError
    try:
        return load_config(path)
    except ConfigError as e:
        return str(e)


def stack_buffers(cfg):
    """The stack's TCP buffers for every connection, as one block allocated before the client's code
    is loaded: loading modules leaves a board's heap in pieces, where kilobyte blocks are then hard
    to find (measured on the unix port: 82 KB free, no free run over 11.4 KB)."""
    if cfg.netif != "stack":
        return None
    import gc
    gc.collect()
    return bytearray(cfg.tcp_connections * 2 * cfg.tcp_buffer)


_stack_buffers = stack_buffers


def _pace_gc():
    """MicroPython: collect after every quarter of the free heap is allocated, not only when an
    allocation fails. Left to fail first, a board's heap ends up in pieces between the live objects
    of a busy stack: four downloads through forwards on the 32-bit board proxy at 96 KB stalled on
    "allocating 1548 bytes" (a datagram) with 20 KB free, 126 times in a row; paced, all four ran
    through with no MemoryError (README, "Memory (boards)")."""
    import gc
    if hasattr(gc, "threshold"):
        gc.collect()
        gc.threshold(max(4096, gc.mem_free() // 4))


def _unload(name):
    sys.modules.pop("client." + name, None)
    package = sys.modules.get("client")
    if package is not None and name in package.__dict__:
        delattr(package, name)


def _signals(client):
    try:
        import signal
    except ImportError:
        return  # MicroPython: Ctrl-C only (state is written ahead, so a kill loses nothing)

    def stop(signum, frame):
        raise KeyboardInterrupt

    def show(signum, frame):
        _print_status(client)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)  # also when started with SIGINT ignored (background jobs)
    signal.signal(signal.SIGUSR1, show)


def _finish(client):
    # Close (FIN/RST to the forwards' peers, TUN down) and print the status, even on a heap so full
    # that either fails: what is left is collected and the status is tried once more.
    import gc
    try:
        client.close()
    except MemoryError:
        gc.collect()
    for _ in range(2):
        try:
            _print_status(client)
            return
        except MemoryError:
            gc.collect()
    print("wg: out of memory: no status (out of memory %d times)" % client.oom.failures)


def _print_status(client):
    print(client.status())
    if hasattr(sys.stdout, "flush"):
        sys.stdout.flush()


def main(argv):
    args = _arguments(argv)
    if args is None:
        print(USAGE)
        return 2
    path, programs, apps, route = args
    cfg = _load_config(path)
    if isinstance(cfg, str):
        print(cfg)
        return 2
    log.set_level(cfg.log)
    buffers = _stack_buffers(cfg)
    _pace_gc()
    import asyncio
    from .loop import Client
    try:
        client = Client(cfg, buffers=buffers)
        programs = _modules(programs)
        apps = _modules(apps)
        if programs:
            client.network_api()  # device programs need the stack: said now, not from a task
    except (OSError, ImportError, AttributeError) as e:
        print("wg: cannot start: %s" % e)
        return 1
    _signals(client)
    from .compat import MICROPYTHON
    if hasattr(asyncio, "new_event_loop") and MICROPYTHON:
        asyncio.new_event_loop()  # MicroPython: nothing left over from an earlier run at the REPL
    try:
        asyncio.run(_serve(client, programs, apps, route))
    except KeyboardInterrupt:
        log.info("stopping")
    except OSError as e:
        log.error("stopped: %s" % e)
        return 1
    finally:
        _finish(client)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
