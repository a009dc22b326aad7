"""What the citizen (with the ticket's access token) or staff do to a ticket itself:
cancel it (BATAL) and rejoin the line after a no-show (TUNDA)."""

import secrets
from datetime import timedelta
from uuid import UUID

from antre_platform.clock import Clock

from ticketing.app import events
from ticketing.app.access import Actor, CancelledBy
from ticketing.app.ports import UnitOfWork
from ticketing.domain.errors import NotFound
from ticketing.domain.tickets import Ticket


async def cancel_ticket(
    ticket_id: UUID, *, uow: UnitOfWork, clock: Clock, actor: Actor | None, access_token: str | None
) -> Ticket:
    async with uow:
        ticket, by = await _ticket_for(ticket_id, uow, actor, access_token)
        now = clock.now()
        ticket.cancel(now, by)
        await uow.tickets.save(ticket)
        await uow.emit(events.ticket_cancelled(ticket, by, now))
        await uow.commit()
    return ticket


async def rejoin_ticket(
    ticket_id: UUID,
    *,
    uow: UnitOfWork,
    clock: Clock,
    grace: timedelta,
    actor: Actor | None,
    access_token: str | None,
) -> tuple[Ticket, int | None]:
    """The ticket back at the end of its line, and its position there (``ticket.rejoined``)."""
    async with uow:
        ticket, _ = await _ticket_for(ticket_id, uow, actor, access_token)
        now = clock.now()
        ticket.rejoin(now, grace)
        await uow.tickets.save(ticket)
        await uow.emit(events.ticket_rejoined(ticket, now))
        position = await uow.tickets.position(ticket)
        await uow.commit()
    return ticket, position


async def _ticket_for(
    ticket_id: UUID, uow: UnitOfWork, actor: Actor | None, access_token: str | None
) -> tuple[Ticket, CancelledBy]:
    """The ticket, locked, if the caller may act on it; NotFound otherwise, so a guessed id
    tells nothing about whether the ticket exists."""
    ticket = await uow.tickets.get(ticket_id, lock=True)
    if ticket is not None:
        if token_matches(ticket, access_token):
            return ticket, "citizen"
        if actor is not None:
            counter = await uow.catalog.counter(actor.counter_id) if actor.counter_id else None
            if actor.may_read(ticket, counter):
                return ticket, actor.by
    raise NotFound("No ticket with this id for this access token: check the link you were sent.")


def token_matches(ticket: Ticket, access_token: str | None) -> bool:
    return access_token is not None and secrets.compare_digest(
        ticket.access_token.encode(), access_token.encode()
    )
