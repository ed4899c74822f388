"""The userspace IPv4 stack for boards (the TUN-equivalent), sans-I/O: wire formats per layer,
sockets as state machines driven by `now`, a dispatcher (`stack.Stack`), the device-program API
(`api`) and address text (`addr`). The bridge to local sockets is client/netif/forward.py."""
