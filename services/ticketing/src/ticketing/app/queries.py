"""Read-only views: one ticket for its holder or staff, a service's line, a site's board."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from antre_platform.clock import Clock

from ticketing.app.access import Actor
from ticketing.app.ports import UnitOfWork
from ticketing.app.ticket_actions import token_matches
from ticketing.domain.catalog import Counter, Service
from ticketing.domain.errors import NotFound
from ticketing.domain.tickets import Ticket


@dataclass(frozen=True)
class TicketDetails:
    ticket: Ticket
    position: int | None
    counter: Counter | None


@dataclass(frozen=True)
class ServiceLine:
    service_id: UUID
    waiting: list[Ticket]
    called: list[Ticket]
    counters: dict[UUID, Counter]


@dataclass(frozen=True)
class BoardCall:
    ticket: Ticket
    counter: Counter | None


@dataclass(frozen=True)
class SiteSnapshot:
    site_id: UUID
    at: datetime
    calls: list[BoardCall]
    waiting: list[tuple[Service, int]]


async def ticket_details(
    ticket_id: UUID, *, uow: UnitOfWork, actor: Actor | None, access_token: str | None
) -> TicketDetails:
    """The ticket if the caller may read it or holds its access token; NotFound otherwise, so a
    guessed id tells nothing about whether the ticket exists."""
    async with uow:
        ticket = await uow.tickets.get(ticket_id)
        if ticket is None or not (token_matches(ticket, access_token) or await _may_read(actor, ticket, uow)):
            raise NotFound("No ticket with this id for this access token: check the link you were sent.")
        counter = await uow.catalog.counter(ticket.counter_id) if ticket.counter_id else None
        return TicketDetails(ticket=ticket, position=await uow.tickets.position(ticket), counter=counter)


async def service_line(service_id: UUID, *, uow: UnitOfWork, clock: Clock) -> ServiceLine:
    async with uow:
        service = await uow.catalog.service(service_id)
        site = await uow.catalog.site(service.site_id) if service else None
        if service is None or site is None:
            raise NotFound(f"No service with id {service_id}.")
        line = await uow.tickets.line(service_id, site.local_day(clock.now()))
        called = [t for t in line if t.status != "waiting"]
        counters = await uow.catalog.counters([t.counter_id for t in called if t.counter_id])
        return ServiceLine(
            service_id=service_id,
            waiting=[t for t in line if t.status == "waiting"],
            called=called,
            counters=counters,
        )


async def site_snapshot(site_id: UUID, *, uow: UnitOfWork, clock: Clock, calls: int = 10) -> SiteSnapshot:
    """What the hall's board shows: the latest calls and how many wait per service."""
    async with uow:
        site = await uow.catalog.site(site_id)
        if site is None:
            raise NotFound(f"No site with id {site_id}.")
        now = clock.now()
        day = site.local_day(now)
        recent = await uow.tickets.recent_calls(site_id, day, calls)
        counters = await uow.catalog.counters([t.counter_id for t in recent if t.counter_id])
        waiting = await uow.tickets.waiting_counts(site_id, day)
        services = await uow.catalog.services_of_site(site_id)
        return SiteSnapshot(
            site_id=site_id,
            at=now,
            calls=[BoardCall(t, counters.get(t.counter_id) if t.counter_id else None) for t in recent],
            waiting=[(s, waiting.get(s.id, 0)) for s in services],
        )


async def _may_read(actor: Actor | None, ticket: Ticket, uow: UnitOfWork) -> bool:
    if actor is None:
        return False
    counter = await uow.catalog.counter(actor.counter_id) if actor.counter_id else None
    return actor.may_read(ticket, counter)
