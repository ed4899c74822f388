"""The userspace IPv4 stack for boards (the TUN-equivalent): wire formats per layer, sockets as
state machines driven by `now`, a dispatcher (`stack.Stack`), and the bridge to local sockets."""
