"""A WireGuard client for MicroPython boards and CPython hosts."""
__version__ = "0.1.0"
