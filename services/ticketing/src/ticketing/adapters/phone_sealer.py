"""Seal a phone number to notify's public key: ticketing can write the box, never read it."""

from antre_platform.sealed import seal


class PhoneHandoffUnavailable(RuntimeError):
    """No notify public key is configured, so a phone number cannot be accepted."""


class NotifyPhoneSealer:
    def __init__(self, notify_public_key: str) -> None:
        self._public_key = notify_public_key

    def __call__(self, phone: str) -> str:
        if not self._public_key:
            raise PhoneHandoffUnavailable(
                "Phone notifications are not configured on this server (ANTRE_NOTIFY_PUBLIC_KEY is empty); "
                "take the ticket without a phone number."
            )
        return seal(self._public_key, phone.encode())
