"""Notify's use cases. Each runs in one unit of work: what it records, the messages it
decides on and the events it emits commit together, or not at all.

Pieces of a ticket (ticket.issued, ticket.estimated, counter.called, the phone hand-off)
arrive in any order, on different topics and over HTTP; every piece re-runs
:func:`compose_for_ticket`, and the unique cause key keeps it to one message per cause.
"""

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Literal
from uuid import UUID

from antre_contracts import CloudEvent, new_event
from antre_contracts.events import (
    CounterCalled,
    NotificationStatus,
    QueueForecast,
    RegistryChanged,
    ServiceFinished,
    TicketEstimated,
    TicketIssued,
    TicketNoShow,
    TicketTransferred,
)
from antre_platform.clock import Clock

from notify.app.conversation import answer_inbound, ask_survey, confirm_rejoin, tell_no_show
from notify.app.ports import UnitOfWork, UnitOfWorkFactory
from notify.domain.model import (
    Call,
    InboundMessage,
    OutboundMessage,
    Recipient,
    StatusUpdate,
    Ticket,
    Timing,
    access_token_of,
    advance_delivery,
    called_message,
    delivery_event,
    estimate_changed_message,
    few_ahead_message,
    issue_due_at,
    issued_message,
    leave_home_at,
    leave_home_message,
)
from notify.domain.phone import InvalidPhoneNumber, PhoneNumber
from notify.domain.texts import Eta

log = logging.getLogger(__name__)
SOURCE = "antre/notify"
PLATFORM_SITE = "platform"


class HandoffRejected(ValueError):
    """A phone hand-off notify cannot use; the message says why (never the number)."""


# Events -------------------------------------------------------------------------------


async def handle_event(event: CloudEvent, *, uow: UnitOfWorkFactory, clock: Clock, timing: Timing) -> int:
    """Apply one consumed event; returns how many messages it created (0 if redelivered)."""
    if event.type == "registry.changed":
        return await _registry_changed(event, uow=uow, clock=clock, timing=timing)
    if event.type == "ticket.issued":
        return await _ticket_issued(event, uow=uow, clock=clock, timing=timing)
    if event.type == "ticket.estimated":
        return await _ticket_estimated(event, uow=uow, clock=clock, timing=timing)
    if event.type == "counter.called":
        return await _counter_called(event, uow=uow, clock=clock, timing=timing)
    if event.type == "queue.forecast":
        return await _queue_forecast(event, uow=uow)
    if event.type == "service.finished":
        return await _service_finished(event, uow=uow, clock=clock, timing=timing)
    if event.type == "ticket.no_show":
        return await _ticket_no_show(event, uow=uow, clock=clock, timing=timing)
    if event.type == "ticket.rejoined":
        return await _ticket_rejoined(event, uow=uow, clock=clock, timing=timing)
    if event.type == "ticket.transferred":
        return await _ticket_transferred(event, uow=uow, clock=clock, timing=timing)
    return 0


async def _ticket_transferred(
    event: CloudEvent, *, uow: UnitOfWorkFactory, clock: Clock, timing: Timing
) -> int:
    """An officer sent the citizen on to another service: the same citizen, a new ticket.

    Ticketing hands no phone over for it (it keeps none), so notify carries its own knowledge
    across: the recipient (phone, language, status link, whose token moved to the new ticket)
    and the citizen's ticket for STATUS/BATAL/TUNDA. The new ticket's "issued" message (number,
    service, band, documents) then goes out like any other."""
    moved = event.data_as(TicketTransferred)
    now = clock.now()
    async with uow() as work:
        # Both tickets, in a fixed order, so two transfers can never wait on each other.
        for ticket_id in sorted((moved.ticket_id, moved.new_ticket_id)):
            await work.store.lock_ticket(ticket_id)
        if not await work.first_delivery(event.id):
            return 0
        old = await work.store.recipient(moved.ticket_id)
        if old is None:
            return 0  # not a citizen notify knows (no phone given)
        recipient = Recipient(
            ticket_id=moved.new_ticket_id,
            site_id=old.site_id,
            phone=old.phone,
            locale=old.locale,
            status_url=old.status_url,
        )
        if not await work.store.add_recipient(recipient, at=now):
            return 0
        await _remember_citizen_ticket(work, recipient, service_id=moved.to_service_id, now=now)
        log.info("recipient of ticket %s carried to ticket %s", moved.ticket_id, moved.new_ticket_id)
        return await compose_for_ticket(work, moved.new_ticket_id, now=now, timing=timing)


async def _remember_citizen_ticket(
    work: UnitOfWork, recipient: Recipient, *, service_id: UUID | None, now: datetime
) -> None:
    """STATUS, BATAL and TUNDA act on the citizen's latest ticket with its access token; a
    ticket learnt from a hand-off (a journey's next step, a ticket taken on the web with this
    phone) or a transfer becomes that latest ticket."""
    token = access_token_of(recipient.status_url)
    if token is None:
        return
    await work.store.add_citizen_ticket(
        ticket_id=recipient.ticket_id,
        phone=recipient.phone,
        service_id=service_id,
        number=None,
        access_token=token,
        now=now,
    )


async def _ticket_no_show(event: CloudEvent, *, uow: UnitOfWorkFactory, clock: Clock, timing: Timing) -> int:
    missed = event.data_as(TicketNoShow)
    async with uow() as work:
        await work.store.lock_ticket(missed.ticket_id)
        if not await work.first_delivery(event.id):
            return 0
        # The next call of this ticket (after TUNDA) is a new cause: a new "Loket N" message.
        await work.store.start_round(missed.ticket_id)
        return await tell_no_show(work, ticket_id=missed.ticket_id, now=clock.now(), timing=timing)


async def _ticket_rejoined(event: CloudEvent, *, uow: UnitOfWorkFactory, clock: Clock, timing: Timing) -> int:
    """TUNDA accepted, by whatever way the citizen asked: confirm it once per rejoin. Read from
    the raw data so an older contracts package (without TicketRejoined) still works."""
    try:
        ticket_id = UUID(str(event.data["ticket_id"]))
        number = str(event.data.get("number") or "") or None
    except (KeyError, TypeError, ValueError):
        log.warning("ticket.rejoined %s without a usable ticket_id dropped", event.id)
        return 0
    async with uow() as work:
        await work.store.lock_ticket(ticket_id)
        if not await work.first_delivery(event.id):
            return 0
        return await confirm_rejoin(work, ticket_id=ticket_id, number=number, position=None,
                                    now=clock.now(), timing=timing)


async def _queue_forecast(event: CloudEvent, *, uow: UnitOfWorkFactory) -> int:
    """The menu's expected waits come from here, not from a call per message."""
    forecast = event.data_as(QueueForecast)
    async with uow() as work:
        if not await work.first_delivery(event.id):
            return 0
        await work.store.save_forecast(
            service_id=forecast.service_id,
            waiting=forecast.waiting,
            open_counters=forecast.open_counters,
            wait_p50=forecast.wait_p50,
            wait_p90=forecast.wait_p90,
            at=forecast.at,
        )
    return 0


async def _service_finished(
    event: CloudEvent, *, uow: UnitOfWorkFactory, clock: Clock, timing: Timing
) -> int:
    finished = event.data_as(ServiceFinished)
    async with uow() as work:
        await work.store.lock_ticket(finished.ticket_id)
        if not await work.first_delivery(event.id):
            return 0
        return await ask_survey(work, ticket_id=finished.ticket_id, now=clock.now(), timing=timing)


async def _registry_changed(
    event: CloudEvent, *, uow: UnitOfWorkFactory, clock: Clock, timing: Timing
) -> int:
    change = event.data_as(RegistryChanged)
    async with uow() as work:
        if not await work.first_delivery(event.id):
            return 0
        await work.store.save_registry_entity(
            entity=change.entity,
            entity_id=change.id,
            state=change.state,
            deleted=change.op == "delete",
            changed_at=event.time,
        )
    if change.op != "upsert" or change.entity not in ("site", "service"):
        return 0
    # Tickets can overtake their site's or service's description (another topic): those
    # waiting for it can go now.
    now = clock.now()
    async with uow() as work:
        waiting = await work.store.tickets_awaiting_issued_message(
            now=now,
            limit=1000,
            due_only=False,
            site_id=change.id if change.entity == "site" else None,
            service_id=change.id if change.entity == "service" else None,
        )
    return await _compose_each(waiting, uow=uow, now=now, timing=timing)


async def _ticket_issued(event: CloudEvent, *, uow: UnitOfWorkFactory, clock: Clock, timing: Timing) -> int:
    issued = event.data_as(TicketIssued)
    now = clock.now()
    async with uow() as work:
        await work.store.lock_ticket(issued.ticket_id)
        if not await work.first_delivery(event.id):
            return 0
        await work.store.add_ticket(
            Ticket(
                ticket_id=issued.ticket_id,
                site_id=issued.site_id,
                service_id=issued.service_id,
                number=issued.number,
                issued_at=issued.issued_at,
                travel_minutes=issued.travel_minutes,
                issue_due_at=issue_due_at(issued_at=issued.issued_at, seen_at=now, timing=timing),
            )
        )
        return await compose_for_ticket(work, issued.ticket_id, now=now, timing=timing)


async def _ticket_estimated(
    event: CloudEvent, *, uow: UnitOfWorkFactory, clock: Clock, timing: Timing
) -> int:
    estimate = event.data_as(TicketEstimated)
    now = clock.now()
    async with uow() as work:
        await work.store.lock_ticket(estimate.ticket_id)
        if not await work.first_delivery(event.id):
            return 0
        previous = await work.store.position(estimate.ticket_id)
        await work.store.save_estimate(
            ticket_id=estimate.ticket_id,
            service_id=estimate.service_id,
            position=estimate.position,
            eta=Eta(
                call_p10=estimate.call_p10,
                call_p50=estimate.call_p50,
                call_p90=estimate.call_p90,
                arrive_by=estimate.arrive_by,
            ),
            at=estimate.at,
        )
        created = await compose_for_ticket(work, estimate.ticket_id, now=now, timing=timing)
        created += await _estimate_changed(work, estimate.ticket_id, now=now, timing=timing)
        return created + await _few_ahead(work, estimate.ticket_id, previous, estimate.position, now, timing)


async def _estimate_changed(work: UnitOfWork, ticket_id: UUID, *, now: datetime, timing: Timing) -> int:
    store = work.store
    recipient, ticket, eta = (
        await store.recipient(ticket_id),
        await store.ticket(ticket_id),
        await store.eta(ticket_id),
    )
    if recipient is None or ticket is None or eta is None or await store.latest_call(ticket_id) is not None:
        return 0
    draft = estimate_changed_message(
        ticket=ticket,
        recipient=recipient,
        eta=eta,
        site=await store.site_info(ticket.site_id),
        told=await store.told(ticket_id),
        now=now,
        timing=timing,
    )
    if draft is None or await store.add_outbound(draft, now=now) is None:
        return 0
    await store.set_told(ticket_id, call_p50=eta.call_p50, at=now, change=True)
    return 1


async def _few_ahead(
    work: UnitOfWork, ticket_id: UUID, previous: int | None, position: int, now: datetime, timing: Timing
) -> int:
    recipient = await work.store.recipient(ticket_id)
    ticket = await work.store.ticket(ticket_id)
    if recipient is None or ticket is None or await work.store.latest_call(ticket_id) is not None:
        return 0
    draft = few_ahead_message(
        ticket=ticket, recipient=recipient, previous=previous, position=position, now=now, timing=timing
    )
    return 1 if draft is not None and await work.store.add_outbound(draft, now=now) is not None else 0


async def _counter_called(event: CloudEvent, *, uow: UnitOfWorkFactory, clock: Clock, timing: Timing) -> int:
    called = event.data_as(CounterCalled)
    async with uow() as work:
        await work.store.lock_ticket(called.ticket_id)
        if not await work.first_delivery(event.id):
            return 0
        await work.store.add_call(
            Call(
                ticket_id=called.ticket_id,
                round=await work.store.round(called.ticket_id),
                recall=called.recall,
                counter_id=called.counter_id,
                service_id=called.service_id,
                called_at=called.called_at,
                number=called.number,
                counter_name=called.counter_name,
            )
        )
        return await compose_for_ticket(work, called.ticket_id, now=clock.now(), timing=timing)


# Composing messages -------------------------------------------------------------------------


async def compose_for_ticket(work: UnitOfWork, ticket_id: UUID, *, now: datetime, timing: Timing) -> int:
    """Create every message the known pieces of this ticket call for; the caller holds the
    ticket's lock. Returns how many were new."""
    store = work.store
    recipient = await store.recipient(ticket_id)
    if recipient is None:
        return 0  # most tickets (kiosk, walk-in) have no phone: nothing to tell anyone
    ticket = await store.ticket(ticket_id)
    call = await store.latest_call(ticket_id)
    created = 0
    if ticket is not None:
        eta = await store.eta(ticket_id)
        draft = issued_message(
            ticket=ticket,
            recipient=recipient,
            eta=eta,
            service=await store.service_info(ticket.service_id),
            site=await store.site_info(ticket.site_id),
            already_called=call is not None or await store.ever_called(ticket_id),
            now=now,
            timing=timing,
        )
        if draft is not None and await store.add_outbound(draft, now=now) is not None:
            created += 1
            if eta is not None:
                await store.set_told(ticket_id, call_p50=eta.call_p50, at=now, change=False)
        await _schedule_leave_home(work, ticket, now=now, timing=timing, called=call is not None)
    if call is not None:
        counter_name = None if call.counter_name else await store.counter_name(call.counter_id)
        draft = called_message(
            call=call,
            recipient=recipient,
            counter_name=counter_name,
            ticket_number=ticket.number if ticket else None,
            timing=timing,
        )
        if draft is not None and await store.add_outbound(draft, now=now) is not None:
            created += 1
    return created


async def _schedule_leave_home(
    work: UnitOfWork, ticket: Ticket, *, now: datetime, timing: Timing, called: bool
) -> None:
    """A durable reminder at arrive_by minus travel time, moved by each newer estimate; none
    when leaving is due about now anyway (the ticket message already says "berangkat")."""
    leave_at = leave_home_at(ticket, await work.store.eta(ticket.ticket_id))
    if called or leave_at is None or leave_at < now + timing.reminder_min_lead:
        return
    await work.store.schedule_reminder(ticket.ticket_id, due_at=leave_at)


async def fire_due_reminders(*, uow: UnitOfWorkFactory, clock: Clock, limit: int = 100) -> int:
    """Send the leave-home reminders that are due; each fires once, even across restarts."""
    now = clock.now()
    async with uow() as work:
        due = await work.store.due_reminders(now=now, limit=limit)
    created = 0
    for ticket_id in due:
        async with uow() as work:
            await work.store.lock_ticket(ticket_id)
            if not await work.store.mark_reminder_fired(ticket_id, at=now):
                continue
            recipient = await work.store.recipient(ticket_id)
            ticket = await work.store.ticket(ticket_id)
            eta = await work.store.eta(ticket_id)
            if recipient is None or ticket is None or eta is None or await work.store.latest_call(ticket_id):
                continue
            if now >= eta.arrive_by:
                continue  # too late to be of use (notify was down, say): the ticket message stands
            leave_at = leave_home_at(ticket, eta)
            if leave_at is not None and leave_at > now:
                # A newer estimate moved it later than this row knew: wait for that time.
                await work.store.reschedule_reminder(ticket_id, due_at=leave_at)
                continue
            site = await work.store.site_info(ticket.site_id)
            draft = leave_home_message(ticket=ticket, recipient=recipient, eta=eta, site=site, now=now)
            if draft is not None and await work.store.add_outbound(draft, now=now) is not None:
                created += 1
    return created


async def compose_due_issued_messages(
    *, uow: UnitOfWorkFactory, clock: Clock, timing: Timing, limit: int = 100
) -> int:
    """Send the 'issued' message with what is known for tickets whose estimate (or registry
    description) did not come in time."""
    now = clock.now()
    async with uow() as work:
        due = await work.store.tickets_awaiting_issued_message(now=now, limit=limit)
    return await _compose_each(due, uow=uow, now=now, timing=timing)


async def _compose_each(
    ticket_ids: list[UUID], *, uow: UnitOfWorkFactory, now: datetime, timing: Timing
) -> int:
    created = 0
    for ticket_id in ticket_ids:
        async with uow() as work:
            await work.store.lock_ticket(ticket_id)
            created += await compose_for_ticket(work, ticket_id, now=now, timing=timing)
    return created


# The phone hand-off -----------------------------------------------------------------------


async def record_recipient(
    *,
    ticket_id: UUID,
    site_id: UUID,
    sealed_phone: str,
    locale: Literal["id", "en"],
    unseal: Callable[[str], bytes],
    status_url: str | None = None,
    uow: UnitOfWorkFactory,
    clock: Clock,
    timing: Timing,
) -> int:
    """Store who to tell about a ticket. The same ticket again changes nothing."""
    try:
        phone = PhoneNumber.parse(unseal(sealed_phone).decode())
    except InvalidPhoneNumber as exc:
        raise HandoffRejected(f"the sealed phone number is not usable: {exc}") from exc
    except Exception as exc:  # wrong key, truncated or not base64: all the same to the caller
        raise HandoffRejected(
            "sealed_phone could not be opened: seal the phone number with notify's public key "
            "(antre_platform.sealed.seal(ANTRE_NOTIFY_PUBLIC_KEY, phone.encode()))"
        ) from exc
    now = clock.now()
    async with uow() as work:
        await work.store.lock_ticket(ticket_id)
        recipient = Recipient(
            ticket_id=ticket_id, site_id=site_id, phone=phone, locale=locale, status_url=status_url
        )
        if not await work.store.add_recipient(recipient, at=now):
            return 0
        log.info("recipient %s stored for ticket %s", phone.masked(), ticket_id)
        await _remember_citizen_ticket(work, recipient, service_id=None, now=now)
        return await compose_for_ticket(work, ticket_id, now=now, timing=timing)


# The webhook -------------------------------------------------------------------------------


def notification_event(
    event_type: str, message: OutboundMessage, *, at: datetime, error_code: int | None = None
) -> CloudEvent:
    return new_event(
        type=event_type,
        source=SOURCE,
        time=at,
        site_id=message.site_id or PLATFORM_SITE,
        subject=message.ticket_id or message.id,
        data=NotificationStatus(
            notification_id=message.id,
            ticket_id=message.ticket_id,
            kind=message.kind,
            at=at,
            error_code=error_code,
        ),
    )


async def apply_status(work: UnitOfWork, message: OutboundMessage, update: StatusUpdate) -> None:
    """Move a sent message's delivery status forward and emit what changed."""
    event_type = delivery_event(message.delivery_status, update.status)
    status = advance_delivery(message.delivery_status, update.status)
    await work.store.set_delivery(message.id, status=status, update=update)
    if event_type is not None:
        await work.publish(
            notification_event(event_type, message, at=update.at, error_code=update.error_code)
        )


async def record_sent(
    work: UnitOfWork, message: OutboundMessage, *, wamid: str, tries: int, now: datetime
) -> None:
    """Record that Meta accepted ``message`` as ``wamid`` (once), then apply the status
    callbacks that came before the send's answer did."""
    await work.store.lock_wamid(wamid)
    if await work.store.mark_sent(message.id, wamid=wamid, tries=tries, now=now):
        await work.publish(notification_event("notification.sent", message, at=now))
    for update in await work.store.statuses_for(wamid):
        current = await work.store.outbound_by_wamid(wamid)
        if current is not None:
            await apply_status(work, current, update)


async def _settle_by_callback(work: UnitOfWork, update: StatusUpdate, *, now: datetime) -> None:
    """A callback for a wamid we never recorded, echoing one of our message ids: that send's
    answer was lost or is still on its way. Record it as sent now, so the citizen's next
    messages need not wait for the confirmation window."""
    try:
        message_id = UUID(update.callback_data or "")
    except ValueError:
        return
    message = await work.store.unconfirmed_outbound(message_id)
    if message is not None:
        await record_sent(work, message, wamid=update.wamid, tries=0, now=now)


async def record_webhook(
    *,
    inbound: list[InboundMessage],
    statuses: list[StatusUpdate],
    uow: UnitOfWorkFactory,
    clock: Clock,
    timing: Timing,
    site_code: str,
) -> int:
    """Store what Meta told us, once per message id and per (wamid, status); answer each new
    inbound message once (the conversation). Returns how many replies were created."""
    now = clock.now()
    created = 0
    async with uow() as work:
        for message in inbound:
            if not await work.store.add_inbound(message, received_at=now):
                continue  # Meta retries webhooks; this one was already handled
            created += await answer_inbound(work, message, now=now, timing=timing, site_code=site_code)
        for update in statuses:
            await work.store.lock_wamid(update.wamid)
            if not await work.store.add_status(update, received_at=now):
                continue
            sent = await work.store.outbound_by_wamid(update.wamid)
            if sent is not None:
                await apply_status(work, sent, update)
            elif update.callback_data is not None:
                await _settle_by_callback(work, update, now=now)
    return created
