"""Weekly opening hours: {"mon": [["08:00", "15:00"]], "fri": [["08:00", "11:30"], ["13:00", "15:00"]]}.

A day that is missing (or has no ranges) is closed. Ranges are local times in the site's
timezone, on the 24-hour clock; "24:00" may end a day. A range may not cross midnight
and ranges of one day may not overlap. The canonical form lists days Monday first and
ranges in time order, so equal hours always look the same in events and diffs.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise

DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_RANGES_PER_DAY = 8

WeeklyHours = dict[str, list[tuple[str, str]]]

_TIME = re.compile(r"^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$")


class InvalidHours(ValueError):
    """Opening hours that cannot be used; the message says which day and what to fix."""


def parse_weekly_hours(raw: Mapping[str, Sequence[Sequence[str]]]) -> WeeklyHours:
    """Check ``raw`` and return it in canonical form; raises :class:`InvalidHours`."""
    unknown = [day for day in raw if day not in DAYS]
    if unknown:
        raise InvalidHours(f'unknown day "{unknown[0]}": use {", ".join(DAYS)}')
    canonical: WeeklyHours = {}
    for day in DAYS:
        ranges = _parse_day(day, raw.get(day, ()))
        if ranges:
            canonical[day] = ranges
    return canonical


def _parse_day(day: str, ranges: Sequence[Sequence[str]]) -> list[tuple[str, str]]:
    if len(ranges) > MAX_RANGES_PER_DAY:
        raise InvalidHours(f"{day}: at most {MAX_RANGES_PER_DAY} opening ranges per day")
    parsed = sorted(_parse_range(day, item) for item in ranges)
    for earlier, later in pairwise(parsed):
        if later[0] < earlier[1]:
            raise InvalidHours(
                f"{day}: {_label(earlier)} and {_label(later)} overlap; "
                'give each period of the day once, e.g. ["08:00", "11:30"], ["13:00", "15:00"]'
            )
    return [(_clock(start), _clock(end)) for start, end in parsed]


def _parse_range(day: str, item: Sequence[str]) -> tuple[int, int]:
    if isinstance(item, str) or len(item) != 2:
        raise InvalidHours(f'{day}: each range is a pair ["HH:MM", "HH:MM"], got {item!r}')
    start, end = _minutes(day, item[0]), _minutes(day, item[1])
    if start >= end:
        raise InvalidHours(
            f"{day}: {item[0]}–{item[1]} does not end after it starts; "
            "a range cannot cross midnight, split it into two days"
        )
    return start, end


def _minutes(day: str, text: str) -> int:
    match = _TIME.match(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidHours(f'{day}: "{text}" is not a time; write HH:MM on the 24-hour clock, e.g. "08:00"')
    if match.group(1) is None:
        return 24 * 60
    return int(match.group(1)) * 60 + int(match.group(2))


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _label(span: tuple[int, int]) -> str:
    return f"{_clock(span[0])}–{_clock(span[1])}"


@dataclass(frozen=True)
class DayStatus:
    """Where a site's or service's day stands at one local moment."""

    hours_today: list[tuple[str, str]]
    open_now: bool
    # A ticket taken now can still be served today: open today and not past the last closing.
    takes_tickets_today: bool


def day_status(
    hours: Mapping[str, Sequence[Sequence[str]]], closed_dates: Sequence[date], local_now: datetime
) -> DayStatus:
    """``hours`` (canonical weekly hours) applied to ``local_now``, a time in the site's timezone."""
    if local_now.date() in closed_dates:
        return DayStatus(hours_today=[], open_now=False, takes_tickets_today=False)
    today = [(str(start), str(end)) for start, end in hours.get(DAYS[local_now.weekday()], ())]
    now = _clock(local_now.hour * 60 + local_now.minute)
    # "HH:MM" strings compare in time order ("24:00" last), so no parsing is needed here.
    open_now = any(start <= now < end for start, end in today)
    return DayStatus(
        hours_today=today, open_now=open_now, takes_tickets_today=any(now < end for _, end in today)
    )
