"""Opening hours: what an admin may write and what the registry makes of it."""

import pytest
from registry.domain.hours import InvalidHours, parse_weekly_hours


def test_friday_prayer_break_is_two_ranges_in_time_order() -> None:
    hours = parse_weekly_hours({"fri": [["13:00", "15:00"], ["08:00", "11:30"]], "mon": [["08:00", "15:00"]]})

    assert hours == {"mon": [("08:00", "15:00")], "fri": [("08:00", "11:30"), ("13:00", "15:00")]}
    assert list(hours) == ["mon", "fri"], "days are listed Monday first whatever the input order"


def test_days_without_ranges_are_closed_and_left_out() -> None:
    assert parse_weekly_hours({"sat": [["06:00", "09:00"]], "sun": []}) == {"sat": [("06:00", "09:00")]}


def test_touching_ranges_and_a_day_ending_at_midnight_are_fine() -> None:
    hours = parse_weekly_hours({"sat": [["06:00", "12:00"], ["12:00", "24:00"]]})

    assert hours == {"sat": [("06:00", "12:00"), ("12:00", "24:00")]}


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ({"mon": [["08:00", "12:00"], ["11:00", "15:00"]]}, "mon: 08:00–12:00 and 11:00–15:00 overlap"),
        ({"tue": [["15:00", "08:00"]]}, "tue: 15:00–08:00 does not end after it starts"),
        ({"wed": [["8:00", "15:00"]]}, 'wed: "8:00" is not a time; write HH:MM'),
        ({"thu": [["08:00", "25:00"]]}, 'thu: "25:00" is not a time'),
        ({"fri": [["08:00"]]}, 'fri: each range is a pair ["HH:MM", "HH:MM"]'),
        ({"monday": [["08:00", "15:00"]]}, 'unknown day "monday": use mon, tue, wed, thu, fri, sat, sun'),
        ({"mon": [["08:00", "08:00"]]}, "mon: 08:00–08:00 does not end after it starts"),
    ],
)
def test_unusable_hours_are_refused_with_the_day_and_the_fix(
    raw: dict[str, list[list[str]]], says: str
) -> None:
    with pytest.raises(InvalidHours) as refused:
        parse_weekly_hours(raw)

    assert says in str(refused.value)
