"""The WireGuard core, sans-I/O: handshake, sessions, timers, keepalive policy, routing (README, Layout).

Nothing here touches a socket, the netif or a clock: everything takes `now` (ms ticks) and bytes.
"""
