"""TCP (RFC 9293 subset): wire format, connections as state machines driven by `now`, listeners.

What is here: passive and active open, the MSS option, in-order delivery with out-of-order
segments buffered inside the window, retransmission with the RFC 6298 RTO (Karn's rule,
exponential backoff) and fast retransmit on three duplicate ACKs, the receive window and
zero-window probing, FIN both ways, RST on abort and for segments nobody wants, a bounded
TIME-WAIT. Not here: window scaling, SACK, timestamps, urgent data, congestion control (the
tunnel is one hop to a server; flow control is the receiver's window).

Sequence numbers are 32-bit and compared modulo 2^32 (`_lt`, `_diff`).
"""
import struct

from ..compat import const, earliest, ticks_add, ticks_diff
from .checksum import transport_checksum
from .ipv4 import HEADER_SIZE as IP_HEADROOM
from .ring import Ring

HEADER_SIZE = const(20)
FIN = const(0x01)
SYN = const(0x02)
RST = const(0x04)
PSH = const(0x08)
ACK = const(0x10)
_M32 = 0xFFFFFFFF
_HALF = 0x80000000
_MAX_WINDOW = const(65535)  # no window scaling
DEFAULT_MSS = const(536)  # RFC 9293 §3.7.1, when the peer sends no MSS option

# States (RFC 9293 §3.3.2)
CLOSED = const(0)
SYN_SENT = const(2)
SYN_RECEIVED = const(3)
ESTABLISHED = const(4)
FIN_WAIT_1 = const(5)
FIN_WAIT_2 = const(6)
CLOSE_WAIT = const(7)
CLOSING = const(8)
LAST_ACK = const(9)
TIME_WAIT = const(10)
STATE_NAMES = ("CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
               "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT")

# RFC 6298: initial RTO 1 s, a floor (1 s there; a tunnel to one server allows less), a ceiling.
RTO_INITIAL_MS = const(1000)
RTO_MIN_MS = const(200)
RTO_MAX_MS = const(60_000)
MAX_RETRANSMITS = const(10)
PERSIST_MAX_MS = const(30_000)


def _diff(a, b):
    """a - b as a signed 32-bit sequence-space distance."""
    return ((a - b + _HALF) & _M32) - _HALF


def _lt(a, b):
    return _diff(a, b) < 0


def _le(a, b):
    return _diff(a, b) <= 0


class Segment:
    """The fields of a received, checksum-verified segment; data is a memoryview slice."""

    def __init__(self, src_port, dst_port, seq, ack, flags, window, mss, data):
        self.src_port = src_port
        self.dst_port = dst_port
        self.seq = seq
        self.ack = ack
        self.flags = flags
        self.window = window
        self.mss = mss
        self.data = data

    def length(self):
        """Sequence space the segment occupies: data, plus one for SYN and for FIN."""
        return len(self.data) + (1 if self.flags & SYN else 0) + (1 if self.flags & FIN else 0)


def parse(packet, start, end, src, dst):
    """A Segment, or the name of a drop counter."""
    if end - start < HEADER_SIZE:
        return "tcp_short"
    if transport_checksum(packet, start, end, src, dst, 6):
        return "tcp_bad_checksum"
    src_port, dst_port, seq, ack, off_flags, window = struct.unpack_from(">HHIIHH", packet, start)
    offset = (off_flags >> 12) * 4
    if offset < HEADER_SIZE or start + offset > end:
        return "tcp_bad_header"
    mss = None
    i = start + HEADER_SIZE
    while i < start + offset:
        kind = packet[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= start + offset or packet[i + 1] < 2:
            return "tcp_bad_header"
        if kind == 2 and packet[i + 1] == 4 and i + 4 <= start + offset:
            mss = (packet[i + 2] << 8) | packet[i + 3]
        i += packet[i + 1]
    return Segment(src_port, dst_port, seq, ack, off_flags & 0x3F, window, mss,
                   memoryview(packet)[start + offset:end])


def emit(src, dst, src_port, dst_port, seq, ack, flags, window, data=b"", mss=None, headroom=0, out=None):
    """The TCP segment (header, optional MSS option, data) with its checksum, at buf[headroom:]:
    the stack passes the IP header's size so the packet is built in one buffer, and `out` (a
    memoryview it reuses) when the packet will be consumed before the next one is built."""
    options = 4 if mss is not None else 0
    h = headroom
    total = h + HEADER_SIZE + options + len(data)
    seg = out[:total] if out is not None and total <= len(out) else bytearray(total)
    struct.pack_into(">HHIIHHHH", seg, h, src_port, dst_port, seq & _M32, ack & _M32,
                     ((HEADER_SIZE + options) // 4) << 12 | flags, window, 0, 0)
    if mss is not None:
        struct.pack_into(">BBH", seg, h + HEADER_SIZE, 2, 4, mss)
    seg[h + HEADER_SIZE + options:] = data
    struct.pack_into(">H", seg, h + 16, transport_checksum(seg, h, len(seg), src, dst, 6))
    return seg


def reset_for(seg):
    """(seq, ack, flags) of the RST answering an unwanted segment (RFC 9293 §3.10.7.1)."""
    if seg.flags & ACK:
        return seg.ack, 0, RST
    return 0, (seg.seq + seg.length()) & _M32, RST | ACK


_NO_RING = Ring(0)  # a forgotten connection's buffers


class Connection:
    """One TCP connection. The application side: send(), recv(), close(), abort(), and the
    readable/writable/state properties; the stack side: segment_arrives(), output(), poll()."""

    def __init__(self, stack, local, remote, iss, rx, tx, now):
        """rx, tx: empty Rings, lent by the stack's pool for the connection's lifetime."""
        self.stack = stack
        self.local = local  # (ip bytes, port)
        self.remote = remote
        self.state = CLOSED
        self.error = None  # "reset", "refused", "timeout" when the peer went away
        self.iss = iss
        self.snd_una = iss
        self.snd_nxt = iss
        self.snd_max = iss  # highest sequence number sent (snd_nxt goes back on a retransmission)
        self.snd_wnd = 0
        self.snd_wl1 = 0
        self.snd_wl2 = 0
        self.peer_mss = DEFAULT_MSS
        self.mss = stack.mtu - 40
        self.tx = tx  # unacknowledged and unsent data; its first byte is tx_seq
        self.tx_seq = (iss + 1) & _M32
        self.rx = rx  # received in order, not yet read
        self.ooo = {}  # out-of-order segments inside the window: seq -> bytes
        self.irs = 0
        self.rcv_nxt = 0
        self.fin_wanted = False  # the application closed: send FIN after the data
        self.fin_seq = None  # sequence number of our FIN once sent
        self.fin_received = False
        self.ack_pending = False
        self.last_window = 0  # the window we advertised last
        self.dup_acks = 0
        self.recover = None  # snd_max when fast recovery began (RFC 6582 NewReno partial ACKs)
        self.rto_ms = RTO_INITIAL_MS
        self.srtt = None
        self.rttvar = 0
        self.rtx_deadline = None
        self.retransmits = 0
        self.timed_seq = None  # the segment being timed for an RTT sample (Karn: never a retransmit)
        self.timed_at = 0
        self.persist_deadline = None
        self.persist_ms = RTO_INITIAL_MS
        self.timewait_deadline = None
        self.created = now
        self.listener = None  # set for passive opens until accepted

    # --- application side ---

    def send(self, data):
        """Queue data; returns how many bytes fit in the send buffer (0 when full or closing)."""
        if self.state not in (ESTABLISHED, CLOSE_WAIT, SYN_SENT, SYN_RECEIVED) or self.fin_wanted:
            return 0
        return self.tx.write(data)

    def recv(self, n=4096):
        """Up to n bytes; b"" at end of stream (FIN received and everything read); None if nothing yet."""
        if len(self.rx):
            data = self.rx.read(n)
            self._window_opened()
            return data
        return b"" if self.eof else None

    # Zero-copy variants for the forwards: the socket reads into / sends from the rings themselves.

    def send_view(self):
        """The free part of the send buffer as a memoryview to fill, then send_commit(n); empty when
        nothing may be sent (full, closing, not established)."""
        if not self.writable_bytes:
            return memoryview(b"")
        return self.tx.tail()

    def send_commit(self, n):
        self.tx.commit(n)

    def recv_view(self):
        """Received bytes at the front of the receive buffer (a memoryview), then recv_consume(n)."""
        return self.rx.head()

    def recv_consume(self, n):
        self.rx.discard(n)
        self._window_opened()

    def _window_opened(self):
        if self.window() >= self.last_window + self.mss or (self.last_window < self.mss and self.window()):
            self.ack_pending = True  # tell the peer the window opened

    @property
    def eof(self):
        """Everything the peer sent was read, and it sent FIN (or the connection is gone)."""
        return not len(self.rx) and (self.fin_received or self.state == CLOSED)

    @property
    def readable(self):
        return len(self.rx) > 0 or self.fin_received or self.state == CLOSED

    @property
    def writable_bytes(self):
        if self.state not in (ESTABLISHED, CLOSE_WAIT) or self.fin_wanted:
            return 0
        return self.tx.free

    def release_buffers(self):
        """The rings, emptied, back to the stack's pool once the stack forgets the connection; the
        connection keeps empty zero-size rings, so a late read finds nothing (and never another
        connection's bytes)."""
        rings = (self.rx, self.tx)
        for ring in rings:
            ring.clear()
        self.rx = self.tx = _NO_RING
        return rings

    def close(self):
        """Send FIN once every queued byte went out (graceful close)."""
        if self.state in (SYN_SENT, CLOSED):
            self._become_closed(None)
        else:
            self.fin_wanted = True

    def abort(self):
        """RST now and forget the connection."""
        if self.state not in (CLOSED, SYN_SENT, TIME_WAIT):
            self._send(self.snd_nxt, RST | ACK)
        self._become_closed("aborted")

    @property
    def established(self):
        return self.state in (ESTABLISHED, CLOSE_WAIT)

    # --- opening ---

    def open_active(self, now):
        self.state = SYN_SENT
        self._send_syn(now)

    def open_passive(self, seg, now):
        self.irs = seg.seq
        self.rcv_nxt = (seg.seq + 1) & _M32
        self._peer_options(seg)
        self.snd_wnd = seg.window
        self.snd_wl1, self.snd_wl2 = seg.seq, seg.ack
        self.state = SYN_RECEIVED
        self._send_syn(now)

    def _peer_options(self, seg):
        if seg.mss:
            self.peer_mss = seg.mss
        self.mss = min(self.stack.mtu - 40, self.peer_mss)

    def _send_syn(self, now):
        flags = SYN | (ACK if self.state == SYN_RECEIVED else 0)
        self._send(self.iss, flags, mss=self.stack.mtu - 40)
        self.snd_nxt = self.snd_max = (self.iss + 1) & _M32
        self._arm_rtx(now)

    # --- output ---

    def window(self):
        # Out-of-order segments lie inside the window (between rcv_nxt and its end): not subtracted.
        return min(self.rx.free, _MAX_WINDOW)

    def _send(self, seq, flags, data=b"", mss=None):
        window = self.window()
        ack = self.rcv_nxt if flags & ACK else 0
        self.stack.send_tcp(self.local, self.remote,
                            emit(self.local[0], self.remote[0], self.local[1], self.remote[1], seq, ack,
                                 flags, window, data, mss, IP_HEADROOM, self.stack.packet_buffer()))
        if flags & ACK:
            self.ack_pending = False
            self.last_window = window

    def output(self, now):
        """Send what the peer's window and our buffer allow, a FIN when due, or a pending ACK."""
        if self.state in (ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK):
            self._send_data(now)
        if self.ack_pending and self.state != CLOSED:
            self._send(self.snd_nxt, ACK)

    def _send_data(self, now):
        while True:
            offset = _diff(self.snd_nxt, self.tx_seq)
            room = self.snd_wnd - _diff(self.snd_nxt, self.snd_una)
            if offset < len(self.tx):
                if room <= 0:
                    self._arm_persist(now)
                    return
                n = min(self.mss, len(self.tx) - offset, room)
                self._send(self.snd_nxt, ACK | PSH, self.tx.peek(offset, n))
                if self.timed_seq is None:
                    self.timed_seq, self.timed_at = self.snd_nxt, now
                self._advance(n, now)
                continue
            if self.fin_wanted and (self.fin_seq is None or self.snd_nxt == self.fin_seq):
                if self.fin_seq is None:  # first time: the state moves on
                    self.fin_seq = self.snd_nxt
                    self.state = FIN_WAIT_1 if self.state == ESTABLISHED else LAST_ACK
                self._send(self.fin_seq, FIN | ACK)
                self._advance(1, now)
            return

    def _advance(self, n, now):
        self.snd_nxt = (self.snd_nxt + n) & _M32
        if _lt(self.snd_max, self.snd_nxt):
            self.snd_max = self.snd_nxt
        self._arm_rtx(now)

    def _arm_rtx(self, now):
        if self.rtx_deadline is None:
            self.rtx_deadline = ticks_add(now, self.rto_ms)

    def _arm_persist(self, now):
        if self.snd_wnd == 0 and self.rtx_deadline is None and self.persist_deadline is None:
            self.persist_deadline = ticks_add(now, self.persist_ms)

    # --- timers ---

    def next_deadline(self):
        return earliest(earliest(self.rtx_deadline, self.persist_deadline), self.timewait_deadline)

    def poll(self, now):
        if self.timewait_deadline is not None and ticks_diff(now, self.timewait_deadline) >= 0:
            self._become_closed(None)
            return
        if self.rtx_deadline is not None and ticks_diff(now, self.rtx_deadline) >= 0:
            self._retransmit(now)
        if self.persist_deadline is not None and ticks_diff(now, self.persist_deadline) >= 0:
            self._probe_window(now)

    def _retransmit(self, now):
        self.rtx_deadline = None
        self.retransmits += 1
        if self.retransmits > MAX_RETRANSMITS:
            self.abort()
            self.error = "timeout"
            return
        self.rto_ms = min(self.rto_ms * 2, RTO_MAX_MS)  # exponential backoff (RFC 6298 5.5)
        self.timed_seq = None  # Karn: no RTT sample from a retransmitted segment
        self.recover = None
        self.stack.count("tcp_retransmits")
        if self.state in (SYN_SENT, SYN_RECEIVED):
            self._send_syn(now)
            return
        # Go back to the oldest unacknowledged byte and send again what the window allows.
        self.snd_nxt = self.snd_una
        self._send_data(now)
        self._arm_rtx(now)

    def _probe_window(self, now):
        # Zero-window probe as Linux sends it: an empty segment one below snd_una, which the peer
        # must answer with an ACK carrying its current window. (A byte of new data would be taken
        # if the window had opened meanwhile, and then acknowledged beyond snd_max: refused here, a
        # stall when the window update itself was lost - the regression test shows it.)
        self.persist_deadline = None
        offset = _diff(self.snd_nxt, self.tx_seq)
        if self.snd_wnd == 0 and offset < len(self.tx):
            self._send((self.snd_una - 1) & _M32, ACK)
            self.stack.count("tcp_window_probes")
            self.persist_ms = min(self.persist_ms * 2, PERSIST_MAX_MS)
            self.persist_deadline = ticks_add(now, self.persist_ms)

    def _become_closed(self, error):
        self.state = CLOSED
        if error and self.error is None:
            self.error = error
        self.rtx_deadline = self.persist_deadline = self.timewait_deadline = None
        self.ooo = {}

    def _enter_time_wait(self, now):
        self.state = TIME_WAIT
        self.rtx_deadline = self.persist_deadline = None
        self.timewait_deadline = ticks_add(now, self.stack.time_wait_ms)

    # --- input (RFC 9293 §3.10.7) ---

    def segment_arrives(self, seg, now):
        if self.state == SYN_SENT:
            self._arrives_syn_sent(seg, now)
            return
        if self.state == CLOSED:
            return
        if not self._acceptable(seg):
            if not seg.flags & RST:
                self.ack_pending = True
            self.stack.count("tcp_out_of_window")
            return
        if seg.flags & RST:
            if seg.seq == self.rcv_nxt:
                self._become_closed("reset")
            else:
                self.ack_pending = True  # RFC 5961 challenge ACK
            return
        if seg.flags & SYN:
            self.ack_pending = True  # a SYN in a synchronized state: challenge ACK, drop
            return
        if not seg.flags & ACK or not self._arrives_ack(seg, now):
            return
        self._arrives_data(seg, now)
        if seg.flags & FIN:
            self._arrives_fin(seg, now)

    def _acceptable(self, seg):
        length = seg.length()
        window = self.window()
        start = _diff(seg.seq, self.rcv_nxt)
        if length == 0:
            return start == 0 if window == 0 else 0 <= start < max(window, 1)
        if window == 0:
            return False
        end = start + length - 1
        return (0 <= start < window) or (0 <= end < window) or (start < 0 <= end)

    def _arrives_syn_sent(self, seg, now):
        if seg.flags & ACK and (_le(seg.ack, self.iss) or _lt(self.snd_max, seg.ack)):
            if not seg.flags & RST:
                self.stack.send_reset(self.local, self.remote, seg)
            return
        if seg.flags & RST:
            if seg.flags & ACK:
                self._become_closed("refused")
            return
        if not seg.flags & SYN:
            return
        self.irs = seg.seq
        self.rcv_nxt = (seg.seq + 1) & _M32
        self._peer_options(seg)
        self.snd_wnd = seg.window
        self.snd_wl1, self.snd_wl2 = seg.seq, seg.ack
        if seg.flags & ACK:
            self.snd_una = seg.ack
            self.rtx_deadline = None
            self.retransmits = 0
            self.state = ESTABLISHED
            self.ack_pending = True
        else:
            self.state = SYN_RECEIVED  # simultaneous open
            self._send_syn(now)

    def _arrives_ack(self, seg, now):
        """Process seg.ack; False when the segment must go no further."""
        if self.state == SYN_RECEIVED:
            if not (_lt(self.snd_una, seg.ack) and _le(seg.ack, self.snd_max)):
                self.stack.send_reset(self.local, self.remote, seg)
                return False
            self.state = ESTABLISHED
            if self.listener is not None:
                self.listener.ready(self)
        if _lt(self.snd_max, seg.ack):
            self.ack_pending = True  # acknowledges something never sent
            return False
        if _lt(self.snd_una, seg.ack):
            self._newly_acked(seg, now)
        elif seg.ack == self.snd_una and not len(seg.data) and seg.window == self.snd_wnd \
                and _lt(self.snd_una, self.snd_max):
            self.dup_acks += 1
            # RFC 5827 early retransmit: with few segments in flight, fewer duplicates suffice.
            in_flight = (_diff(self.snd_max, self.snd_una) + self.mss - 1) // self.mss
            if self.dup_acks == max(1, min(3, in_flight - 1)):
                self._fast_retransmit()
        if _lt(self.snd_wl1, seg.seq) or (self.snd_wl1 == seg.seq and _le(self.snd_wl2, seg.ack)):
            if seg.window and not self.snd_wnd:
                self.persist_deadline = None
                self.persist_ms = RTO_INITIAL_MS
            self.snd_wnd = seg.window
            self.snd_wl1, self.snd_wl2 = seg.seq, seg.ack
        self._fin_acked(seg, now)
        return self.state != CLOSED

    def _newly_acked(self, seg, now):
        if self.timed_seq is not None and _lt(self.timed_seq, seg.ack):
            self._rtt_sample(ticks_diff(now, self.timed_at))
            self.timed_seq = None
        acked_data = max(0, min(_diff(seg.ack, self.tx_seq), len(self.tx)))
        if acked_data:
            self.tx.discard(acked_data)
            self.tx_seq = (self.tx_seq + acked_data) & _M32
        self.snd_una = seg.ack
        if _lt(self.snd_nxt, self.snd_una):
            self.snd_nxt = self.snd_una  # data resent after a timeout had arrived the first time
        if self.recover is not None:
            if _lt(seg.ack, self.recover):
                self._fast_retransmit()  # a partial ACK: the next hole, at once
            else:
                self.recover = None
        self.dup_acks = 0
        self.retransmits = 0
        self.rtx_deadline = None
        if _lt(self.snd_una, self.snd_max):
            self._arm_rtx(now)  # restart for what is still in flight (RFC 6298 5.3)

    def _rtt_sample(self, rtt):
        # RFC 6298 §2: SRTT, RTTVAR, RTO = SRTT + 4 * RTTVAR, bounded.
        if self.srtt is None:
            self.srtt, self.rttvar = rtt, rtt // 2
        else:
            self.rttvar = (3 * self.rttvar + abs(self.srtt - rtt)) // 4
            self.srtt = (7 * self.srtt + rtt) // 8
        self.rto_ms = max(RTO_MIN_MS, min(self.srtt + max(4 * self.rttvar, 10), RTO_MAX_MS))

    def _fast_retransmit(self):
        if self.recover is None:
            self.recover = self.snd_max
        offset = _diff(self.snd_una, self.tx_seq)
        if 0 <= offset < len(self.tx):
            n = min(self.mss, len(self.tx) - offset)
            self._send(self.snd_una, ACK | PSH, self.tx.peek(offset, n))
            self.timed_seq = None
            self.stack.count("tcp_fast_retransmits")

    def _fin_acked(self, seg, now):
        if self.fin_seq is None or not _lt(self.fin_seq, seg.ack):
            return
        if self.state == FIN_WAIT_1:
            self.state = FIN_WAIT_2
        elif self.state == CLOSING:
            self._enter_time_wait(now)
        elif self.state == LAST_ACK:
            self._become_closed(None)

    def _arrives_data(self, seg, now):
        data = seg.data
        if not len(data) or self.state not in (ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2):
            return
        self.ack_pending = True
        start = _diff(seg.seq, self.rcv_nxt)
        if start < 0:
            data = data[-start:]  # the part we already have is trimmed
            start = 0
        room = self.window()
        if start > 0:
            # Out of order but inside the window: keep it for later (bounded by the window).
            if start + len(data) <= room and len(self.ooo) < 16:
                self.ooo[seg.seq] = bytes(data)
            self.stack.count("tcp_out_of_order")
            return
        data = data[:room]
        self.rx.write(data)
        self.rcv_nxt = (self.rcv_nxt + len(data)) & _M32
        self._pull_out_of_order()

    def _pull_out_of_order(self):
        # Segments that became contiguous join the stream (overlaps trimmed).
        moved = True
        while moved and self.ooo:
            moved = False
            for seq in list(self.ooo):
                start = _diff(seq, self.rcv_nxt)
                if start <= 0:
                    tail = self.ooo.pop(seq)[-start:]
                    tail = tail[:self.rx.free]
                    self.rx.write(tail)
                    self.rcv_nxt = (self.rcv_nxt + len(tail)) & _M32
                    moved = True

    def _arrives_fin(self, seg, now):
        if _diff((seg.seq + len(seg.data)) & _M32, self.rcv_nxt) != 0:
            return  # a FIN beyond a gap: it comes again with the retransmission
        self.rcv_nxt = (self.rcv_nxt + 1) & _M32
        self.fin_received = True
        self.ack_pending = True
        if self.state in (SYN_RECEIVED, ESTABLISHED):
            self.state = CLOSE_WAIT
        elif self.state == FIN_WAIT_1:
            self.state = CLOSING
        elif self.state == FIN_WAIT_2:
            self._enter_time_wait(now)
