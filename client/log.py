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
