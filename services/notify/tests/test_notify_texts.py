"""What the citizen reads: the issued and called messages in Bahasa Indonesia and English."""

from datetime import UTC, datetime, timedelta

import pytest
from notify.domain.texts import (
    Eta,
    IssuedFacts,
    render_called,
    render_ticket_issued,
    zone_abbreviation,
)

# 2026-06-11 is a Thursday; 09:00 WITA (Asia/Makassar, UTC+8) is 01:00 UTC.
NOW = datetime(2026, 6, 11, 1, 0, tzinfo=UTC)


def wita(hour: int, minute: int, day: int = 11) -> datetime:
    return datetime(2026, 6, day, hour - 8, minute, tzinfo=UTC)


ETA = Eta(call_p10=wita(9, 30), call_p50=wita(9, 40), call_p90=wita(9, 55), arrive_by=wita(9, 25))
FACTS = IssuedFacts(
    number="A-001",
    timezone="Asia/Makassar",
    service_name="Pembayaran Pajak Kendaraan Tahunan",
    site_name="Mal Pelayanan Publik Kota Kupang",
    documents=("KTP asli", "STNK asli"),
    eta=ETA,
    travel_minutes=15,
)


def test_the_issued_message_gives_number_eta_band_departure_and_documents_in_indonesian() -> None:
    assert render_ticket_issued(FACTS, locale="id", now=NOW) == (
        "Nomor antrean Anda *A-001* untuk Pembayaran Pajak Kendaraan Tahunan di Mal Pelayanan Publik "
        "Kota Kupang. Perkiraan dipanggil pukul 09:40 WITA (antara 09:30–09:55). Berangkat paling lambat "
        "09:10 WITA. Bawa: KTP asli, STNK asli."
    )


def test_the_issued_message_in_english() -> None:
    facts = IssuedFacts(**{**FACTS.__dict__, "service_name": "Annual vehicle tax"})
    assert render_ticket_issued(facts, locale="en", now=NOW) == (
        "Your queue number is *A-001* for Annual vehicle tax at Mal Pelayanan Publik Kota Kupang. "
        "Expected to be called at 09:40 WITA (between 09:30–09:55). Leave by 09:10 WITA at the latest. "
        "Bring: KTP asli, STNK asli."
    )


def test_without_a_travel_time_the_message_says_when_to_be_there() -> None:
    facts = IssuedFacts(**{**FACTS.__dict__, "travel_minutes": None})
    assert "Tiba di lokasi paling lambat 09:25 WITA." in render_ticket_issued(facts, locale="id", now=NOW)


def test_a_departure_time_already_past_says_leave_now() -> None:
    late = NOW + timedelta(minutes=20)  # 09:20, the departure time 09:10 has passed
    text = render_ticket_issued(FACTS, locale="id", now=late)
    assert "Silakan berangkat sekarang." in text
    assert "paling lambat" not in text


def test_without_an_estimate_the_message_promises_only_what_happens() -> None:
    facts = IssuedFacts(**{**FACTS.__dict__, "eta": None})
    text = render_ticket_issued(facts, locale="id", now=NOW)
    assert text.startswith("Nomor antrean Anda *A-001* untuk Pembayaran Pajak Kendaraan Tahunan")
    assert "Perkiraan" not in text and "pukul" not in text
    assert "Kami kirim pesan saat nomor Anda dipanggil." in text
    assert text.endswith("Bawa: KTP asli, STNK asli.")


def test_a_call_expected_on_another_day_names_the_day() -> None:
    eta = Eta(
        call_p10=wita(8, 30, day=12),
        call_p50=wita(8, 45, day=12),
        call_p90=wita(9, 0, day=12),
        arrive_by=wita(8, 20, day=12),
    )
    facts = IssuedFacts(**{**FACTS.__dict__, "eta": eta, "travel_minutes": None})
    text = render_ticket_issued(facts, locale="id", now=NOW)
    assert "Perkiraan dipanggil Jumat, 12 Juni pukul 08:45 WITA (antara 08:30–09:00)." in text
    assert "Friday 12 June at 08:45 WITA" in render_ticket_issued(facts, locale="en", now=NOW)


@pytest.mark.parametrize(
    ("timezone", "abbreviation", "clock"),
    [
        ("Asia/Jakarta", "WIB", "08:40"),
        ("Asia/Pontianak", "WIB", "08:40"),
        ("Asia/Makassar", "WITA", "09:40"),
        ("Asia/Jayapura", "WIT", "10:40"),
    ],
)
def test_times_are_shown_in_the_sites_zone_with_its_indonesian_abbreviation(
    timezone: str, abbreviation: str, clock: str
) -> None:
    facts = IssuedFacts(**{**FACTS.__dict__, "timezone": timezone})
    assert f"Perkiraan dipanggil pukul {clock} {abbreviation}" in render_ticket_issued(
        facts, locale="id", now=NOW
    )


def test_zones_outside_indonesia_keep_their_own_abbreviation_or_offset() -> None:
    assert zone_abbreviation("Asia/Singapore", NOW) == "UTC+8"
    assert zone_abbreviation("Europe/Amsterdam", NOW) == "CEST"


def test_an_unknown_service_or_site_leaves_those_words_out() -> None:
    facts = IssuedFacts(number="B-007", timezone="Asia/Jakarta")
    assert render_ticket_issued(facts, locale="id", now=NOW) == (
        "Nomor antrean Anda *B-007*. Kami kirim pesan saat nomor Anda dipanggil."
    )


def test_the_called_message_names_the_counter_and_says_when_it_is_a_recall() -> None:
    assert render_called(number="A-001", counter_name="Loket 3", recall=0, locale="id") == (
        "Nomor *A-001* dipanggil. Silakan menuju *Loket 3* sekarang."
    )
    assert render_called(number="A-001", counter_name="Loket 3", recall=1, locale="id") == (
        "Nomor *A-001* dipanggil ulang. Silakan menuju *Loket 3* sekarang."
    )
    assert render_called(number="A-001", counter_name="Loket 3", recall=0, locale="en") == (
        "Number *A-001* is being called. Please go to *Loket 3* now."
    )
