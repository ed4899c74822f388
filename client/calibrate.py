"""The runtime's X25519 cost, measured once at start-up: the core's under-load threshold derives
from it (client/wg/load.py; README "Under load"). The core reads no clock, so the measuring is
done here: one X25519 (the device's public key from its private key), a fraction of a millisecond
on a host, ~1.2 ms on the unix port, ~41 ms on a Pico (0.5 s with plain-Python crypto). A run
preempted by the OS can only measure too much, which makes the device go under load sooner: the
safe side.
"""
from . import crypto
from .compat import ticks_diff, ticks_us


def dh_cost_us(private_key):
    """µs taken by one X25519 on this runtime and crypto backend."""
    t0 = ticks_us()
    crypto.public_key(private_key)
    return ticks_diff(ticks_us(), t0)


def calibrate(device, private_key):
    """Time one X25519 and give the figure to the device's load meter; returns it (µs)."""
    us = dh_cost_us(private_key)
    device.load.set_dh_cost(us)
    return us
