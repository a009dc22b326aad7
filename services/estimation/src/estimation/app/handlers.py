"""Applying registry and queue events to the queue state, and what that publishes.

Each event is applied in one transaction together with its inbox mark and the events
it causes (outbox), so a redelivered event changes nothing and none is half-applied.
Every time is the event's own, never the wall clock: replaying the same stream gives
the same predictions.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID

from antre_contracts import CloudEvent, new_event
from antre_contracts.events import (
    CounterCalled,
    CounterStateChanged,
    QueueForecast,
    RegistryChanged,
    ServiceFinished,
    ServiceStarted,
    TicketCancelled,
    TicketEstimated,
    TicketIssued,
    TicketNoShow,
    TicketRejoined,
    TicketTransferred,
)
from pydantic import TypeAdapter

from estimation.app.estimates import (
    EstimationPolicy,
    ServiceForecast,
    TicketEstimate,
    queue_estimates,
    site_zone,
    ticket_estimate,
)
from estimation.app.ports import LastEstimate, Prediction, QueueStore, UnitOfWork
from estimation.app.registry import CounterState, JourneyState, ServiceState, SiteState
from estimation.domain.learning import (
    ALL,
    Measure,
    calibration_misses,
    counter_scope,
    hour_scope,
)
from estimation.domain.model import (
    REGULAR_RANK,
    Counter,
    CounterStatus,
    Journey,
    Service,
    Site,
    Ticket,
    TicketStatus,
    queue_rank,
    services_affected,
)

log = logging.getLogger(__name__)

SOURCE = "antre/estimation"
CONSUMER = "estimation"

_SITE_ID = TypeAdapter(UUID)
_BEFORE_ANY_TICKET = datetime(1970, 1, 1, tzinfo=UTC)

Apply = Callable[[CloudEvent, QueueStore, EstimationPolicy], Awaitable[None]]


async def handle_event(event: CloudEvent, *, unit_of_work: UnitOfWork, policy: EstimationPolicy) -> None:
    """Apply ``event`` once; events estimation does not follow are ignored."""
    apply = _APPLY.get(event.type)
    if apply is None:
        return
    async with unit_of_work() as store:
        if not await store.first_delivery(event.id):
            log.debug("%s %s was already applied", event.type, event.id)
            return
        await apply(event, store, policy)


# --- registry -----------------------------------------------------------------------


async def _registry_changed(event: CloudEvent, store: QueueStore, policy: EstimationPolicy) -> None:
    changed = event.data_as(RegistryChanged)
    if changed.entity == "site":
        await _site_changed(changed, store)
    elif changed.entity == "service":
        await _service_changed(changed, store, policy, at=event.time)
    elif changed.entity == "counter":
        await _counter_changed(changed, store, policy, at=event.time)
    elif changed.entity == "journey":
        await _journey_changed(changed, store)


async def _site_changed(changed: RegistryChanged, store: QueueStore) -> None:
    if changed.op == "delete":
        known = await store.site(changed.id)
        if known is not None:
            await store.save_site(replace(known, active=False))
        return
    state = SiteState.model_validate(changed.state)
    await store.save_site(
        Site(
            id=changed.id,
            timezone=state.timezone,
            active=state.active,
            hours=state.hours,
            closed_dates=tuple(state.closed_dates or ()),
        )
    )


async def _journey_changed(changed: RegistryChanged, store: QueueStore) -> None:
    """A journey's steps, for the next-step estimates of its tickets (asked for, never pushed)."""
    if changed.op == "delete":
        known = await store.journey(changed.id)
        if known is not None:
            await store.save_journey(replace(known, active=False))
        return
    state = JourneyState.model_validate(changed.state)
    await store.save_journey(
        Journey(id=changed.id, site_id=state.site_id, steps=tuple(state.steps), active=state.active)
    )


async def _service_changed(
    changed: RegistryChanged, store: QueueStore, policy: EstimationPolicy, *, at: datetime
) -> None:
    if changed.op == "delete":
        known = await store.service(changed.id)
        if known is not None:
            await store.save_service(replace(known, active=False))
        return
    state = ServiceState.model_validate(changed.state)
    await store.save_service(
        Service(
            id=changed.id,
            site_id=state.site_id,
            mean_service_min=state.mean_service_min,
            priority_enabled=state.priority_enabled,
            active=state.active,
            hours=state.hours,
        )
    )
    # A new mean changes every wait of the service: tell the waiting hall.
    await _queue_changed(store, policy, service_id=changed.id, at=at, site_id=state.site_id)


async def _counter_changed(
    changed: RegistryChanged, store: QueueStore, policy: EstimationPolicy, *, at: datetime
) -> None:
    before = await store.counter(changed.id)
    if changed.op == "delete":
        if before is None:
            return
        after = replace(before, active=False)
    else:
        state = CounterState.model_validate(changed.state)
        after = Counter(
            id=changed.id,
            site_id=state.site_id,
            service_ids=frozenset(state.service_ids),
            status=before.status if before is not None else "closed",
            active=state.active,
        )
    await _save_counter(store, policy, before=before, after=after, at=at)


# --- counters -----------------------------------------------------------------------

_COUNTER_STATUS: dict[str, CounterStatus] = {
    "counter.opened": "open",
    "counter.paused": "paused",
    "counter.closed": "closed",
}


async def _counter_state_changed(event: CloudEvent, store: QueueStore, policy: EstimationPolicy) -> None:
    change = event.data_as(CounterStateChanged)
    before = await store.counter(change.counter_id)
    known = before or Counter(id=change.counter_id, site_id=_site_of(event))
    # The event says what the counter serves as it opens; the registry may not have told us yet.
    service_ids = frozenset(change.service_ids) or known.service_ids
    after = replace(known, status=_COUNTER_STATUS[event.type], service_ids=service_ids)
    await _save_counter(store, policy, before=before, after=after, at=change.at)


async def _save_counter(
    store: QueueStore, policy: EstimationPolicy, *, before: Counter | None, after: Counter, at: datetime
) -> None:
    await store.save_counter(after)
    for service_id in sorted(services_affected(before, after)):
        await _queue_changed(store, policy, service_id=service_id, at=at, site_id=after.site_id)


# --- tickets ------------------------------------------------------------------------


async def _ticket_issued(event: CloudEvent, store: QueueStore, policy: EstimationPolicy) -> None:
    issued = event.data_as(TicketIssued)
    if await store.ticket(issued.ticket_id) is not None:
        return  # already queued by the transfer that created it
    await _queue_new_ticket(
        store,
        policy,
        ticket_id=issued.ticket_id,
        site_id=issued.site_id,
        service_id=issued.service_id,
        priority=issued.priority,
        at=issued.issued_at,
        travel_minutes=issued.travel_minutes,
        journey_id=issued.journey_id,
        journey_step=issued.journey_step,
    )


async def _counter_called(event: CloudEvent, store: QueueStore, policy: EstimationPolicy) -> None:
    called = event.data_as(CounterCalled)
    if called.recall > 0:
        return  # a recall calls the same ticket again: the queue is unchanged
    ticket = await _known_ticket(store, called.ticket_id, event)
    if ticket is None:
        return
    await store.record_call(ticket.id, called.called_at)
    # Only the first wait measures cancellations and the promise made at issue (TUNDA's second
    # wait was never promised a band).
    if ticket.waiting and ticket.rejoined_at is None:
        await store.learn(ticket.service_id, Measure.CANCEL, [ALL], 0.0)
        await _learn_calibration(store, ticket, called_at=called.called_at)
        await _learn_overtaking(store, ticket)
    after = ticket.called(counter_id=called.counter_id, at=called.called_at)
    await _update_ticket(store, policy, ticket, after, at=called.called_at)


async def _service_started(event: CloudEvent, store: QueueStore, policy: EstimationPolicy) -> None:
    started = event.data_as(ServiceStarted)
    ticket = await _known_ticket(store, started.ticket_id, event)
    if ticket is not None:
        if ticket.status in ("waiting", "called") and ticket.rejoined_at is None:
            await store.learn(ticket.service_id, Measure.NO_SHOW, [ALL], 0.0)
        await _update_ticket(
            store,
            policy,
            ticket,
            ticket.started(counter_id=started.counter_id, at=started.started_at),
            at=started.started_at,
        )


async def _service_finished(event: CloudEvent, store: QueueStore, policy: EstimationPolicy) -> None:
    finished = event.data_as(ServiceFinished)
    ticket = await _known_ticket(store, finished.ticket_id, event)
    if ticket is not None:
        await _learn_occupancy(
            store, ticket, counter_id=finished.counter_id, finished_at=finished.finished_at
        )
        await _update_ticket(
            store, policy, ticket, ticket.finished(at=finished.finished_at), at=finished.finished_at
        )


async def _ticket_closed(event: CloudEvent, store: QueueStore, policy: EstimationPolicy) -> None:
    closed: TicketNoShow | TicketCancelled
    status: TicketStatus
    if event.type == "ticket.no_show":
        closed, status = event.data_as(TicketNoShow), "no_show"
    else:
        closed, status = event.data_as(TicketCancelled), "cancelled"
    ticket = await _known_ticket(store, closed.ticket_id, event)
    if ticket is not None:
        await _learn_closing(store, ticket, status, at=closed.at)
        await _update_ticket(store, policy, ticket, ticket.closed(status, at=closed.at), at=closed.at)


async def _ticket_rejoined(event: CloudEvent, store: QueueStore, policy: EstimationPolicy) -> None:
    """TUNDA: a no-show ticket waits again, at the back of its class from ``at`` (ticketing's policy)."""
    rejoined = event.data_as(TicketRejoined)
    ticket = await store.ticket(rejoined.ticket_id)
    if ticket is None:
        # Issued before estimation followed the stream: it waits all the same.
        await _queue_new_ticket(
            store,
            policy,
            ticket_id=rejoined.ticket_id,
            site_id=_site_of(event),
            service_id=rejoined.service_id,
            priority=rejoined.priority,
            at=rejoined.at,
        )
        return
    if ticket.status != "no_show":
        log.info(
            "%s %s: ticket %s is %s, not a no-show; ignored", event.type, event.id, ticket.id, ticket.status
        )
        return
    service = await store.service(ticket.service_id)
    rank = queue_rank(
        rejoined.priority, priority_enabled=service.priority_enabled if service is not None else True
    )
    after = ticket.rejoined(at=rejoined.at, queue_rank=rank)
    await store.save_ticket(after)
    await _publish_estimate(store, await ticket_estimate(store, policy, ticket=after, at=rejoined.at))
    await _queue_changed(store, policy, service_id=after.service_id, at=rejoined.at, site_id=after.site_id)


# --- learning -----------------------------------------------------------------------


async def _learn_occupancy(
    store: QueueStore, ticket: Ticket, *, counter_id: UUID, finished_at: datetime
) -> None:
    """How long the citizen held the counter, from the first call (or the start) to the finish."""
    began = ticket.called_at or ticket.started_at
    if began is None or finished_at <= began:
        return
    zone = await site_zone(store, ticket.site_id)
    minutes = (finished_at - began).total_seconds() / 60
    await store.learn(
        ticket.service_id,
        Measure.OCCUPANCY,
        [ALL, counter_scope(counter_id), hour_scope(began.astimezone(zone).hour)],
        minutes,
    )


async def _learn_calibration(store: QueueStore, ticket: Ticket, *, called_at: datetime) -> None:
    """Whether the first call fell beyond the band promised at issue, late or early."""
    prediction = await store.prediction(ticket.id)
    if prediction is None:
        return
    call, at = prediction.estimate, prediction.predicted_at
    misses = calibration_misses(
        actual_min=_minutes_between(called_at, at),
        p10_min=_minutes_between(call.call_p10, at),
        p50_min=_minutes_between(call.call_p50, at),
        p90_min=_minutes_between(call.call_p90, at),
        upper=prediction.upper_stretch,
        lower=prediction.lower_stretch,
    )
    if misses is not None:
        late, early = misses
        await store.learn(ticket.service_id, Measure.LATE, [ALL], late)
        await store.learn(ticket.service_id, Measure.EARLY, [ALL], early)


async def _learn_overtaking(store: QueueStore, ticket: Ticket) -> None:
    """Whether this call, made while a regular ticket waited, went to a priority ticket that joined later."""
    if ticket.queue_rank == REGULAR_RANK:
        await store.learn(ticket.service_id, Measure.OVERTAKING, [ALL], 0.0)
        return
    priority_waiting = await store.waiting_before(
        ticket.service_id, queue_rank=REGULAR_RANK, issued_at=_BEFORE_ANY_TICKET
    )
    older_waiting = await store.waiting_before(
        ticket.service_id, queue_rank=REGULAR_RANK, issued_at=ticket.issued_at
    )
    if older_waiting > priority_waiting:  # some regular ticket issued before this one still waits
        await store.learn(ticket.service_id, Measure.OVERTAKING, [ALL], 1.0)


def _minutes_between(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 60


async def _learn_closing(store: QueueStore, ticket: Ticket, status: TicketStatus, *, at: datetime) -> None:
    if ticket.rejoined_at is not None:
        return  # its first call already counted: one sample per ticket keeps the rates honest
    if status == "no_show" and ticket.called_at is not None:
        await store.learn(ticket.service_id, Measure.NO_SHOW, [ALL], 1.0)
        await store.learn(
            ticket.service_id,
            Measure.NO_SHOW_DELAY,
            [ALL],
            max((at - ticket.called_at).total_seconds() / 60, 0.0),
        )
    elif status == "cancelled" and ticket.waiting:
        await store.learn(ticket.service_id, Measure.CANCEL, [ALL], 1.0)


async def _ticket_transferred(event: CloudEvent, store: QueueStore, policy: EstimationPolicy) -> None:
    moved = event.data_as(TicketTransferred)
    old = await _known_ticket(store, moved.ticket_id, event)
    if old is not None:
        await _update_ticket(store, policy, old, old.closed("transferred", at=moved.at), at=moved.at)
    if await store.ticket(moved.new_ticket_id) is not None:
        return  # its ticket.issued came first
    site_id = old.site_id if old is not None else _site_of(event)
    # Assumed: the new ticket joins the back of its class in the new service at transfer time.
    await _queue_new_ticket(
        store,
        policy,
        ticket_id=moved.new_ticket_id,
        site_id=site_id,
        service_id=moved.to_service_id,
        priority=old.priority if old is not None else "regular",
        at=moved.at,
    )


def _site_of(event: CloudEvent) -> UUID:
    """The event's site id; a ValidationError (the event is skipped) if it is not a UUID."""
    return _SITE_ID.validate_python(event.siteid)


async def _known_ticket(store: QueueStore, ticket_id: UUID, event: CloudEvent) -> Ticket | None:
    ticket = await store.ticket(ticket_id)
    if ticket is None:
        # Issued before estimation followed the stream: nothing to update or measure.
        log.info("%s %s names ticket %s, which estimation never saw issued", event.type, event.id, ticket_id)
    return ticket


async def _queue_new_ticket(
    store: QueueStore,
    policy: EstimationPolicy,
    *,
    ticket_id: UUID,
    site_id: UUID,
    service_id: UUID,
    priority: str,
    at: datetime,
    travel_minutes: int | None = None,
    journey_id: UUID | None = None,
    journey_step: int | None = None,
) -> None:
    """Queue a ticket, record and publish its estimate, and publish its service's new forecast."""
    service = await store.service(service_id)
    rank = queue_rank(priority, priority_enabled=service.priority_enabled if service is not None else True)
    ticket = Ticket(
        id=ticket_id,
        site_id=site_id,
        service_id=service_id,
        priority=priority,
        queue_rank=rank,
        issued_at=at,
        travel_minutes=travel_minutes,
        journey_id=journey_id,
        journey_step=journey_step,
    )
    await store.save_ticket(ticket)
    estimate = await ticket_estimate(store, policy, ticket=ticket, at=at)
    await store.record_prediction(
        Prediction(
            ticket_id=ticket.id,
            service_id=service_id,
            site_id=site_id,
            predicted_at=at,
            open_counters=estimate.open_counters,
            mean_service_min=estimate.mean_service_min,
            estimate=estimate.call,
            upper_stretch=estimate.upper_stretch,
            lower_stretch=estimate.lower_stretch,
        )
    )
    await _publish_estimate(store, estimate)
    await _queue_changed(store, policy, service_id=service_id, at=at, site_id=site_id)


async def _publish_estimate(store: QueueStore, estimate: TicketEstimate) -> None:
    ticket, call, at = estimate.ticket, estimate.call, estimate.at
    zone = await site_zone(store, ticket.site_id)
    await store.save_last_estimate(
        LastEstimate(
            ticket_id=ticket.id, call_p50=call.call_p50, arrive_by=call.arrive_by, call_mean=call.call_mean
        )
    )
    await store.emit(
        new_event(
            type="ticket.estimated",
            source=SOURCE,
            site_id=ticket.site_id,
            subject=ticket.id,
            time=at,
            data=TicketEstimated(
                ticket_id=ticket.id,
                service_id=ticket.service_id,
                at=at.astimezone(zone),
                position=call.position,
                call_p10=call.call_p10.astimezone(zone),
                call_p50=call.call_p50.astimezone(zone),
                call_p90=call.call_p90.astimezone(zone),
                arrive_by=call.arrive_by.astimezone(zone),
            ),
        )
    )


async def _queue_changed(
    store: QueueStore, policy: EstimationPolicy, *, service_id: UUID, at: datetime, site_id: UUID
) -> None:
    """A service's queue changed: publish its forecast, and re-send the estimates that moved visibly.

    Only the first ``policy.recheck_head`` waiting tickets, and ``policy.recheck_sweep`` more
    from a cursor that walks the rest of the line, are re-estimated, so the work and the events
    per incoming event stay bounded however long the queue is; a ticket far back is re-checked
    every (waiting / recheck_sweep) changes of its line, and told if its estimate moved visibly.
    """
    forecast, head = await queue_estimates(store, policy, service_id=service_id, at=at, site_id=site_id)
    await _publish_forecast(store, forecast, site_id=site_id)
    for estimate in head:
        last = await store.last_estimate(estimate.ticket.id)
        if last is None or _visibly_moved(last, estimate, policy):
            await _publish_estimate(store, estimate)


def _visibly_moved(last: LastEstimate, estimate: TicketEstimate, policy: EstimationPolicy) -> bool:
    return (
        abs(estimate.call.call_p50 - last.call_p50) >= policy.visible_change
        or abs(estimate.call.arrive_by - last.arrive_by) >= policy.visible_change
    )


async def _update_ticket(
    store: QueueStore, policy: EstimationPolicy, before: Ticket, after: Ticket, *, at: datetime
) -> None:
    await store.save_ticket(after)
    if before.waiting and not after.waiting:
        await _queue_changed(store, policy, service_id=after.service_id, at=at, site_id=after.site_id)


async def _publish_forecast(store: QueueStore, forecast: ServiceForecast, *, site_id: UUID) -> None:
    service_id, at = forecast.service_id, forecast.at
    site_id = forecast.site_id or site_id
    zone = await site_zone(store, site_id)
    await store.emit(
        new_event(
            type="queue.forecast",
            source=SOURCE,
            site_id=site_id,
            subject=service_id,
            time=at,
            data=QueueForecast(
                service_id=service_id,
                at=at.astimezone(zone),
                waiting=forecast.waiting,
                open_counters=forecast.open_counters,
                wait_p10=forecast.band.p10,
                wait_p50=forecast.band.p50,
                wait_p90=forecast.band.p90,
            ),
        )
    )


_APPLY: dict[str, Apply] = {
    "registry.changed": _registry_changed,
    "ticket.issued": _ticket_issued,
    "counter.called": _counter_called,
    "service.started": _service_started,
    "service.finished": _service_finished,
    "ticket.no_show": _ticket_closed,
    "ticket.cancelled": _ticket_closed,
    "ticket.rejoined": _ticket_rejoined,
    "ticket.transferred": _ticket_transferred,
    "counter.opened": _counter_state_changed,
    "counter.paused": _counter_state_changed,
    "counter.closed": _counter_state_changed,
}
