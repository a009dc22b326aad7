"""Indonesian mobile numbers, normalised to E.164 (+628...), the form WhatsApp uses."""

import re

from ticketing.domain.errors import InvalidPhone

_SEPARATORS = re.compile(r"[\s\-.()/]")
# Mobile numbers start with 8 after the country code and have 9 to 12 digits in all.
_MOBILE = re.compile(r"8\d{8,11}")


def normalise_phone(raw: str) -> str:
    """``0812-3456-7890``, ``62812...`` or ``+62 812...`` → ``+6281234567890``."""
    digits = _SEPARATORS.sub("", raw.strip())
    if digits.startswith("+"):
        digits = digits[1:]
        if not digits.startswith("62"):
            raise InvalidPhone("only Indonesian mobile numbers (+62 8...) are supported")
    if digits.startswith("62"):
        digits = digits[2:]
        # People often keep the trunk 0 after the country code: +62 0812...
        digits = digits.removeprefix("0")
    elif digits.startswith("0"):
        digits = digits[1:]
    else:
        raise InvalidPhone("write the number as 08xx, 628xx or +628xx")
    if not _MOBILE.fullmatch(digits):
        raise InvalidPhone("not a plausible Indonesian mobile number: expected 08 followed by 8 to 11 digits")
    return f"+62{digits}"
