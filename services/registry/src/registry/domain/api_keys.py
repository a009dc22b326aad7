"""Agency API keys and staff tokens: shown once, stored as a hash next to a visible prefix.

A key looks like ``ak_live_ab12cd34Xy...``: the first 16 characters (``ak_live_`` and 8 hex
digits) are stored in clear so people can tell keys apart and find a leaked one; the
rest is 256 bits of secret. Keys carry that much entropy, so one SHA-256 is enough to
store them (slow password hashes are for guessable secrets).
"""

import base64
import hashlib
from dataclasses import dataclass

KEY_PREFIX = "ak_live_"
VISIBLE_LENGTH = len(KEY_PREFIX) + 8
ENTROPY_BYTES = 32


@dataclass(frozen=True)
class MintedKey:
    key: str
    prefix: str
    key_hash: str


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def mint_api_key(entropy: bytes) -> MintedKey:
    """A key made from ``entropy`` (random bytes the caller draws, at least 32 + 4)."""
    if len(entropy) < ENTROPY_BYTES + 4:
        raise ValueError(f"an API key needs {ENTROPY_BYTES + 4} random bytes")
    visible = entropy[:4].hex()
    secret = base64.urlsafe_b64encode(entropy[4 : 4 + ENTROPY_BYTES]).decode().rstrip("=")
    key = f"{KEY_PREFIX}{visible}{secret}"
    return MintedKey(key=key, prefix=key[:VISIBLE_LENGTH], key_hash=hash_api_key(key))


STAFF_TOKEN_PREFIX = "st_"
STAFF_VISIBLE_LENGTH = len(STAFF_TOKEN_PREFIX) + 8


def mint_staff_token(entropy: bytes) -> MintedKey:
    """A counter officer's token (``st_`` + 8 visible hex digits + 256 secret bits)."""
    if len(entropy) < ENTROPY_BYTES + 4:
        raise ValueError(f"a staff token needs {ENTROPY_BYTES + 4} random bytes")
    secret = base64.urlsafe_b64encode(entropy[4 : 4 + ENTROPY_BYTES]).decode().rstrip("=")
    token = f"{STAFF_TOKEN_PREFIX}{entropy[:4].hex()}{secret}"
    return MintedKey(key=token, prefix=token[:STAFF_VISIBLE_LENGTH], key_hash=hash_api_key(token))
