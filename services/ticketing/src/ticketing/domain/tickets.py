"""Tickets: how they are numbered, ordered in the line, and moved from waiting to done."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final, Literal
from uuid import UUID

from ticketing.domain.catalog import Service, Site
from ticketing.domain.errors import (
    IllegalTransition,
    OutsideHours,
    PhoneLimitReached,
    PriorityNotOffered,
    QuotaReached,
    RejoinRefused,
    ServiceNotAvailable,
    SiteNotKnown,
)

Priority = Literal["regular", "elderly", "disabled", "pregnant"]
Channel = Literal["whatsapp", "kiosk", "web", "agency_api", "walk_in", "outreach"]
Locale = Literal["id", "en"]
TicketStatus = Literal["waiting", "called", "serving", "done", "no_show", "cancelled", "transferred"]
# Who cancelled a ticket; "system" when its site's local day ended while it still waited.
CancelledBy = Literal["citizen", "staff", "agency", "system"]

PRIORITY_CLASSES: Final = frozenset({"elderly", "disabled", "pregnant"})

# Channels whose clients retry over networks that drop answers (WhatsApp webhooks,
# agency back ends, browsers, a stall on mobile data): a retry must not become a second ticket.
CHANNELS_NEEDING_IDEMPOTENCY_KEY: Final = frozenset({"whatsapp", "agency_api", "web", "outreach"})


def priority_rank(priority: Priority) -> int:
    """0 for the priority classes (elderly, disabled, pregnant), 1 for everyone else."""
    return 0 if priority in PRIORITY_CLASSES else 1


def format_number(prefix: str, seq: int) -> str:
    """``A-001``: three digits, zero-padded, more past 999 (``A-1000``)."""
    return f"{prefix}-{seq:03d}"


def ensure_can_issue(service: Service, site: Site | None, priority: Priority) -> Site:
    """The site of a service that may issue a ticket now; raises why not otherwise."""
    if not service.active:
        raise ServiceNotAvailable(
            f"Service {service.code} ({service.name_en}) is not active at the moment; "
            "no tickets are issued for it.",
            detail_id=f"Layanan {service.name_id} sedang tidak aktif; belum bisa mengambil nomor antrean.",
        )
    if site is None:
        raise SiteNotKnown(
            f"The site of service {service.code} is not known to ticketing yet; try again in a moment."
        )
    if not site.active:
        raise ServiceNotAvailable(
            f"{site.name} is not active at the moment; no tickets are issued there.",
            detail_id=f"{site.name} sedang tidak aktif; belum bisa mengambil nomor antrean.",
        )
    if priority != "regular" and not service.priority_enabled:
        raise PriorityNotOffered(
            f"Service {service.code} has no priority line; ask for a regular ticket.",
            field="priority",
            detail_id=f"Layanan {service.name_id} tidak memiliki antrean prioritas.",
        )
    return site


_HARI: Final = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


def ensure_open(service: Service, site: Site, *, open_now: bool, opens_at: datetime | None) -> None:
    """Refuse outside the service's hours (or the site's), naming the next opening time."""
    if open_now:
        return
    if opens_at is None:
        raise OutsideHours(
            f"Service {service.code} ({service.name_en}) has no opening hours in the coming month.",
            detail_id=f"Layanan {service.name_id} belum memiliki jam buka dalam sebulan ke depan.",
        )
    local = opens_at.strftime("%H:%M")
    raise OutsideHours(
        f"Service {service.code} ({service.name_en}) is closed now; it opens again on "
        f"{opens_at:%A %d %B %Y} at {local} ({site.timezone}).",
        detail_id=f"Layanan {service.name_id} sedang tutup; buka kembali hari {_HARI[opens_at.weekday()]} "
        f"{opens_at:%d-%m-%Y} pukul {local}.",
        extra={"opens_at": opens_at.isoformat()},
    )


def ensure_phone_limits(
    service: Service, *, waiting_in_service: int, issued_today: int, max_waiting: int, max_per_day: int
) -> None:
    """Against ticket touts (calo): few waiting tickets per phone and service, few per day."""
    if waiting_in_service >= max_waiting:
        raise PhoneLimitReached(
            f"This phone number already has a ticket waiting for {service.code} ({service.name_en}); "
            "use that ticket, or cancel it before taking another.",
            detail_id=f"Nomor HP ini sudah memiliki antrean yang menunggu untuk layanan {service.name_id}; "
            "gunakan nomor itu atau batalkan dulu.",
        )
    if issued_today >= max_per_day:
        raise PhoneLimitReached(
            f"This phone number has taken {issued_today} tickets today, the daily limit; "
            "please come back tomorrow.",
            detail_id=f"Nomor HP ini sudah mengambil {issued_today} nomor antrean hari ini (batas harian); "
            "silakan kembali besok.",
        )


def ensure_within_quota(service: Service, seq: int) -> None:
    """``seq`` is the day's n-th ticket of the service; refuse it beyond the daily quota."""
    if service.daily_quota is not None and seq > service.daily_quota:
        raise QuotaReached(
            f"Today's quota of {service.daily_quota} tickets for {service.code} ({service.name_en}) "
            "is used up; please come back on the next service day.",
            detail_id=f"Kuota harian {service.daily_quota} nomor untuk layanan {service.name_id} "
            "sudah habis; silakan datang pada hari layanan berikutnya.",
        )


@dataclass
class Ticket:
    id: UUID
    site_id: UUID
    service_id: UUID
    agency_id: UUID
    day: date
    seq: int
    number: str
    channel: Channel
    priority: Priority
    access_token: str
    issued_at: datetime
    locale: Locale = "id"
    travel_minutes: int | None = None
    status: TicketStatus = "waiting"
    counter_id: UUID | None = None
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # Assigned when stored; breaks ties between tickets issued at the same instant.
    issue_order: int = 0
    # Place in line: the issue time, unless a rejoin or a transfer moved it.
    queued_at: datetime | None = None
    recalls: int = 0
    no_show_at: datetime | None = None
    rejoined: bool = False
    cancelled_at: datetime | None = None
    cancelled_by: CancelledBy | None = None
    journey_id: UUID | None = None
    journey_step: int | None = None
    sealed_phone: str | None = None
    phone_hash: str | None = None
    transferred_to: UUID | None = None

    def __post_init__(self) -> None:
        if self.queued_at is None:
            self.queued_at = self.issued_at

    @classmethod
    def issue(
        cls,
        *,
        id: UUID,
        service: Service,
        day: date,
        seq: int,
        channel: Channel,
        priority: Priority,
        access_token: str,
        issued_at: datetime,
        locale: Locale = "id",
        travel_minutes: int | None = None,
        queued_at: datetime | None = None,
        journey_id: UUID | None = None,
        journey_step: int | None = None,
        sealed_phone: str | None = None,
        phone_hash: str | None = None,
    ) -> "Ticket":
        if issued_at.tzinfo is None:
            raise ValueError("issued_at must be timezone-aware")
        return cls(
            id=id,
            site_id=service.site_id,
            service_id=service.id,
            agency_id=service.agency_id,
            day=day,
            seq=seq,
            number=format_number(service.prefix, seq),
            channel=channel,
            priority=priority,
            access_token=access_token,
            issued_at=issued_at,
            locale=locale,
            travel_minutes=travel_minutes,
            queued_at=queued_at or issued_at,
            journey_id=journey_id,
            journey_step=journey_step,
            sealed_phone=sealed_phone if journey_id else None,
            phone_hash=phone_hash,
        )

    @property
    def line_key(self) -> tuple[int, datetime, int]:
        """Place in the waiting line: priority classes first, then place in line."""
        assert self.queued_at is not None
        return (priority_rank(self.priority), self.queued_at, self.issue_order)

    def call(self, counter_id: UUID, at: datetime) -> None:
        self._require("waiting", f"call {self.number}")
        self.status, self.counter_id, self.called_at = "called", counter_id, at

    def start(self, at: datetime) -> None:
        self._require("called", f"start serving {self.number}")
        self.status, self.started_at = "serving", at

    def finish(self, at: datetime) -> None:
        self._require("serving", f"finish {self.number}")
        self.status, self.finished_at = "done", at

    def recall(self, at: datetime) -> int:
        """Call the same ticket again (the citizen did not come yet); returns the recall count."""
        self._require("called", f"recall {self.number}")
        self.recalls += 1
        self.called_at = at
        return self.recalls

    def mark_no_show(self, at: datetime) -> None:
        self._require("called", f"mark {self.number} as a no-show")
        self.status, self.no_show_at = "no_show", at

    def rejoin(self, at: datetime, grace: timedelta) -> None:
        """TUNDA: a no-show ticket goes back to the end of its line, once, within the grace window."""
        if self.status != "no_show" or self.no_show_at is None:
            raise RejoinRefused(
                f"{self.number} is {self.status}: only a ticket marked as a no-show can rejoin the line.",
                detail_id=f"Nomor {self.number} tidak dapat ditunda: "
                "hanya nomor yang terlewat yang bisa kembali.",
            )
        if self.rejoined:
            raise RejoinRefused(
                f"{self.number} has already rejoined the line once; please take a new number.",
                detail_id=f"Nomor {self.number} sudah pernah ditunda; silakan ambil nomor baru.",
            )
        deadline = self.no_show_at + grace
        if at > deadline:
            minutes = int(grace.total_seconds() // 60)
            raise RejoinRefused(
                f"{self.number} can rejoin only within {minutes} minutes of being missed; "
                "please take a new number.",
                detail_id=f"Nomor {self.number} hanya bisa ditunda dalam {minutes} menit setelah terlewat; "
                "silakan ambil nomor baru.",
            )
        self.status, self.rejoined, self.queued_at = "waiting", True, at
        self.counter_id = self.called_at = None

    def cancel(self, at: datetime, by: CancelledBy = "citizen") -> None:
        if self.status not in ("waiting", "called"):
            raise IllegalTransition(
                f"Cannot cancel {self.number}: it is {self.status}; "
                "only a waiting or called ticket can be cancelled.",
                detail_id=f"Nomor {self.number} tidak dapat dibatalkan karena statusnya {self.status}.",
            )
        self.status, self.cancelled_at, self.cancelled_by = "cancelled", at, by

    def outlived_its_day(self, today: date) -> bool:
        """Still waiting although its site's local day (``today``) is past the ticket's day.
        Called or serving tickets are not: their counter still holds them and finishes them."""
        return self.status == "waiting" and self.day < today

    def close_with_the_day(self, today: date, at: datetime) -> None:
        """The day ended while the ticket waited: nobody will call it any more."""
        if not self.outlived_its_day(today):
            raise IllegalTransition(
                f"Cannot close {self.number} with the day: it is {self.status} and of {self.day}, "
                f"the site's day is {today}."
            )
        self.cancel(at, by="system")

    def transfer(self, new_ticket_id: UUID, at: datetime) -> None:
        if self.status not in ("called", "serving"):
            raise IllegalTransition(
                f"Cannot transfer {self.number}: it is {self.status}, not called or serving."
            )
        self.status, self.transferred_to, self.finished_at = "transferred", new_ticket_id, at

    def _require(self, status: TicketStatus, action: str) -> None:
        if self.status != status:
            raise IllegalTransition(f"Cannot {action}: the ticket is {self.status}, not {status}.")
