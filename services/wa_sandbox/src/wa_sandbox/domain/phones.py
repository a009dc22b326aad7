"""WhatsApp ids are phone numbers in international format, digits only (a "wa_id")."""

import re

_SEPARATORS = re.compile(r"[\s\-().]")
# E.164 allows at most 15 digits; fewer than 8 is no reachable mobile number anywhere.
_WA_ID = re.compile(r"[1-9]\d{7,14}")


class InvalidPhone(ValueError):
    """A value that cannot be a WhatsApp user's phone number."""


def to_wa_id(phone: str) -> str:
    """``"+62 812-3456-7890"`` -> ``"6281234567890"``, the form Meta uses in ``wa_id`` and webhooks."""
    digits = _SEPARATORS.sub("", phone.strip()).removeprefix("+")
    if not _WA_ID.fullmatch(digits):
        raise InvalidPhone(
            f"{phone!r} is not a phone number in international format: use 8 to 15 digits with the "
            "country code and no leading 0, e.g. 6281234567890 or +6281234567890"
        )
    return digits
