"""Read-only views: one ticket for its holder or staff, and a service's line."""

import secrets
from dataclasses import dataclass
from uuid import UUID

from antre_platform.clock import Clock

from ticketing.app.ports import UnitOfWork
from ticketing.domain.catalog import Counter
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


async def ticket_details(
    ticket_id: UUID, *, uow: UnitOfWork, staff: bool, access_token: str | None
) -> TicketDetails:
    """The ticket if the caller is staff or holds its access token; NotFound otherwise, so a
    guessed id tells nothing about whether the ticket exists."""
    async with uow:
        ticket = await uow.tickets.get(ticket_id)
        if ticket is None or not (staff or _token_matches(ticket, access_token)):
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


def _token_matches(ticket: Ticket, access_token: str | None) -> bool:
    return access_token is not None and secrets.compare_digest(
        ticket.access_token.encode(), access_token.encode()
    )
