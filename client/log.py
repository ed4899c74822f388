"""One-line log messages with a level filter (config "log"): "wg: <level>: <message>"."""
import sys

_LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}
_threshold = [20]


def set_level(name):
    _threshold[0] = _LEVELS[name]


def _log(level, msg):
    if _LEVELS[level] >= _threshold[0]:
        print("wg: %s: %s" % (level, msg))
        if hasattr(sys.stdout, "flush"):
            sys.stdout.flush()


def debug(msg):
    _log("debug", msg)


def info(msg):
    _log("info", msg)


def warning(msg):
    _log("warning", msg)


def error(msg):
    _log("error", msg)


def format_endpoint(endpoint):
    """(host, port) tuples, lwIP tuples, or raw sockaddr_in bytes (MicroPython unix) as host:port."""
    if endpoint is None:
        return "(none)"
    if isinstance(endpoint, (bytes, bytearray)) and len(endpoint) >= 8 and endpoint[0] == 2:
        return "%d.%d.%d.%d:%d" % (endpoint[4], endpoint[5], endpoint[6], endpoint[7],
                                   (endpoint[2] << 8) | endpoint[3])
    if isinstance(endpoint, tuple) and len(endpoint) >= 2:
        return "%s:%d" % (endpoint[0], endpoint[1])
    return repr(endpoint)
