"""python3 -m client --config FILE   |   micropython -m client --config FILE

Runs the client until Ctrl-C / SIGINT / SIGTERM; prints the status on SIGUSR1 (hosts) and at exit.
A bad config stops it with one line naming the key and the problem (exit status 2).
"""
import sys

from . import log

USAGE = "usage: -m client [--config FILE] [--run MODULE ...]   (default: config.json; MODULE has async main(net))"


def _arguments(argv):
    path = "config.json"
    programs = []
    i = 0
    while i < len(argv):
        if argv[i] in ("--config", "-c") and i + 1 < len(argv):
            path = argv[i + 1]
            i += 2
        elif argv[i].startswith("--config="):
            path = argv[i][len("--config="):]
            i += 1
        elif argv[i] == "--run" and i + 1 < len(argv):
            programs.append(argv[i + 1])
            i += 2
        else:
            return None, None
    return path, programs


def _start_programs(client, programs):
    """Device programs: modules with `async def main(net)`, run by the loop over the stack."""
    for name in programs:
        net = client.network_api()
        module = __import__(name, None, None, ["main"])
        net.spawn(module.main(net))


def _load_config(path):
    """The parsed config, or the one-line error. The parser is used once: it is dropped from RAM
    afterwards (about 10 KB of a board's heap)."""
    from . import config
    try:
        return config.load(path)
    except config.ConfigError as e:
        return str(e)
    finally:
        _unload("config")


def _stack_buffers(cfg):
    """The stack's TCP buffers for every connection, as one block allocated before the client's code
    is loaded: loading modules leaves a board's heap in pieces, where kilobyte blocks are then hard
    to find (measured on the unix port: 82 KB free, no free run over 11.4 KB)."""
    if cfg.netif != "stack":
        return None
    import gc
    gc.collect()
    return bytearray(cfg.tcp_connections * 2 * cfg.tcp_buffer)


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
    from .compat import ticks_ms
    from .status import lines
    print("\n".join(lines(client, ticks_ms())))
    if hasattr(sys.stdout, "flush"):
        sys.stdout.flush()


def main(argv):
    path, programs = _arguments(argv)
    if path is None:
        print(USAGE)
        return 2
    cfg = _load_config(path)
    if isinstance(cfg, str):
        print(cfg)
        return 2
    log.set_level(cfg.log)
    buffers = _stack_buffers(cfg)
    from .loop import Client
    try:
        client = Client(cfg, buffers=buffers)
        _start_programs(client, programs)
    except (OSError, ImportError, AttributeError) as e:
        print("wg: cannot start: %s" % e)
        return 1
    _signals(client)
    try:
        client.run()
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
