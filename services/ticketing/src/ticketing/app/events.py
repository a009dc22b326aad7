"""Domain changes as the v1 CloudEvents of antre.queue.v1 (shapes in antre_contracts.events)."""

from datetime import datetime
from typing import Final

from antre_contracts import CloudEvent, new_event
from antre_contracts.events import (
    CounterCalled,
    CounterStateChanged,
    ServiceFinished,
    ServiceStarted,
    TicketIssued,
)

from ticketing.domain.catalog import Counter
from ticketing.domain.tickets import Ticket

SOURCE: Final = "antre/ticketing"


def ticket_issued(ticket: Ticket) -> CloudEvent:
    data = TicketIssued(
        ticket_id=ticket.id,
        number=ticket.number,
        service_id=ticket.service_id,
        site_id=ticket.site_id,
        agency_id=ticket.agency_id,
        channel=ticket.channel,
        priority=ticket.priority,
        issued_at=ticket.issued_at,
        travel_minutes=ticket.travel_minutes,
    )
    return new_event(
        type="ticket.issued",
        source=SOURCE,
        site_id=ticket.site_id,
        data=data,
        time=ticket.issued_at,
        subject=ticket.id,
    )


def counter_state_changed(event_type: str, counter: Counter, at: datetime) -> CloudEvent:
    data = CounterStateChanged(counter_id=counter.id, service_ids=list(counter.service_ids), at=at)
    return new_event(
        type=event_type, source=SOURCE, site_id=counter.site_id, data=data, time=at, subject=counter.id
    )


def counter_called(ticket: Ticket, counter: Counter, at: datetime) -> CloudEvent:
    data = CounterCalled(
        ticket_id=ticket.id,
        counter_id=counter.id,
        service_id=ticket.service_id,
        called_at=at,
        recall=0,
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
