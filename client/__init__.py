"""A WireGuard client for MicroPython boards and CPython hosts."""
__version__ = "0.1.0"


def status():
    """Print the running client's status (on a board: `import client; client.status()`)."""
    from .loop import current
    if current is None:
        print("client not running")
        return
    from .compat import ticks_ms
    from .status import lines
    print("\n".join(lines(current, ticks_ms())))
