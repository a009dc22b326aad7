"""The data of each v1 event type, as every producer sends it (SPEC.md, "Event data").

Consumers ignore fields they do not know (``extra="ignore"``), so a producer may add an
optional field without breaking anyone. Removing a field, renaming it, changing its type
or making a new field required breaks old consumers: ``tests/test_compat.py`` refuses it.
Phone numbers never appear here: only the notify service knows them.
"""

from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Priority = Literal["regular", "elderly", "disabled", "pregnant"]
Channel = Literal["whatsapp", "kiosk", "web", "agency_api", "walk_in", "outreach"]
Outcome = Literal["done", "transferred", "incomplete"]
# "credential" (agency API keys and staff tokens, never the secret: its SHA-256) was added
# after v1 shipped; consumers that predate it skip such events (their data does not validate).
RegistryEntity = Literal["site", "agency", "service", "counter", "journey", "credential"]


class EventData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TicketIssued(EventData):
    ticket_id: UUID
    number: str = Field(examples=["A-023"])
    service_id: UUID
    site_id: UUID
    agency_id: UUID
    channel: Channel
    priority: Priority = "regular"
    issued_at: AwareDatetime
    journey_id: UUID | None = None
    journey_step: int | None = None
    travel_minutes: int | None = Field(default=None, ge=0)


class CounterCalled(EventData):
    ticket_id: UUID
    counter_id: UUID
    service_id: UUID
    called_at: AwareDatetime
    recall: int = Field(default=0, ge=0, description="0 for the first call, 1.. for recalls")
    number: str | None = None
    counter_name: str | None = None


class ServiceStarted(EventData):
    ticket_id: UUID
    counter_id: UUID
    service_id: UUID
    started_at: AwareDatetime


class ServiceFinished(EventData):
    ticket_id: UUID
    counter_id: UUID
    service_id: UUID
    finished_at: AwareDatetime
    outcome: Outcome = "done"


class TicketNoShow(EventData):
    ticket_id: UUID
    service_id: UUID
    at: AwareDatetime
    counter_id: UUID | None = None


class TicketRejoined(EventData):
    """A no-show ticket that came back (TUNDA): it waits again under its old number."""

    ticket_id: UUID
    service_id: UUID
    number: str = Field(examples=["A-023"])
    at: AwareDatetime
    priority: Priority = "regular"


class TicketCancelled(EventData):
    ticket_id: UUID
    service_id: UUID
    at: AwareDatetime
    by: Literal["citizen", "staff", "agency", "system"] = "citizen"


class TicketTransferred(EventData):
    ticket_id: UUID
    from_service_id: UUID
    to_service_id: UUID
    new_ticket_id: UUID
    at: AwareDatetime


class CounterStateChanged(EventData):
    """Data of ``counter.opened``, ``counter.paused`` and ``counter.closed``."""

    counter_id: UUID
    service_ids: list[UUID]
    at: AwareDatetime
    reason: str | None = None


class RegistryChanged(EventData):
    entity: RegistryEntity
    id: UUID
    op: Literal["upsert", "delete"]
    state: dict[str, Any] = Field(
        default_factory=dict, description="The entity as the registry API returns it."
    )


class QueueForecast(EventData):
    service_id: UUID
    at: AwareDatetime
    waiting: int = Field(ge=0)
    open_counters: int = Field(ge=0)
    wait_p10: float = Field(ge=0, description="minutes, for a ticket taken now")
    wait_p50: float = Field(ge=0)
    wait_p90: float = Field(ge=0)


class TicketEstimated(EventData):
    ticket_id: UUID
    service_id: UUID
    at: AwareDatetime
    position: int = Field(ge=0)
    call_p10: AwareDatetime
    call_p50: AwareDatetime
    call_p90: AwareDatetime
    arrive_by: AwareDatetime


class NotificationStatus(EventData):
    """Data of ``notification.sent``, ``notification.delivered`` and ``notification.failed``."""

    notification_id: UUID
    ticket_id: UUID | None = None
    kind: str = Field(examples=["ticket_issued", "called"])
    at: AwareDatetime
    error_code: int | None = None


class SurveyAnswered(EventData):
    ticket_id: UUID
    service_id: UUID
    score: int = Field(ge=1, le=5)
    comment: str | None = None
    at: AwareDatetime


DATA_MODELS: dict[str, type[EventData]] = {
    "ticket.issued": TicketIssued,
    "counter.called": CounterCalled,
    "service.started": ServiceStarted,
    "service.finished": ServiceFinished,
    "ticket.no_show": TicketNoShow,
    "ticket.rejoined": TicketRejoined,
    "ticket.cancelled": TicketCancelled,
    "ticket.transferred": TicketTransferred,
    "counter.opened": CounterStateChanged,
    "counter.paused": CounterStateChanged,
    "counter.closed": CounterStateChanged,
    "registry.changed": RegistryChanged,
    "queue.forecast": QueueForecast,
    "ticket.estimated": TicketEstimated,
    "notification.sent": NotificationStatus,
    "notification.delivered": NotificationStatus,
    "notification.failed": NotificationStatus,
    "survey.answered": SurveyAnswered,
}
