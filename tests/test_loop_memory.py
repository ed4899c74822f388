"""Memory on a board: the config parser leaves RAM after use, and a MemoryError mid-step costs a
packet (counted, with a growing back-off instead of a spin), never the client. Both runtimes."""
# tools/test runs this module on the 32-bit board proxy with more heap than 96K: mprun and this test
# load first, so the 32 KB ring pool __main__ allocates before any code finds no free run (test
# data, not the client).
UNIX32_HEAP = "192K"
import asyncio
import json
import sys
from binascii import b2a_base64

import client.__main__ as entry
from client import config, crypto, loop
from client.__main__ import _load_config
from tests.test_config import good

STATE = "/tmp/wg-test-loop-memory-state.json"


class _Poller:
    """The loop's asyncio wait (client/aio.py), faked: nothing is ever ready; the back-off's
    pauses are recorded instead of slept."""

    def __init__(self):
        self.timeouts = []
        self.sleeps = []

    async def wait(self, timeout, now):
        self.timeouts.append(timeout)
        return []

    async def sleep(self, ms):
        self.sleeps.append(ms)

    def unregister(self, obj):
        pass

    def close(self):
        pass


def _client():
    raw = good()
    raw["state_file"] = STATE
    other = crypto.public_key(bytes(range(1, 33)))  # good() pairs the key with its own public key
    raw["peers"][0]["public_key"] = b2a_base64(other).decode().strip()
    cfg = config.parse(raw)
    client = loop.Client(cfg, buffers=entry._stack_buffers(cfg))  # as __main__ does: before the code loads
    client.poller = _Poller()
    return client


def test_memory_error_in_a_step_is_counted_backed_off_and_survived():
    client = _client()
    pauses = client.poller.sleeps

    def out_of_memory(events, now):
        raise MemoryError

    async def steps():
        client._handle = out_of_memory
        for _ in range(4):
            await client.step()
        assert client.oom.failures == 4 and client.oom.streak == 4
        assert pauses == [10, 20, 40]  # before steps 2, 3, 4
        client._handle = lambda events, now: None
        await client.step()
        await client.step()
        assert client.oom.streak == 0 and pauses == [10, 20, 40, 80]  # none after recovery

    asyncio.run(steps())


def test_config_parser_is_dropped_after_loading():
    path = "/tmp/wg-test-loop-memory-config.json"
    raw = good()
    raw["state_file"] = STATE
    with open(path, "w") as f:
        f.write(json.dumps(raw))
    cfg = _load_config(path)
    assert cfg.peers[0].persistent_keepalive == 25
    assert "client.config" not in sys.modules and "config" not in sys.modules["client"].__dict__
    with open(path, "w") as f:
        f.write("{")
    assert _load_config(path) == "config: %s: not valid JSON" % path
    assert "client.config" not in sys.modules


def test_exit_on_a_full_heap_still_closes_and_reports():
    client = _client()
    printed = []
    real_print = entry._print_status

    def close_fails(*_):
        raise MemoryError

    def print_fails_once(c):
        printed.append(c)
        if len(printed) == 1:
            raise MemoryError

    try:
        client.close = close_fails
        entry._print_status = printed.append
        entry._finish(client)  # close ran out of memory: the status is still printed
        assert printed == [client]
        printed.clear()
        client.close = lambda: None
        entry._print_status = print_fails_once
        entry._finish(client)  # formatting ran out once: collected and printed again
        assert printed == [client, client]
        entry._print_status = close_fails  # never enough: one fallback line, no traceback
        entry._finish(client)
    finally:
        entry._print_status = real_print
