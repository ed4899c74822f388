"""Tiny IPv4/ICMP helpers for tests and lab harnesses (checksums per RFC 1071)."""
import struct


def checksum(data):
    if len(data) & 1:
        data = bytes(data) + b"\x00"
    total = 0
    for i in range(0, len(data), 2):
        total += (data[i] << 8) | data[i + 1]
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4_packet(src, dst, proto, payload, ttl=64):
    header = bytearray(struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, ttl, proto, 0,
                                   bytes(src), bytes(dst)))
    struct.pack_into(">H", header, 10, checksum(header))
    return bytes(header) + bytes(payload)


def icmp_echo(src, dst, ident, seq, reply=False, data=b"wg-micro"):
    body = bytearray(struct.pack(">BBHHH", 0 if reply else 8, 0, 0, ident, seq) + data)
    struct.pack_into(">H", body, 2, checksum(body))
    return ipv4_packet(src, dst, 1, body)


def parse_icmp_echo(packet):
    """(type, ident, seq, src, dst, data) of an IPv4 ICMP echo packet, or None."""
    if len(packet) < 28 or packet[0] != 0x45 or packet[9] != 1:
        return None
    kind, _, _, ident, seq = struct.unpack(">BBHHH", packet[20:28])
    if kind not in (0, 8):
        return None
    return kind, ident, seq, bytes(packet[12:16]), bytes(packet[16:20]), bytes(packet[28:])
