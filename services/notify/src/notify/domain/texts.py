"""What the citizen reads on WhatsApp: Bahasa Indonesia first, English on request.

Pure functions of the facts and the current time; times are shown in the site's own
timezone with the abbreviation Indonesians use (WIB, WITA, WIT).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Locale = Literal["id", "en"]

# Indonesia's three zones by their official names; IANA data may spell them otherwise.
_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}
_DAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "id": (
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


@dataclass(frozen=True)
class Eta:
    """A ticket's estimated call time as a band, and when to be at the site."""

    call_p10: datetime
    call_p50: datetime
    call_p90: datetime
    arrive_by: datetime


@dataclass(frozen=True)
class IssuedFacts:
    number: str
    timezone: str | None = None  # the site's; without it no time can be shown
    service_name: str | None = None
    site_name: str | None = None
    documents: tuple[str, ...] = ()
    eta: Eta | None = None
    travel_minutes: int | None = None
    status_url: str | None = None  # the citizen's status page, when ticketing sent it


def zone_abbreviation(timezone: str, at: datetime) -> str:
    """WIB/WITA/WIT for Indonesia; elsewhere the zone's own letters or UTC±h."""
    if timezone in _ABBREVIATIONS:
        return _ABBREVIATIONS[timezone]
    local = at.astimezone(ZoneInfo(timezone))
    name = local.tzname() or ""
    if name.isalpha():
        return name
    offset = local.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def _clock(at: datetime, timezone: str) -> str:
    return at.astimezone(ZoneInfo(timezone)).strftime("%H:%M")


def _when(at: datetime, *, now: datetime, timezone: str, locale: Locale, joined: bool = True) -> str:
    """'pukul 09:40 WITA' ('09:40 WITA' unless ``joined``), with the date when it is not
    today at the site."""
    zone = ZoneInfo(timezone)
    local = at.astimezone(zone)
    time_part = f"{local:%H:%M} {zone_abbreviation(timezone, at)}"
    if joined:
        time_part = ("pukul " if locale == "id" else "at ") + time_part
    if local.date() == now.astimezone(zone).date():
        return time_part
    day = _DAYS[locale][local.weekday()]
    month = _MONTHS[locale][local.month - 1]
    if locale == "id":
        return f"{day}, {local.day} {month} {time_part}"
    return f"{day} {local.day} {month} {time_part}"


def clock_time(at: datetime, *, timezone: str, now: datetime, locale: Locale) -> str:
    """'pukul 09:40 WITA' (with the date when not today at the site)."""
    return _when(at, now=now, timezone=timezone, locale=locale)


def _band(eta: Eta, timezone: str, locale: Locale) -> str:
    low, high = _clock(eta.call_p10, timezone), _clock(eta.call_p90, timezone)
    if low == high:
        return ""
    return f" (antara {low}–{high})" if locale == "id" else f" (between {low}–{high})"


def _leave_sentence(facts: IssuedFacts, eta: Eta, timezone: str, *, now: datetime, locale: Locale) -> str:
    # Without a travel time we only know when to be there, so say that instead.
    if facts.travel_minutes is None:
        deadline = eta.arrive_by
        if deadline <= now:
            return "Silakan datang sekarang." if locale == "id" else "Please come now."
        when = _when(deadline, now=now, timezone=timezone, locale=locale, joined=False)
        return f"Tiba di lokasi paling lambat {when}." if locale == "id" else f"Be there by {when}."
    deadline = eta.arrive_by - timedelta(minutes=facts.travel_minutes)
    if deadline <= now:
        return "Silakan berangkat sekarang." if locale == "id" else "Please leave now."
    when = _when(deadline, now=now, timezone=timezone, locale=locale, joined=False)
    return f"Berangkat paling lambat {when}." if locale == "id" else f"Leave by {when} at the latest."


def render_ticket_issued(facts: IssuedFacts, *, locale: Locale, now: datetime) -> str:
    """The message a citizen gets right after taking a number."""
    if locale == "id":
        sentences = [
            f"Nomor antrean Anda *{facts.number}*"
            + (f" untuk {facts.service_name}" if facts.service_name else "")
            + (f" di {facts.site_name}" if facts.site_name else "")
            + "."
        ]
    else:
        sentences = [
            f"Your queue number is *{facts.number}*"
            + (f" for {facts.service_name}" if facts.service_name else "")
            + (f" at {facts.site_name}" if facts.site_name else "")
            + "."
        ]
    if facts.eta is not None and facts.timezone is not None:
        when = _when(facts.eta.call_p50, now=now, timezone=facts.timezone, locale=locale)
        band = _band(facts.eta, facts.timezone, locale)
        sentences.append(
            f"Perkiraan dipanggil {when}{band}." if locale == "id" else f"Expected to be called {when}{band}."
        )
        sentences.append(_leave_sentence(facts, facts.eta, facts.timezone, now=now, locale=locale))
    else:
        sentences.append(
            "Kami kirim pesan saat nomor Anda dipanggil."
            if locale == "id"
            else "We will message you when your number is called."
        )
    if facts.documents:
        label = "Bawa" if locale == "id" else "Bring"
        sentences.append(f"{label}: {', '.join(facts.documents)}.")
    text = " ".join(sentences)
    if facts.status_url:
        # On a line of its own so WhatsApp shows it as a tappable link.
        text += "\n" + _status_line(facts.status_url, locale)
    return text


def _status_line(url: str, locale: Locale) -> str:
    return f"Pantau antrean Anda: {url}" if locale == "id" else f"Follow your place in line: {url}"


def issued_template_values(facts: IssuedFacts, *, locale: Locale, now: datetime) -> dict[str, str]:
    """The 'issued' message as the parameters of its template (used outside the 24-hour window)."""
    values = {"number": facts.number, "service": facts.service_name or "-"}
    if facts.eta is not None and facts.timezone is not None:
        when = _when(facts.eta.call_p50, now=now, timezone=facts.timezone, locale=locale)
        values["expected_call"] = when + _band(facts.eta, facts.timezone, locale)
        values["leave_by"] = _leave_sentence(facts, facts.eta, facts.timezone, now=now, locale=locale)
    if facts.documents:
        values["documents"] = f"{'Bawa' if locale == 'id' else 'Bring'}: {', '.join(facts.documents)}."
    if facts.status_url:
        values["status_url"] = facts.status_url
    return values


def render_leave_home(*, number: str, eta: Eta, timezone: str, locale: Locale, now: datetime) -> str:
    """The reminder at the recommended time to leave home."""
    when = _when(eta.call_p50, now=now, timezone=timezone, locale=locale) + _band(eta, timezone, locale)
    if locale == "id":
        return f"Saatnya berangkat: nomor *{number}* diperkirakan dipanggil {when}."
    return f"Time to leave: number *{number}* is expected to be called {when}."


def render_estimate_changed(facts: IssuedFacts, *, locale: Locale, now: datetime) -> str:
    """A significant change of the expected call time (facts carry the new estimate)."""
    values = issued_template_values(facts, locale=locale, now=now)
    when, leave = values["expected_call"], values["leave_by"]
    if locale == "id":
        return f"Perkiraan berubah: nomor *{facts.number}* kini diperkirakan dipanggil {when}. {leave}"
    return f"Estimate changed: number *{facts.number}* is now expected to be called {when}. {leave}"


def render_few_ahead(*, number: str, ahead: int, locale: Locale) -> str:
    if locale == "id":
        return f"Tinggal {ahead} antrean lagi sebelum nomor *{number}*. Mohon bersiap di dekat loket."
    return f"Only {ahead} more ahead of number *{number}*. Please be ready near the counter."


def render_called(*, number: str, counter_name: str | None, recall: int, locale: Locale) -> str:
    """'Nomor *A-001* dipanggil. Silakan menuju *Loket 3* sekarang.'"""
    if locale == "id":
        verb = "dipanggil ulang" if recall > 0 else "dipanggil"
        where = f"*{counter_name}*" if counter_name else "loket"
        return f"Nomor *{number}* {verb}. Silakan menuju {where} sekarang."
    verb = "is being called again" if recall > 0 else "is being called"
    where = f"*{counter_name}*" if counter_name else "the counter"
    return f"Number *{number}* {verb}. Please go to {where} now."
