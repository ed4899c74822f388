"""The core as the client's loop runs it: datagrams and packets handed to sinks as they are made,
transport messages sealed in the device's reused buffer, received packets borrowed from its receive
buffer (fake clock, both runtimes)."""
from client import crypto
from client.wg.constants import INITIATION_SIZE, REKEY_AFTER_TIME_MS, RESPONSE_SIZE
from tests.wgpair import IP_A, IP_B, Pair, ipv4


def test_handshake_data_and_rekey_through_the_sinks():
    p = Pair(sinks=True)
    p.a_sends(b"hello")
    assert [len(d) for d in p.sent("a")] == [INITIATION_SIZE, 64]
    assert [len(d) for d in p.sent("b")] == [RESPONSE_SIZE]
    assert p.received["b"] == [ipv4(IP_A, IP_B, b"hello")]
    p.b_sends(b"world")
    assert p.received["a"] == [ipv4(IP_B, IP_A, b"world")]
    assert not p.a.outbox and not p.a.inbox and not p.b.outbox and not p.b.inbox
    for _ in range(14):  # across the rekey at 120 s
        p.advance(10_000)
        p.a_sends()
        p.b_sends()
    assert p.pa.counters.handshakes["initiator"] == 2 and len(p.received["b"]) == 15 and len(p.received["a"]) == 15
    assert not p.a.drops and not p.b.drops


def test_padding_is_zero_in_the_reused_buffer():
    # A long packet fills the send buffer; each shorter one after it must still be padded with zeros.
    p = Pair(sinks=True)
    p.handshake()
    kp = p.pa.keypairs.current
    for size in (1000, 1, 17, 100, 3):
        p.a_sends(b"\xff" * size)
        datagram = p.sent("a")[-1]
        counter = int.from_bytes(datagram[8:16], "little")
        plain = crypto.aead_decrypt(kp.send_key, counter, datagram[16:], b"")
        packet = ipv4(IP_A, IP_B, b"\xff" * size)
        assert plain[:len(packet)] == packet and plain[len(packet):] == bytes(len(plain) - len(packet))
        assert len(plain) % 16 == 0 and p.received["b"][-1] == packet


def test_packets_queued_before_a_session_are_copies_of_the_callers_buffer():
    # The stack builds every packet in one reused buffer: what waits for the handshake must be a copy.
    p = Pair(sinks=True)
    p.drop = lambda sender, d: True  # no handshake yet
    buf = bytearray(ipv4(IP_A, IP_B, b"first"))
    p.a.send_packet(memoryview(buf), p.now)
    buf[20:25] = b"XXXXX"  # the caller reuses its buffer
    p.deliver()
    p.drop = None
    p.advance(REKEY_AFTER_TIME_MS // 20)  # the retransmitted initiation gets through
    assert p.received["b"] == [ipv4(IP_A, IP_B, b"first")]
