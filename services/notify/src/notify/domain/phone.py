"""Phone numbers as WhatsApp knows them: E.164, with Indonesian local forms accepted.

A phone number is personal data: it is only ever stored encrypted, never logged in
full (``mask``), and never put in an event.
"""

import re
from dataclasses import dataclass

_SEPARATORS = re.compile(r"[\s\-().]")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_INDONESIA = "62"


class InvalidPhoneNumber(ValueError):
    """Not a number WhatsApp can deliver to; the message says how to write one."""


@dataclass(frozen=True)
class PhoneNumber:
    e164: str

    @classmethod
    def parse(cls, text: str) -> "PhoneNumber":
        """Accept +62812..., 62812..., 0812... (Indonesian local) or any E.164 number."""
        compact = _SEPARATORS.sub("", text.strip())
        if compact.startswith("00"):
            compact = "+" + compact[2:]
        elif compact.startswith("0"):
            compact = "+" + _INDONESIA + compact[1:]
        elif compact.isdigit():
            # WhatsApp's wa_id form: the country code without "+".
            compact = "+" + compact
        if not _E164.match(compact):
            raise InvalidPhoneNumber(
                "a phone number is written as +62 followed by the number (e.g. +6281234567890) "
                "or as 0812... for an Indonesian number"
            )
        return cls(compact)

    @property
    def wa_id(self) -> str:
        """The digits without "+", as the Graph API's ``to`` and the webhook's ``from``."""
        return self.e164[1:]

    def masked(self) -> str:
        return mask(self.e164)

    def __str__(self) -> str:
        return self.masked()

    def __repr__(self) -> str:
        # Keeps the full number out of tracebacks and debug logs.
        return f"PhoneNumber({self.masked()!r})"


def mask(phone: str) -> str:
    """+6281234567890 -> +62812****890: enough to recognise, not enough to call."""
    if len(phone) <= 9:
        return "****"
    return f"{phone[:6]}****{phone[-3:]}"
