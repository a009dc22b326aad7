"""Domain changes as the v1 CloudEvents of antre.queue.v1 (shapes in antre_contracts.events)."""

from datetime import datetime
from typing import Final
from uuid import UUID

from antre_contracts import CloudEvent, new_event
from antre_contracts.events import (
    CounterCalled,
    CounterStateChanged,
    ServiceFinished,
    ServiceStarted,
    TicketCancelled,
    TicketIssued,
    TicketNoShow,
    TicketRejoined,
    TicketTransferred,
)

from ticketing.app.access import CancelledBy
from ticketing.domain.catalog import Counter
from ticketing.domain.tickets import Ticket

SOURCE: Final = "antre/ticketing"


def ticket_issued(ticket: Ticket) -> CloudEvent:
    issued_at = ticket.issued_at
    data = TicketIssued(
        ticket_id=ticket.id,
        number=ticket.number,
        service_id=ticket.service_id,
        site_id=ticket.site_id,
        agency_id=ticket.agency_id,
        channel=ticket.channel,
        priority=ticket.priority,
        issued_at=issued_at,
        journey_id=ticket.journey_id,
        journey_step=ticket.journey_step,
        travel_minutes=ticket.travel_minutes,
    )
    return new_event(
        type="ticket.issued",
        source=SOURCE,
        site_id=ticket.site_id,
        data=data,
        time=issued_at,
        subject=ticket.id,
    )


def counter_state_changed(
    event_type: str, counter: Counter, at: datetime, reason: str | None = None
) -> CloudEvent:
    data = CounterStateChanged(
        counter_id=counter.id, service_ids=list(counter.service_ids), at=at, reason=reason
    )
    return new_event(
        type=event_type, source=SOURCE, site_id=counter.site_id, data=data, time=at, subject=counter.id
    )


def counter_called(ticket: Ticket, counter: Counter, at: datetime) -> CloudEvent:
    """The first call (recall 0) and every recall (1, 2, ...)."""
    data = CounterCalled(
        ticket_id=ticket.id,
        counter_id=counter.id,
        service_id=ticket.service_id,
        called_at=at,
        recall=ticket.recalls,
        number=ticket.number,
        counter_name=counter.name,
    )
    return new_event(
        type="counter.called", source=SOURCE, site_id=ticket.site_id, data=data, time=at, subject=ticket.id
    )


def service_started(ticket: Ticket, counter: Counter, at: datetime) -> CloudEvent:
    data = ServiceStarted(
        ticket_id=ticket.id, counter_id=counter.id, service_id=ticket.service_id, started_at=at
    )
    return new_event(
        type="service.started", source=SOURCE, site_id=ticket.site_id, data=data, time=at, subject=ticket.id
    )


def service_finished(ticket: Ticket, counter: Counter, at: datetime) -> CloudEvent:
    data = ServiceFinished(
        ticket_id=ticket.id,
        counter_id=counter.id,
        service_id=ticket.service_id,
        finished_at=at,
        outcome="done",
    )
    return new_event(
        type="service.finished", source=SOURCE, site_id=ticket.site_id, data=data, time=at, subject=ticket.id
    )


def ticket_no_show(ticket: Ticket, counter: Counter, at: datetime) -> CloudEvent:
    data = TicketNoShow(ticket_id=ticket.id, service_id=ticket.service_id, at=at, counter_id=counter.id)
    return new_event(
        type="ticket.no_show", source=SOURCE, site_id=ticket.site_id, data=data, time=at, subject=ticket.id
    )


def ticket_rejoined(ticket: Ticket, at: datetime) -> CloudEvent:
    """TUNDA: the no-show ticket waits again, same id and number, at the end of its line from ``at``."""
    data = TicketRejoined(
        ticket_id=ticket.id,
        service_id=ticket.service_id,
        number=ticket.number,
        at=at,
        priority=ticket.priority,
    )
    return new_event(
        type="ticket.rejoined", source=SOURCE, site_id=ticket.site_id, data=data, time=at, subject=ticket.id
    )


def ticket_cancelled(ticket: Ticket, by: CancelledBy, at: datetime) -> CloudEvent:
    data = TicketCancelled(ticket_id=ticket.id, service_id=ticket.service_id, at=at, by=by)
    return new_event(
        type="ticket.cancelled", source=SOURCE, site_id=ticket.site_id, data=data, time=at, subject=ticket.id
    )


def ticket_transferred(ticket: Ticket, to_service_id: UUID, new_ticket_id: UUID, at: datetime) -> CloudEvent:
    data = TicketTransferred(
        ticket_id=ticket.id,
        from_service_id=ticket.service_id,
        to_service_id=to_service_id,
        new_ticket_id=new_ticket_id,
        at=at,
    )
    return new_event(
        type="ticket.transferred",
        source=SOURCE,
        site_id=ticket.site_id,
        data=data,
        time=at,
        subject=ticket.id,
    )
