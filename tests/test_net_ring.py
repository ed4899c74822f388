"""The byte ring under TCP's buffers: every operation against a plain bytes model, across wrap-around."""
from client.net.ring import Ring


def _ops(seed, count):
    x = seed
    for _ in range(count):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        yield x


def test_ring_matches_a_bytes_model_with_in_place_fill_and_drain():
    ring, model, fed = Ring(37), b"", 0
    for x in _ops(7, 3000):
        op, n = x % 5, (x >> 8) % 40
        if op == 0:  # write (copying)
            data = bytes((fed + i) & 0xFF for i in range(n))
            took = ring.write(data)
            assert took == min(n, 37 - len(model))
            model += data[:took]
            fed += took
        elif op == 1:  # fill the free tail in place, as a socket's readinto does
            view = ring.tail()
            k = min(n, len(view))
            assert len(view) <= ring.free and (len(view) > 0 or ring.free == 0)
            for i in range(k):
                view[i] = (fed + i) & 0xFF
            ring.commit(k)
            model += bytes((fed + i) & 0xFF for i in range(k))
            fed += k
        elif op == 2:  # drain from the head in place, as a socket's send does
            head = ring.head()
            assert bytes(head) == model[:len(head)] and (len(head) > 0 or not model)
            k = min(n, len(head))
            ring.discard(k)
            model = model[k:]
        elif op == 3:
            assert ring.read(n) == model[:n]
            model = model[n:]
        else:
            assert bytes(ring.peek(0, n)) == model[:n]
        assert len(ring) == len(model) and ring.free == 37 - len(model)
