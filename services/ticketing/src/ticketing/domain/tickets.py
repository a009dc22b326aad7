"""Tickets: how they are numbered, ordered in the line, and moved from waiting to done."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Literal
from uuid import UUID

from ticketing.domain.catalog import Service, Site
from ticketing.domain.errors import (
    IllegalTransition,
    PriorityNotOffered,
    QuotaReached,
    ServiceNotAvailable,
    SiteNotKnown,
)

Priority = Literal["regular", "elderly", "disabled", "pregnant"]
Channel = Literal["whatsapp", "kiosk", "web", "agency_api", "walk_in", "outreach"]
Locale = Literal["id", "en"]
TicketStatus = Literal["waiting", "called", "serving", "done", "no_show", "cancelled", "transferred"]

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
        )

    @property
    def line_key(self) -> tuple[int, datetime, int]:
        """Place in the waiting line: priority classes first, then issue time."""
        return (priority_rank(self.priority), self.issued_at, self.issue_order)

    def call(self, counter_id: UUID, at: datetime) -> None:
        self._require("waiting", f"call {self.number}")
        self.status, self.counter_id, self.called_at = "called", counter_id, at

    def start(self, at: datetime) -> None:
        self._require("called", f"start serving {self.number}")
        self.status, self.started_at = "serving", at

    def finish(self, at: datetime) -> None:
        self._require("serving", f"finish {self.number}")
        self.status, self.finished_at = "done", at

    def _require(self, status: TicketStatus, action: str) -> None:
        if self.status != status:
            raise IllegalTransition(f"Cannot {action}: the ticket is {self.status}, not {status}.")


def next_in_line(tickets: list[Ticket], service_ids: tuple[UUID, ...]) -> Ticket | None:
    """The waiting ticket a counter serving ``service_ids`` calls next, if any."""
    waiting = [t for t in tickets if t.status == "waiting" and t.service_id in service_ids]
    return min(waiting, key=lambda t: t.line_key, default=None)
