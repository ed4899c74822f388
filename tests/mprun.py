"""Run the test_* functions of tests/test_*.py on MicroPython; ends with "N passed, N failed".

Usage: micropython tests/mprun.py [--frozen] [module-name-substring ...]   (from the repository root)
  --frozen: import the client frozen into the firmware (tools/firmware unix32), not client/ here.
"""
import os
import sys

FROZEN = "--frozen" in sys.argv
if FROZEN:
    # Frozen modules first; "." stays for the tests package (the client/ folder here is shadowed).
    sys.path[:] = [".frozen", "."] + [p for p in sys.path if p not in ("", ".", ".frozen")]
else:
    sys.path.insert(0, ".")

from tests.harness import SkipTest, Skipped  # noqa: E402


def modules(filters):
    names = sorted(n[:-3] for n in os.listdir("tests") if n.startswith("test_") and n.endswith(".py"))
    return [n for n in names if not filters or any(f in n for f in filters)]


def run_module(name, counts):
    try:
        mod = __import__("tests." + name, None, None, ["x"])
    except Exception as e:
        print("FAIL  %s (import)" % name)
        sys.print_exception(e)
        counts[1] += 1
        return
    for attr in sorted(dir(mod)):
        fn = getattr(mod, attr)
        if not attr.startswith("test_") or not (callable(fn) or isinstance(fn, Skipped)):
            continue
        label = "%s::%s" % (name, attr)
        try:
            fn()
        except SkipTest as e:
            print("SKIP  %s: %s" % (label, e.args[0]))
            counts[2] += 1
        except Exception as e:
            print("FAIL  %s" % label)
            sys.print_exception(e)
            counts[1] += 1
        else:
            print("ok    %s" % label)
            counts[0] += 1


def main():
    counts = [0, 0, 0]  # passed, failed, skipped
    if FROZEN:
        import client
        if not client.__file__.startswith("client/"):  # frozen: the path as frozen, not ./client
            print("FAIL  --frozen: the client came from %s, not the firmware" % client.__file__)
            sys.exit(1)
    for name in modules([a for a in sys.argv[1:] if a != "--frozen"]):
        run_module(name, counts)
    print("%d skipped (listed above with their reasons)" % counts[2])
    print("%d passed, %d failed" % (counts[0], counts[1]))
    # A failure fails the run, and so does a run that found no test at all; a module whose tests
    # all skip on this runtime (CPython-only, each with its reason listed) passes.
    sys.exit(1 if counts[1] or not (counts[0] or counts[2]) else 0)


main()
