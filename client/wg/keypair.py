"""Transport keypairs and the current/previous/next slots of a peer (protocol.md §6)."""
from ..compat import ticks_diff
from .constants import REJECT_AFTER_MESSAGES, REJECT_AFTER_TIME_MS
from .replay import ReplayWindow


class Keypair:
    def __init__(self, peer, send_key, receive_key, initiator, local_index, remote_index, now):
        self.peer = peer
        self.send_key = bytearray(send_key)
        self.receive_key = bytearray(receive_key)
        self.initiator = initiator
        self.local_index = local_index
        self.remote_index = remote_index
        self.created = now
        self.send_counter = 0
        self.sending_valid = True
        self.replay = ReplayWindow()

    def age_ms(self, now):
        return ticks_diff(now, self.created)

    def can_send(self, now):
        return (self.sending_valid and self.send_counter < REJECT_AFTER_MESSAGES
                and self.age_ms(now) < REJECT_AFTER_TIME_MS)

    def can_receive(self, now):
        return self.age_ms(now) < REJECT_AFTER_TIME_MS

    def wipe(self):
        for key in (self.send_key, self.receive_key):
            for i in range(32):
                key[i] = 0
        self.sending_valid = False


class Keypairs:
    """current (sends), previous (still decrypts), next (responder: unconfirmed until first data)."""

    def __init__(self, on_free):
        self.current = self.previous = self.next = None
        self._on_free = on_free  # removes a freed keypair's index from the device's table

    def _free(self, kp):
        if kp is not None:
            kp.wipe()
            self._on_free(kp)

    def install(self, kp):
        if kp.initiator:
            # Confirmed by the response we consumed: usable at once (kernel add_new_keypair).
            if self.next is not None:
                self._free(self.previous)
                self.previous = self.next
                self.next = None
                self._free(self.current)
            else:
                self._free(self.previous)
                self.previous = self.current
        else:
            # Unconfirmed until the initiator's first transport message arrives under it.
            self._free(self.next)
            self.next = kp
            self._free(self.previous)
            self.previous = None
            return
        self.current = kp

    def received_with(self, kp):
        """Promote `next` when data first arrives under it; True if that happened."""
        if kp is not self.next:
            return False
        self._free(self.previous)
        self.previous = self.current
        self.current = kp
        self.next = None
        return True

    def clear(self):
        for kp in (self.current, self.previous, self.next):
            self._free(kp)
        self.current = self.previous = self.next = None
