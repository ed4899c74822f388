"""WireGuard's constants (protocol.md), units in the names.

Specification values first (whitepaper §6 / kernel messages.h), then this implementation's choices.
"""
from ..compat import const

# --- Specification: timers (protocol.md §4) ---
REKEY_AFTER_MESSAGES = 1 << 60
REJECT_AFTER_MESSAGES = (1 << 64) - (1 << 13) - 1
REKEY_AFTER_TIME_MS = const(120_000)
REJECT_AFTER_TIME_MS = const(180_000)
REKEY_ATTEMPT_TIME_MS = const(90_000)
REKEY_TIMEOUT_MS = const(5_000)
REKEY_TIMEOUT_JITTER_MAX_MS = const(333)  # jitter drawn from [0, 333) ms
KEEPALIVE_TIMEOUT_MS = const(10_000)
MAX_TIMER_HANDSHAKES = const(18)  # REKEY_ATTEMPT_TIME / REKEY_TIMEOUT
ZERO_KEYS_AFTER_MS = const(540_000)  # 3 * REJECT_AFTER_TIME
# Initiator, after receiving: rekey once when keys are this old (kernel keep_key_fresh receive side).
REKEY_ON_RECEIVE_AFTER_MS = const(165_000)  # REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT
INITIATION_FLOOD_MS = const(20)  # at most 50 initiations per second per peer are consumed
COOKIE_FRESH_MS = const(120_000)  # a cookie is used for mac2 while younger than this
COOKIE_SECRET_MAX_AGE_MS = const(120_000)  # responder rotates its cookie secret this often
PERSISTENT_KEEPALIVE_MAX_S = const(65535)

# --- Specification: messages (protocol.md §1) ---
MESSAGE_INITIATION = const(1)
MESSAGE_RESPONSE = const(2)
MESSAGE_COOKIE_REPLY = const(3)
MESSAGE_TRANSPORT = const(4)
INITIATION_SIZE = const(148)
RESPONSE_SIZE = const(92)
COOKIE_REPLY_SIZE = const(64)
TRANSPORT_HEADER_SIZE = const(16)
TAG_SIZE = const(16)
TRANSPORT_MIN_SIZE = const(32)  # header + tag: a keepalive
PADDING_MULTIPLE = const(16)

CONSTRUCTION = b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
IDENTIFIER = b"WireGuard v1 zx2c4 Jason@zx2c4.com"
LABEL_MAC1 = b"mac1----"
LABEL_COOKIE = b"cookie--"

# --- This implementation ---
REPLAY_WINDOW_BITS = const(2048)  # ring size; usable window is this minus one 8-bit block
QUEUE_MAX_PACKETS = const(16)  # packets waiting for a session, per peer (oldest dropped)
DEFAULT_MTU = const(1420)
DATAGRAM_SLACK = const(128)  # a datagram is read with room for mtu + this (header, tag, padding)

# --- This implementation: hostile load (issue 12; README "Under load") ---
# Handshake work is X25519 operations on received handshake messages, each costing the runtime's
# measured X25519 time (client/calibrate.py); the device goes under load when that work would
# exceed LOAD_SHARE_PERCENT of the time, after a burst of HANDSHAKE_BURST_DH operations.
LOAD_SHARE_PERCENT = const(10)  # handshake work may take this share of the time in the long run
HANDSHAKE_BURST_DH = const(8)  # X25519 ops in the bucket: a responder and an initiator handshake at once, + 2
UNDER_LOAD_LINGER_MS = const(1000)  # under load until 1 s after the last excess (wireguard-go UnderLoadAfterTime)
DH_COST_DEFAULT_US = const(3000)  # until measured (the client measures its own): README's unix-port figure
DH_COST_MIN_US = const(10)  # a measurement is clamped into MIN..MAX
DH_COST_MAX_US = const(10_000_000)
INITIATION_VERIFY_DH = const(1)  # X25519 to verify an initiation (es; ss is precomputed per peer)
RESPONSE_CREATE_DH = const(3)  # to answer it: the ephemeral's public key, ee, se
RESPONSE_VERIFY_DH = const(2)  # to verify a response: ee, se
LOAD_WINDOW_MS = const(10_000)  # the status's peak handshake work share is over windows this long
# Cookie replies per source address (kernel ratelimiter.c: PACKETS_PER_SECOND 20, PACKETS_BURSTABLE 5).
COOKIE_REPLIES_PER_S = const(20)
COOKIE_REPLY_BURST = const(5)
COOKIE_SOURCES_MAX = const(32)  # source addresses tracked at once (configured peers' endpoints apart)
