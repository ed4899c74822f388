"""A fixed-size byte ring: TCP send and receive buffers without per-segment allocation.

(MicroPython's bytearray cannot delete a slice, and re-slicing would copy the whole buffer.)
"""


class Ring:
    def __init__(self, size, buf=None):
        """buf: a memoryview of size bytes to use (the stack carves its rings from one block)."""
        self.buf = bytearray(size) if buf is None else buf
        self.size = size
        self.start = 0
        self.length = 0

    def __len__(self):
        return self.length

    @property
    def free(self):
        return self.size - self.length

    def write(self, data):
        """Append as much of data as fits; returns the count."""
        n = min(len(data), self.size - self.length)
        if n <= 0:
            return 0
        mv = memoryview(data)
        pos = (self.start + self.length) % self.size
        first = min(n, self.size - pos)
        self.buf[pos:pos + first] = mv[:first]
        if n > first:
            self.buf[:n - first] = mv[first:n]
        self.length += n
        return n

    def clear(self):
        self.start = self.length = 0

    def tail(self):
        """The contiguous free space after the data, as a memoryview to fill in place; then commit(n)."""
        if self.length == self.size:
            return memoryview(self.buf)[:0]
        pos = (self.start + self.length) % self.size
        end = self.size if self.start + self.length < self.size else self.start
        return memoryview(self.buf)[pos:end]

    def commit(self, n):
        """n bytes written into tail() become data."""
        self.length += n

    def head(self):
        """The contiguous data at the front, as a memoryview (consume with discard(n))."""
        return memoryview(self.buf)[self.start:min(self.start + self.length, self.size)]

    def peek(self, offset, n):
        """n bytes from offset (a memoryview when contiguous, else a copy)."""
        n = min(n, self.length - offset)
        if n <= 0:
            return memoryview(self.buf)[:0]
        pos = (self.start + offset) % self.size
        if pos + n <= self.size:
            return memoryview(self.buf)[pos:pos + n]
        first = self.size - pos
        return bytes(self.buf[pos:]) + bytes(self.buf[:n - first])

    def discard(self, n):
        n = min(n, self.length)
        if n <= 0:
            return
        self.start = (self.start + n) % self.size
        self.length -= n
        if not self.length:
            self.start = 0

    def read(self, n):
        data = bytes(self.peek(0, n))
        self.discard(len(data))
        return data
