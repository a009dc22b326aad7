"""Opening hours (registry format) turned into the clock intervals of one local day."""

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta, tzinfo

from estimation.domain.predictor import OpeningHours

WeeklyHours = Mapping[str, Sequence[Sequence[str]]]
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def opening_hours(
    hours: WeeklyHours | None, *, at: datetime, zone: tzinfo, closed_dates: Sequence[str] = ()
) -> OpeningHours:
    """The intervals of ``at``'s local day (``{"mon": [["08:00","12:00"], ...]}``); none known: always open.

    A day the site is closed, or a weekday without hours, gives no interval: waits then run on
    past the day, which is what they would really do.
    """
    if not hours:
        return OpeningHours(intervals=())
    local_day = at.astimezone(zone).date()
    if local_day.isoformat() in closed_dates:
        return OpeningHours(intervals=((at, at),))
    day_hours = hours.get(_WEEKDAYS[local_day.weekday()]) or ()
    intervals = sorted(
        interval for pair in day_hours if (interval := _interval(local_day, pair, zone)) is not None
    )
    # No opening today: an empty interval at ``at`` marks "closed from now on" (not "always open").
    return OpeningHours(intervals=tuple(intervals) or ((at, at),))


def _interval(day: date, pair: Sequence[str], zone: tzinfo) -> tuple[datetime, datetime] | None:
    """One ["08:00", "12:00"] pair; a malformed one is ignored rather than stopping every estimate."""
    try:
        start_text, end_text = pair
        start = time.fromisoformat(start_text)
        # The registry lets "24:00" end a day (open until midnight).
        closes = (
            datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
            if end_text == "24:00"
            else datetime.combine(day, time.fromisoformat(end_text), tzinfo=zone)
        )
    except (TypeError, ValueError):
        return None
    opens = datetime.combine(day, start, tzinfo=zone)
    if closes <= opens:
        return None
    return opens, closes
