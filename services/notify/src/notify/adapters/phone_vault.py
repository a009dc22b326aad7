"""Phone numbers at rest: AES-256-GCM for storage, HMAC-SHA256 for lookups.

Both keys are derived from ``ANTRE_PHONE_KEY`` with HKDF under different labels, so the
lookup hash reveals nothing about the encryption key. Each ciphertext has a fresh random
nonce and is bound to its row (associated data), so a ciphertext copied into another
row does not decrypt there.
"""

import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from notify.domain.phone import PhoneNumber

_NONCE_BYTES = 12


def _derive(master: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(master)


class PhoneVault:
    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != 32:
            raise ValueError("the phone key must be 32 bytes")
        self._aead = AESGCM(_derive(master_key, b"antre notify phone encryption v1"))
        self._lookup_key = _derive(master_key, b"antre notify phone lookup v1")

    def encrypt(self, phone: PhoneNumber, *, row: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, phone.e164.encode(), row.encode())

    def decrypt(self, blob: bytes, *, row: str) -> PhoneNumber:
        """Raises cryptography.exceptions.InvalidTag if the blob is not this row's."""
        nonce, ciphertext = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
        return PhoneNumber(self._aead.decrypt(nonce, ciphertext, row.encode()).decode())

    def seal_text(self, text: str, *, row: str) -> bytes:
        """Another secret a citizen owns (a ticket's access token), encrypted the same way."""
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, text.encode(), row.encode())

    def open_text(self, blob: bytes, *, row: str) -> str:
        nonce, ciphertext = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
        return self._aead.decrypt(nonce, ciphertext, row.encode()).decode()

    def lookup_hash(self, phone: PhoneNumber) -> bytes:
        return hmac.new(self._lookup_key, phone.e164.encode(), hashlib.sha256).digest()
