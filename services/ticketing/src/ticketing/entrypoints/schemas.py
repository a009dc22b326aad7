"""HTTP request and response bodies (``XCreate`` in, ``XPublic`` out)."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ticketing.domain.catalog import Counter
from ticketing.domain.counters import Desk, DeskStatus
from ticketing.domain.errors import InvalidPhone
from ticketing.domain.phone import normalise_phone
from ticketing.domain.tickets import CancelledBy, Channel, Locale, Priority, Ticket, TicketStatus


class TicketCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service_id: UUID | None = Field(default=None, description="The service to queue for; or give journey_id.")
    journey_id: UUID | None = Field(
        default=None,
        description="A journey (alur): the ticket is for its first step; each finished step issues the next.",
    )
    channel: Channel
    priority: Priority = "regular"
    phone: str | None = Field(
        default=None,
        max_length=32,
        examples=["0812-3456-7890"],
        description="Indonesian mobile number; handed to notify sealed, never stored here.",
    )
    locale: Locale = "id"
    travel_minutes: int | None = Field(
        default=None, ge=0, le=1440, description="How long the citizen needs to reach the site."
    )

    @field_validator("phone")
    @classmethod
    def _indonesian_mobile(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalise_phone(value)
        except InvalidPhone as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _service_or_journey(self) -> "TicketCreate":
        if (self.service_id is None) == (self.journey_id is None):
            raise ValueError("give exactly one of service_id (one service) or journey_id (a journey)")
        return self


class TicketPublic(BaseModel):
    """A ticket as its holder sees it (and staff)."""

    id: UUID
    number: str = Field(examples=["A-001"])
    status: TicketStatus
    service_id: UUID
    site_id: UUID
    agency_id: UUID
    channel: Channel
    priority: Priority
    issued_at: datetime
    position: int | None = Field(
        description="1 = next to be called in its service's line; null unless waiting."
    )
    access_token: str
    status_url: str
    counter_id: UUID | None = None
    counter_name: str | None = Field(default=None, examples=["Loket 3"])
    called_at: datetime | None = None
    journey_id: UUID | None = None
    journey_step: int | None = None
    rejoined: bool = Field(default=False, description="The ticket already used its one rejoin (TUNDA).")
    transferred_to: UUID | None = None
    cancelled_at: datetime | None = None
    cancelled_by: CancelledBy | None = Field(
        default=None,
        description='Who cancelled it; "system" when the site\'s service day ended while it waited. '
        "Null unless cancelled (and for tickets cancelled before this was recorded).",
    )

    @classmethod
    def of(
        cls, ticket: Ticket, *, position: int | None, status_url: str, counter: Counter | None = None
    ) -> "TicketPublic":
        return cls(
            id=ticket.id,
            number=ticket.number,
            status=ticket.status,
            service_id=ticket.service_id,
            site_id=ticket.site_id,
            agency_id=ticket.agency_id,
            channel=ticket.channel,
            priority=ticket.priority,
            issued_at=ticket.issued_at,
            position=position,
            access_token=ticket.access_token,
            status_url=status_url,
            counter_id=ticket.counter_id,
            counter_name=counter.name if counter else None,
            called_at=ticket.called_at,
            journey_id=ticket.journey_id,
            journey_step=ticket.journey_step,
            rejoined=ticket.rejoined,
            transferred_to=ticket.transferred_to,
            cancelled_at=ticket.cancelled_at,
            cancelled_by=ticket.cancelled_by,
        )


class CounterTicketPublic(BaseModel):
    """A ticket as a counter handles it (no access token: staff never need the citizen's link)."""

    id: UUID
    number: str
    status: TicketStatus
    service_id: UUID
    site_id: UUID
    channel: Channel
    priority: Priority
    issued_at: datetime
    counter_id: UUID | None
    counter_name: str | None
    called_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    recalls: int = Field(description="How often the counter called this ticket again.")
    journey_id: UUID | None
    journey_step: int | None

    @classmethod
    def of(cls, ticket: Ticket, counter: Counter | None) -> "CounterTicketPublic":
        return cls(
            id=ticket.id,
            number=ticket.number,
            status=ticket.status,
            service_id=ticket.service_id,
            site_id=ticket.site_id,
            channel=ticket.channel,
            priority=ticket.priority,
            issued_at=ticket.issued_at,
            counter_id=ticket.counter_id,
            counter_name=counter.name if counter else None,
            called_at=ticket.called_at,
            started_at=ticket.started_at,
            finished_at=ticket.finished_at,
            recalls=ticket.recalls,
            journey_id=ticket.journey_id,
            journey_step=ticket.journey_step,
        )


class CounterPublic(BaseModel):
    id: UUID
    name: str
    site_id: UUID
    agency_id: UUID
    service_ids: list[UUID]
    status: DeskStatus
    pause_reason: str | None
    current_ticket: CounterTicketPublic | None

    @classmethod
    def of(cls, desk: Desk) -> "CounterPublic":
        counter = desk.counter
        current = CounterTicketPublic.of(desk.current, counter) if desk.current else None
        return cls(
            id=counter.id,
            name=counter.name,
            site_id=counter.site_id,
            agency_id=counter.agency_id,
            service_ids=list(counter.service_ids),
            status=desk.status,
            pause_reason=desk.pause_reason,
            current_ticket=current,
        )


class QueueEntry(BaseModel):
    id: UUID
    number: str
    priority: Priority
    issued_at: datetime


class CalledEntry(QueueEntry):
    status: Literal["called", "serving"]
    counter_id: UUID
    counter_name: str | None
    called_at: datetime


class QueuePublic(BaseModel):
    service_id: UUID
    waiting: list[QueueEntry] = Field(
        description="Today's waiting tickets, in the order they will be called."
    )
    called: list[CalledEntry] = Field(description="Tickets a counter is calling or serving now.")


class CounterPause(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=200, examples=["istirahat", "gangguan sistem"])

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("say why the counter pauses (e.g. 'istirahat')")
        return value.strip()


class CounterTransfer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_service_id: UUID
    keep_place: bool = Field(
        default=True,
        description="true: the new ticket takes the original ticket's place in the target line "
        "(ahead of those who came later); false: it joins the end of that line.",
    )


class TransferPublic(BaseModel):
    transferred: CounterTicketPublic
    new_ticket: CounterTicketPublic


class BoardCallPublic(BaseModel):
    ticket_id: UUID
    number: str
    service_id: UUID
    counter_id: UUID | None
    counter_name: str | None
    called_at: datetime
    recalls: int
    status: TicketStatus


class ServiceWaiting(BaseModel):
    service_id: UUID
    code: str
    prefix: str
    name_id: str
    name_en: str
    agency_id: UUID
    waiting: int


class AgencyWaiting(BaseModel):
    agency_id: UUID
    waiting: int


class SnapshotPublic(BaseModel):
    site_id: UUID
    at: datetime
    latest_calls: list[BoardCallPublic] = Field(description="The latest calls of today, newest first.")
    waiting_by_service: list[ServiceWaiting]
    waiting_by_agency: list[AgencyWaiting]
