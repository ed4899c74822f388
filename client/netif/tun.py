"""The "tun" netif (Linux, CPython): a real TUN device with the config's addresses and routes.

The interface is created non-persistent: closing the file descriptor removes it and its routes.
Same interface as the stack netif (stack.py): `write` from the tunnel, `ready` when poll() says
the device has packets for the tunnel (sent on through `send`), `service`, `next_deadline`, `close`.
"""
import fcntl
import os
import select
import struct
import subprocess

_READ_BURST = 64  # packets read per wake-up before the loop's other work gets its turn
_TUNSETIFF = 0x400454CA
_IFF_TUN = 0x0001
_IFF_NO_PI = 0x1000


class Tun:
    def __init__(self, name, addresses, routes, mtu, poller, send):
        """send(packet, now): into the tunnel."""
        self.name = name
        self.send = send
        self.fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
        try:
            fcntl.ioctl(self.fd, _TUNSETIFF, struct.pack("16sH", name.encode(), _IFF_TUN | _IFF_NO_PI))
            if not any(":" in a for a in addresses):
                self._disable_ipv6()
            for address in addresses:
                self._ip("addr", "add", address, "dev", name)
            self._ip("link", "set", name, "mtu", str(mtu), "up")
            for route in routes:
                self._ip("route", "replace", route, "dev", name)
        except Exception:
            self.close()
            raise
        poller.register(self.fd, select.POLLIN)

    def _disable_ipv6(self):
        # Without it the kernel sends router solicitations and MLD reports into the tunnel,
        # which wake the loop only to be dropped (no route).
        try:
            with open("/proc/sys/net/ipv6/conf/%s/disable_ipv6" % self.name, "w") as f:
                f.write("1")
        except OSError:
            pass

    def _ip(self, *args):
        family = ["-6"] if any(":" in a for a in args) else []
        r = subprocess.run(["ip"] + family + list(args), capture_output=True, text=True)
        if r.returncode != 0:
            raise OSError("ip %s: %s" % (" ".join(args), r.stderr.strip()))

    def ready(self, obj, now):
        for _ in range(_READ_BURST):
            try:
                packet = os.read(self.fd, 65535)
            except BlockingIOError:
                return
            self.send(packet, now)

    def write(self, packet, now):
        os.write(self.fd, packet)

    def service(self, now):
        pass  # the kernel's stack keeps its own timers

    def next_deadline(self):
        return None

    def close(self, now):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
