"""What the hall's board says aloud: numbers in Indonesian words, and the call announcement."""

import re
from typing import Final

_UNITS: Final = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan")
_SCALES: Final = ((1_000_000_000, "miliar"), (1_000_000, "juta"))


def number_words(n: int) -> str:
    """``23`` -> ``"dua puluh tiga"``; Indonesian says "se-" for one ten, hundred or thousand."""
    if n < 0:
        return f"minus {number_words(-n)}"
    if n < 10:
        return _UNITS[n]
    if n < 20:
        return {10: "sepuluh", 11: "sebelas"}.get(n) or f"{_UNITS[n - 10]} belas"
    if n < 100:
        return _join(f"{_UNITS[n // 10]} puluh", n % 10)
    if n < 1000:
        head = "seratus" if n // 100 == 1 else f"{_UNITS[n // 100]} ratus"
        return _join(head, n % 100)
    if n < 1_000_000:
        head = "seribu" if n // 1000 == 1 else f"{number_words(n // 1000)} ribu"
        return _join(head, n % 1000)
    for scale, name in _SCALES:
        if n >= scale:
            return _join(f"{number_words(n // scale)} {name}", n % scale)
    raise AssertionError("unreachable")  # every n >= 1_000_000 matched a scale


def _join(head: str, rest: int) -> str:
    return head if rest == 0 else f"{head} {number_words(rest)}"


def _spoken_digits(text: str) -> str:
    """Each run of digits as words: "Loket 12" -> "Loket dua belas"."""
    return re.sub(r"\d+", lambda m: number_words(int(m.group())), text)


def announcement(number: str, counter_name: str | None) -> str:
    """``A-023``, ``Loket 3`` -> "Nomor antrean A dua puluh tiga, silakan menuju loket tiga".

    The prefix is spelt letter by letter ("A B" for AB), so a speech engine never reads it as a word.
    """
    prefix, _, digits = number.rpartition("-")
    letters = " ".join(prefix) if prefix else ""
    spoken_number = number_words(int(digits)) if digits.isdigit() else _spoken_digits(number)
    called = " ".join(part for part in (letters, spoken_number) if part)
    where = _spoken_digits(counter_name).lower() if counter_name else "loket"
    return f"Nomor antrean {called}, silakan menuju {where}"
