"""Sealed boxes: encrypt to a service's public key so that only that service can read.

Used to hand a citizen's phone number from ticketing to notify without ticketing ever
being able to read it back: ticketing holds only notify's public key. X25519 key
agreement with an ephemeral key, HKDF-SHA256, then AES-256-GCM.
"""

import base64
import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"antre sealed box v1"
_RAW = serialization.Encoding.Raw


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_keypair() -> tuple[str, str]:
    """(private, public), both base64url, for settings files."""
    private = X25519PrivateKey.generate()
    private_raw = private.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    public_raw = private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    return _b64(private_raw), _b64(public_raw)


def public_key_of(private_key: str) -> str:
    private = X25519PrivateKey.from_private_bytes(_unb64(private_key))
    return _b64(private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw))


def _key(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral_public + recipient_public, info=_INFO)
    return hkdf.derive(shared)


def seal(public_key: str, plaintext: bytes) -> str:
    recipient = X25519PublicKey.from_public_bytes(_unb64(public_key))
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    key = _key(ephemeral.exchange(recipient), ephemeral_public, _unb64(public_key))
    nonce = os.urandom(12)
    return _b64(ephemeral_public + nonce + AESGCM(key).encrypt(nonce, plaintext, None))


def unseal(private_key: str, sealed: str) -> bytes:
    """The plaintext; raises cryptography.exceptions.InvalidTag if it was not sealed to us."""
    private = X25519PrivateKey.from_private_bytes(_unb64(private_key))
    blob = _unb64(sealed)
    ephemeral_public, nonce, ciphertext = blob[:32], blob[32:44], blob[44:]
    recipient_public = private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
    key = _key(shared, ephemeral_public, recipient_public)
    return AESGCM(key).decrypt(nonce, ciphertext, None)
