"""Counter (loket) actions: open, pause, close; call the next ticket, recall it, start, finish,
mark a no-show, transfer it to another service.

Every action locks its counter first, so two clicks on one counter run one after the
other, while different counters work in parallel and never call the same ticket.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from antre_platform.clock import Clock

from ticketing.app import events
from ticketing.app.access import Actor
from ticketing.app.issuing import new_access_token, numbered_ticket
from ticketing.app.ports import RecipientHandoff, UnitOfWork
from ticketing.domain.catalog import Site
from ticketing.domain.counters import Desk
from ticketing.domain.errors import IllegalTransition, SiteNotKnown, UnknownCounter, UnknownService
from ticketing.domain.priority import PriorityPolicy, ServiceHeads
from ticketing.domain.tickets import Ticket


@dataclass(frozen=True)
class Transferred:
    old: Ticket
    new: Ticket


async def open_counter(counter_id: UUID, *, uow: UnitOfWork, clock: Clock, actor: Actor) -> Desk:
    async with uow:
        desk = await _load_desk(counter_id, uow, actor)
        desk.open()
        await _save_status(desk, uow, clock.now(), "counter.opened")
        await uow.commit()
    return desk


async def pause_counter(
    counter_id: UUID, reason: str, *, uow: UnitOfWork, clock: Clock, actor: Actor
) -> Desk:
    async with uow:
        desk = await _load_desk(counter_id, uow, actor)
        desk.pause(reason)
        await _save_status(desk, uow, clock.now(), "counter.paused")
        await uow.commit()
    return desk


async def close_counter(counter_id: UUID, *, uow: UnitOfWork, clock: Clock, actor: Actor) -> Desk:
    async with uow:
        desk = await _load_desk(counter_id, uow, actor)
        desk.close()
        await _save_status(desk, uow, clock.now(), "counter.closed")
        await uow.commit()
    return desk


async def call_next(
    counter_id: UUID, *, uow: UnitOfWork, clock: Clock, actor: Actor, policy: PriorityPolicy
) -> tuple[Desk, Ticket | None]:
    """The desk and the ticket it called, or None when nobody of its services waits today."""
    async with uow:
        desk = await _load_desk(counter_id, uow, actor)
        desk.ensure_can_call()
        now = clock.now()
        day = (await _site(desk, uow)).local_day(now)
        service_ids = sorted(desk.counter.service_ids)
        streaks = await uow.tickets.lock_streaks(service_ids, day)
        heads_by_service = await uow.tickets.heads(service_ids, day)
        heads = [ServiceHeads(sid, *heads_by_service[sid], streaks.get(sid, 0)) for sid in service_ids]
        picked = policy.choose(heads)
        if picked is None:
            return desk, None
        service_id, choice = picked
        desk.call(choice.ticket, now)
        await uow.tickets.save(choice.ticket)
        await uow.tickets.save_streak(service_id, day, choice.streak)
        await uow.emit(events.counter_called(choice.ticket, desk.counter, now))
        await uow.commit()
    return desk, choice.ticket


async def recall(counter_id: UUID, *, uow: UnitOfWork, clock: Clock, actor: Actor) -> tuple[Desk, Ticket]:
    async with uow:
        desk = await _load_desk(counter_id, uow, actor)
        now = clock.now()
        ticket = desk.recall(now)
        await uow.tickets.save(ticket)
        await uow.emit(events.counter_called(ticket, desk.counter, now))
        await uow.commit()
    return desk, ticket


async def start_service(
    counter_id: UUID, *, uow: UnitOfWork, clock: Clock, actor: Actor
) -> tuple[Desk, Ticket]:
    async with uow:
        desk = await _load_desk(counter_id, uow, actor)
        now = clock.now()
        ticket = desk.start(now)
        await uow.tickets.save(ticket)
        await uow.emit(events.service_started(ticket, desk.counter, now))
        await uow.commit()
    return desk, ticket


async def finish_service(
    counter_id: UUID,
    *,
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    new_token: Callable[[], str] = new_access_token,
) -> tuple[Desk, Ticket]:
    """Finishing a journey step issues the ticket of the next step in the same transaction."""
    async with uow:
        desk = await _load_desk(counter_id, uow, actor)
        now = clock.now()
        ticket = desk.finish(now)
        await uow.tickets.save(ticket)
        await uow.emit(events.service_finished(ticket, desk.counter, now))
        if ticket.journey_id is not None:
            await _next_journey_step(
                ticket, uow=uow, now=now, site=await _site(desk, uow), new_token=new_token
            )
        await uow.commit()
    return desk, ticket


async def no_show(counter_id: UUID, *, uow: UnitOfWork, clock: Clock, actor: Actor) -> tuple[Desk, Ticket]:
    async with uow:
        desk = await _load_desk(counter_id, uow, actor)
        now = clock.now()
        ticket = desk.no_show(now)
        await uow.tickets.save(ticket)
        await uow.emit(events.ticket_no_show(ticket, desk.counter, now))
        await uow.commit()
    return desk, ticket


async def transfer(
    counter_id: UUID,
    to_service_id: UUID,
    *,
    keep_place: bool,
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    new_token: Callable[[], str] = new_access_token,
) -> tuple[Desk, Transferred]:
    """Hand the counter's ticket to another service of the same site: a new ticket there,
    placed at the original ticket's place in line (``keep_place``) or at the end of it.
    The citizen's access token moves to the new ticket, so their status link follows them."""
    async with uow:
        desk = await _load_desk(counter_id, uow, actor)
        now = clock.now()
        target = await uow.catalog.service(to_service_id)
        if target is None or target.site_id != desk.counter.site_id:
            raise UnknownService(
                f"No service with id {to_service_id} at this site: pick one from the site's catalog.",
                field="to_service_id",
            )
        current = desk.current
        if current is not None and current.service_id == target.id:
            raise IllegalTransition(f"{current.number} is already in {target.code}: pick another service.")
        if not target.active:
            raise IllegalTransition(f"Service {target.code} is not active: it cannot take transfers now.")
        old = desk.hand_over()
        new = await numbered_ticket(
            target,
            await _site(desk, uow),
            uow=uow,
            now=now,
            id=uuid4(),
            channel=old.channel,
            priority=old.priority,
            access_token=old.access_token,
            locale=old.locale,
            queued_at=old.queued_at if keep_place else now,
        )
        old.access_token = new_token()
        old.transfer(new.id, now)
        await uow.tickets.save(old)  # first: the access token is unique
        await uow.tickets.add(new)
        await uow.emit(events.ticket_transferred(old, target.id, new.id, now))
        await uow.emit(events.ticket_issued(new))
        await uow.commit()
    return desk, Transferred(old=old, new=new)


async def _next_journey_step(
    done: Ticket, *, uow: UnitOfWork, now: datetime, site: Site, new_token: Callable[[], str]
) -> None:
    journey = await uow.catalog.journey(done.journey_id) if done.journey_id else None
    step = done.journey_step or 1
    if journey is None or step >= len(journey.steps):
        return
    service = await uow.catalog.service(journey.steps[step])
    if service is None or not service.active:
        return  # the registry removed the step since; the journey ends here
    follow_up = await numbered_ticket(
        service,
        site,
        uow=uow,
        now=now,
        id=uuid4(),
        channel=done.channel,
        priority=done.priority,
        access_token=done.access_token,
        locale=done.locale,
        journey_id=done.journey_id,
        journey_step=step + 1,
        sealed_phone=done.sealed_phone,
    )
    done.access_token = new_token()
    await uow.tickets.save(done)
    await uow.tickets.add(follow_up)
    await uow.emit(events.ticket_issued(follow_up))
    if follow_up.sealed_phone is not None:
        # The same citizen: notify gets the sealed box again, for the new ticket id.
        await uow.handoffs.add(
            RecipientHandoff(
                ticket_id=follow_up.id,
                site_id=follow_up.site_id,
                sealed_phone=follow_up.sealed_phone,
                locale=follow_up.locale,
                next_attempt_at=now,
            )
        )


async def _site(desk: Desk, uow: UnitOfWork) -> Site:
    site = await uow.catalog.site(desk.counter.site_id)
    if site is None:
        raise SiteNotKnown(f"The site of {desk.counter.name} is not known to ticketing yet.")
    return site


async def _load_desk(counter_id: UUID, uow: UnitOfWork, actor: Actor) -> Desk:
    counter = await uow.catalog.counter(counter_id)
    if counter is None:
        raise UnknownCounter(f"No counter with id {counter_id}.")
    actor.ensure_may_act_on(counter)
    state = await uow.desks.lock(counter_id)
    return Desk(
        counter=counter,
        status=state.status,
        current=await uow.tickets.at_counter(counter_id),
        pause_reason=state.pause_reason,
    )


async def _save_status(desk: Desk, uow: UnitOfWork, at: datetime, event_type: str) -> None:
    await uow.desks.save(desk.counter.id, desk.status, at, desk.pause_reason)
    await uow.emit(events.counter_state_changed(event_type, desk.counter, at, desk.pause_reason))
