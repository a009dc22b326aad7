"""Counter (loket) actions: open, close, call the next ticket, start and finish serving it.

Every action locks its counter first, so two clicks on one counter run one after the
other, while different counters work in parallel and never call the same ticket.
"""

from datetime import datetime
from uuid import UUID

from antre_platform.clock import Clock

from ticketing.app import events
from ticketing.app.ports import UnitOfWork
from ticketing.domain.counters import Desk
from ticketing.domain.errors import SiteNotKnown, UnknownCounter
from ticketing.domain.tickets import Ticket


async def open_counter(counter_id: UUID, *, uow: UnitOfWork, clock: Clock) -> Desk:
    async with uow:
        desk = await _load_desk(counter_id, uow)
        desk.open()
        await _save_status(desk, uow, clock.now(), "counter.opened")
        await uow.commit()
    return desk


async def close_counter(counter_id: UUID, *, uow: UnitOfWork, clock: Clock) -> Desk:
    async with uow:
        desk = await _load_desk(counter_id, uow)
        desk.close()
        await _save_status(desk, uow, clock.now(), "counter.closed")
        await uow.commit()
    return desk


async def call_next(counter_id: UUID, *, uow: UnitOfWork, clock: Clock) -> tuple[Desk, Ticket | None]:
    """The desk and the ticket it called, or None when nobody of its services waits today."""
    async with uow:
        desk = await _load_desk(counter_id, uow)
        desk.ensure_can_call()
        now = clock.now()
        site = await uow.catalog.site(desk.counter.site_id)
        if site is None:
            raise SiteNotKnown(f"The site of {desk.counter.name} is not known to ticketing yet.")
        ticket = await uow.tickets.take_next_waiting(desk.counter.service_ids, site.local_day(now))
        if ticket is None:
            return desk, None
        desk.call(ticket, now)
        await uow.tickets.save(ticket)
        await uow.emit(events.counter_called(ticket, desk.counter, now))
        await uow.commit()
    return desk, ticket


async def start_service(counter_id: UUID, *, uow: UnitOfWork, clock: Clock) -> tuple[Desk, Ticket]:
    async with uow:
        desk = await _load_desk(counter_id, uow)
        now = clock.now()
        ticket = desk.start(now)
        await uow.tickets.save(ticket)
        await uow.emit(events.service_started(ticket, desk.counter, now))
        await uow.commit()
    return desk, ticket


async def finish_service(counter_id: UUID, *, uow: UnitOfWork, clock: Clock) -> tuple[Desk, Ticket]:
    async with uow:
        desk = await _load_desk(counter_id, uow)
        now = clock.now()
        ticket = desk.finish(now)
        await uow.tickets.save(ticket)
        await uow.emit(events.service_finished(ticket, desk.counter, now))
        await uow.commit()
    return desk, ticket


async def _load_desk(counter_id: UUID, uow: UnitOfWork) -> Desk:
    counter = await uow.catalog.counter(counter_id)
    if counter is None:
        raise UnknownCounter(f"No counter with id {counter_id}.")
    status = await uow.desks.lock(counter_id)
    return Desk(counter=counter, status=status, current=await uow.tickets.at_counter(counter_id))


async def _save_status(desk: Desk, uow: UnitOfWork, at: datetime, event_type: str) -> None:
    await uow.desks.save(desk.counter.id, desk.status, at)
    await uow.emit(events.counter_state_changed(event_type, desk.counter, at))
