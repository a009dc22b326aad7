"""The scope rules and the opening-day arithmetic, without a database."""

from datetime import date, datetime
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from registry.domain.access import ADMIN, Principal, listing_agency, may_read_counter, may_write_owned
from registry.domain.api_keys import hash_api_key, mint_staff_token
from registry.domain.errors import OutOfScope
from registry.domain.hours import day_status
from registry.settings import Settings

SAMSAT, BANK, LOKET_3 = uuid4(), uuid4(), uuid4()
SAMSAT_KEY = Principal(kind="agency", actor="ak_live_00000000", agency_id=SAMSAT)
OFFICER = Principal(kind="staff", actor="st_00000000", agency_id=SAMSAT, counter_id=LOKET_3)
WITA = ZoneInfo("Asia/Makassar")
FRIDAY_HOURS = {"fri": [("08:00", "11:30"), ("13:00", "15:00")]}


def test_an_agency_writes_only_its_own_and_a_staff_token_writes_nothing() -> None:
    assert may_write_owned(ADMIN, agency_id=BANK)
    assert may_write_owned(SAMSAT_KEY, agency_id=SAMSAT)
    assert not may_write_owned(SAMSAT_KEY, agency_id=BANK)
    assert not may_write_owned(OFFICER, agency_id=SAMSAT)


def test_a_staff_token_reads_only_its_own_counter() -> None:
    assert may_read_counter(OFFICER, agency_id=SAMSAT, counter_id=LOKET_3)
    assert not may_read_counter(OFFICER, agency_id=SAMSAT, counter_id=uuid4())


def test_an_agency_listing_is_limited_to_its_own_and_asking_for_another_is_refused() -> None:
    assert listing_agency(ADMIN, None) is None
    assert listing_agency(SAMSAT_KEY, None) == SAMSAT
    with pytest.raises(OutOfScope):
        listing_agency(SAMSAT_KEY, BANK)


def test_a_staff_token_has_a_visible_prefix_and_is_kept_only_as_its_hash() -> None:
    minted = mint_staff_token(bytes(range(36)))
    assert minted.prefix == "st_00010203" and minted.key.startswith(minted.prefix)
    assert minted.key_hash == hash_api_key(minted.key) and minted.key not in minted.key_hash


@pytest.mark.parametrize(
    ("local", "open_now", "takes_tickets"),
    [
        (datetime(2026, 3, 6, 7, 59, tzinfo=WITA), False, True),  # before opening
        (datetime(2026, 3, 6, 8, 0, tzinfo=WITA), True, True),
        (datetime(2026, 3, 6, 11, 30, tzinfo=WITA), False, True),  # Friday prayer break
        (datetime(2026, 3, 6, 14, 59, tzinfo=WITA), True, True),
        (datetime(2026, 3, 6, 15, 0, tzinfo=WITA), False, False),  # closed for the day
    ],
)
def test_a_day_is_open_within_its_ranges_and_takes_tickets_until_its_last_closing(
    local: datetime, open_now: bool, takes_tickets: bool
) -> None:
    status = day_status(FRIDAY_HOURS, [], local)
    assert (status.open_now, status.takes_tickets_today) == (open_now, takes_tickets)
    assert status.hours_today == [("08:00", "11:30"), ("13:00", "15:00")]


def test_a_closed_date_has_no_hours_at_all() -> None:
    status = day_status(FRIDAY_HOURS, [date(2026, 3, 6)], datetime(2026, 3, 6, 9, 0, tzinfo=WITA))
    assert (status.hours_today, status.open_now, status.takes_tickets_today) == ([], False, False)


@pytest.mark.parametrize("env", ["test", "prod"])
def test_the_published_default_admin_token_is_refused_outside_dev(env: str) -> None:
    with pytest.raises(ValidationError, match="ANTRE_ADMIN_TOKEN"):
        Settings(env=env)
    assert Settings(env=env, admin_token="adm_4f9c1e").admin_token == "adm_4f9c1e"
