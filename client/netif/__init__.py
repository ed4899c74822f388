"""Netifs: what carries the tunnel's packets on this side - a Linux TUN device (tun.py), or the
userspace stack (stack.py) with port forwards to the board's own sockets (forward.py)."""
