"""Opening hours: whether a site or service takes tickets now, and when it opens next.

Hours are local to the site's timezone: ``{"mon": [["08:00", "15:00"]], ...}``; a day
without an entry is closed, and ``closed_dates`` (local ISO dates) close whole days.
"""

from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Far enough to pass a long holiday (Lebaran) without searching forever.
_LOOKAHEAD_DAYS: Final = 30

Hours = dict[str, list[list[str]]]


def parse_clock(value: str) -> time:
    """``"08:00"`` → 08:00; ``"24:00"`` is the end of the day."""
    hour, _, minute = value.partition(":")
    if value == "24:00":
        return time.max
    return time(int(hour), int(minute))


def _windows(hours: Hours, day: date) -> list[tuple[time, time]]:
    return [(parse_clock(start), parse_clock(end)) for start, end in hours.get(WEEKDAYS[day.weekday()], [])]


def is_open(hours: Hours | None, closed_dates: tuple[str, ...], timezone: str, at: datetime) -> bool:
    if hours is None:
        return True
    local = at.astimezone(ZoneInfo(timezone))
    if local.date().isoformat() in closed_dates:
        return False
    return any(start <= local.time() < end for start, end in _windows(hours, local.date()))


def next_opening(
    hours: Hours | None, closed_dates: tuple[str, ...], timezone: str, at: datetime
) -> datetime | None:
    """The next local time the hours open after ``at``; None if none within a month."""
    if hours is None:
        return at
    zone = ZoneInfo(timezone)
    local = at.astimezone(zone)
    for offset in range(_LOOKAHEAD_DAYS + 1):
        day = local.date() + timedelta(days=offset)
        if day.isoformat() in closed_dates:
            continue
        for start, _ in sorted(_windows(hours, day)):
            opening = datetime.combine(day, start, tzinfo=zone)
            if opening > local:
                return opening
    return None
