"""Predictions computed from the stored queue state; shared by event handlers, queries and replay."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from uuid import UUID
from zoneinfo import ZoneInfo

from estimation.app.ports import QueueStore, SortKey
from estimation.domain.hours import opening_hours
from estimation.domain.learning import (
    LearnedRates,
    LearningPolicy,
    ServiceLearning,
    counter_scope,
    learned_rates,
)
from estimation.domain.model import REGULAR_RANK, Counter, Service, Ticket
from estimation.domain.predictor import (
    DEFAULT_ARRIVAL_MARGIN,
    DEFAULT_ARRIVAL_QUANTILE,
    CallEstimate,
    LineAhead,
    OpenCounter,
    OpeningHours,
    QueueSituation,
    ServiceInProgress,
    WaitBand,
    call_estimate,
    release_moments,
    wait_band,
)


@dataclass(frozen=True)
class EstimationPolicy:
    """The tunable assumptions of a prediction."""

    # Used until the registry tells a service's own mean (its event may come later).
    default_mean_service_min: float = 10.0
    arrival_margin: timedelta = DEFAULT_ARRIVAL_MARGIN
    # arrive_by is this quantile of the call time: the share who would be called before arriving.
    arrival_quantile: float = DEFAULT_ARRIVAL_QUANTILE
    learning: LearningPolicy = field(default_factory=LearningPolicy)
    # A ticket.estimated is re-sent only when its P50 or arrive_by moves at least this much.
    visible_change: timedelta = timedelta(minutes=3)
    # How many tickets at the head of a queue are re-checked per event (bounded work per event) ...
    recheck_head: int = 10
    # ... and how many more behind them, in turn: a cursor walks the rest of the line and wraps,
    # so a ticket far back is re-checked within (waiting / recheck_sweep) events of its service.
    recheck_sweep: int = 10

    def mean_service_min(self, service: Service | None) -> float:
        return service.mean_service_min if service is not None else self.default_mean_service_min


@dataclass(frozen=True)
class ServiceForecast:
    service_id: UUID
    site_id: UUID | None
    at: datetime
    waiting: int
    open_counters: int
    # Minutes on the clock from ``at`` (what a citizen reads); ``open_band`` counts only the
    # minutes the service is open (what later steps of a journey chain through their hours).
    band: WaitBand
    open_band: WaitBand


@dataclass(frozen=True)
class TicketEstimate:
    ticket: Ticket
    at: datetime
    open_counters: int
    mean_service_min: float
    call: CallEstimate
    upper_stretch: float = 1.0
    lower_stretch: float = 1.0


@dataclass(frozen=True)
class _SiblingLine:
    """Another service called by some of this service's open counters, and how it weighs."""

    service_id: UUID
    # The part of that service's open counters that also serve this one: its older tickets
    # hold this service's counters in that proportion.
    weight: float
    cancel: float
    release_mean_min: float
    release_variance: float
    overtaking: float


@dataclass(frozen=True)
class _ServiceView:
    """What every ticket of one service shares at one moment."""

    service: Service | None
    # The counters that will serve: those open now, or else the registered ones.
    counters: tuple[OpenCounter, ...]
    open_counters: int
    rates: LearnedRates
    hours: OpeningHours
    siblings: tuple[_SiblingLine, ...] = ()


_RatesFor = Callable[[UUID], Awaitable[tuple[ServiceLearning, LearnedRates]]]


async def _service_view(
    store: QueueStore, policy: EstimationPolicy, *, service_id: UUID, at: datetime
) -> _ServiceView:
    service = await store.service(service_id)
    zone = await site_zone(store, service.site_id if service else None)
    hour = at.astimezone(zone).hour
    known: dict[UUID, tuple[ServiceLearning, LearnedRates]] = {}

    async def rates_for(other_id: UUID) -> tuple[ServiceLearning, LearnedRates]:
        if other_id not in known:
            other = service if other_id == service_id else await store.service(other_id)
            learned = await store.learning(other_id)
            known[other_id] = (
                learned,
                learned_rates(
                    learned, prior_mean_min=policy.mean_service_min(other), hour=hour, policy=policy.learning
                ),
            )
        return known[other_id]

    learned, rates = await rates_for(service_id)
    open_now = await store.open_counters_of(service_id)
    registered = await store.registered_counters(service_id)
    hours = await _hours(store, service, at=at, zone=zone)
    # With every counter paused or closed outside the opening hours (a break, before opening),
    # the registered ones are assumed to open as they are at the next opening: idle unless a
    # citizen is still at the desk. With none open *during* the hours (officers away from their
    # desks), when one comes back is unknown: each is assumed to have one service to finish
    # first, rather than to call the line at once.
    serving = open_now or registered
    paused_in_hours = not open_now and hours.open_at(at)
    occupants = {t.counter_id: t for t in await store.counter_tickets([c.id for c in serving])}
    counters = []
    for counter in serving:
        occupant = occupants.get(counter.id)
        counters.append(
            OpenCounter(
                occupancy_min=rates.counter_occupancy_min(
                    learned, scope=counter_scope(counter.id), policy=policy.learning
                ),
                # Siblings' older tickets are counted as lines ahead: each counter serves this line
                # whenever its oldest ticket is of this service.
                share=1.0,
                busy=occupant is not None or paused_in_hours,
                in_service=await _in_service(occupant, counter, at=at, policy=policy, rates_for=rates_for),
            )
        )
    return _ServiceView(
        service=service,
        counters=tuple(counters),
        open_counters=len(open_now),
        rates=rates,
        hours=hours,
        siblings=await _siblings(store, service_id, serving, rates_for=rates_for),
    )


async def _in_service(
    occupant: Ticket | None, counter: Counter, *, at: datetime, policy: EstimationPolicy, rates_for: _RatesFor
) -> ServiceInProgress | None:
    """The citizen a counter serves now (their service started), with their own service's occupancy law."""
    if occupant is None or occupant.status != "serving":
        return None
    began = occupant.called_at or occupant.started_at
    if began is None:
        return None
    learned, rates = await rates_for(occupant.service_id)
    return ServiceInProgress(
        elapsed_min=max((at - began).total_seconds() / 60, 0.0),
        mean_min=rates.counter_occupancy_min(
            learned, scope=counter_scope(counter.id), policy=policy.learning
        ),
        cv2=rates.occupancy_cv2,
    )


async def _siblings(
    store: QueueStore, service_id: UUID, counters: list[Counter], *, rates_for: _RatesFor
) -> tuple[_SiblingLine, ...]:
    """The other services of ``counters`` (bounded by the hall, not the queue)."""
    lines = []
    for other_id in sorted({s for counter in counters for s in counter.service_ids} - {service_id}):
        other_counters = await store.open_counters_of(other_id) or await store.registered_counters(other_id)
        if not other_counters:
            continue
        shared = sum(1 for counter in other_counters if service_id in counter.service_ids)
        _, other_rates = await rates_for(other_id)
        mean, variance = release_moments(
            other_rates.occupancy_min,
            cv2=other_rates.occupancy_cv2,
            no_show=other_rates.no_show,
            no_show_delay_min=other_rates.no_show_delay_min,
        )
        lines.append(
            _SiblingLine(
                service_id=other_id,
                weight=shared / len(other_counters),
                cancel=other_rates.cancel,
                release_mean_min=mean,
                release_variance=variance,
                overtaking=other_rates.overtaking,
            )
        )
    return tuple(lines)


async def _hours(store: QueueStore, service: Service | None, *, at: datetime, zone: tzinfo) -> OpeningHours:
    site = await store.site(service.site_id) if service is not None else None
    hours = (service.hours if service is not None and service.hours else None) or (
        site.hours if site else None
    )
    return opening_hours(hours, at=at, zone=zone, closed_dates=site.closed_dates if site else ())


def _situation(
    view: _ServiceView,
    policy: EstimationPolicy,
    position: int,
    others_ahead: Sequence[int] = (),
    *,
    queue_rank: int = REGULAR_RANK,
) -> QueueSituation:
    """``others_ahead``: per sibling line of the view, its waiting tickets ahead of this one."""
    return QueueSituation(
        position=position,
        counters=view.counters,
        # No counter registered either: one is assumed, busy.
        fallback_counters=1,
        open_now=view.open_counters > 0,
        rates=view.rates,
        arrival_quantile=policy.arrival_quantile,
        others_ahead=tuple(
            LineAhead(
                tickets=count * line.weight * (1 - line.cancel),
                release_mean_min=line.release_mean_min,
                release_variance=line.release_variance,
            )
            for line, count in zip(view.siblings, others_ahead, strict=True)
            if count > 0 and line.weight > 0
        ),
        overtaking=_overtaking(view, position, others_ahead) if queue_rank == REGULAR_RANK else 0.0,
    )


def _overtaking(view: _ServiceView, position: int, others_ahead: Sequence[int]) -> float:
    """The learned share of calls lost to later priority tickets, over the lines these counters call.

    Each line weighs as its tickets ahead (a stand-in for its traffic, which is not learned).
    """
    lines = zip(view.siblings, others_ahead, strict=True)
    weights = [float(position)] + [count * line.weight for line, count in lines]
    shares = [view.rates.overtaking] + [line.overtaking for line in view.siblings]
    return sum(w * s for w, s in zip(weights, shares, strict=True)) / sum(weights)


async def _others_ahead(store: QueueStore, view: _ServiceView, ticket: Ticket) -> list[int]:
    """Per sibling line, its waiting tickets that the shared counters will call before ``ticket``."""
    return [
        await store.waiting_before(line.service_id, queue_rank=ticket.queue_rank, issued_at=ticket.issued_at)
        for line in view.siblings
    ]


async def service_forecast(
    store: QueueStore,
    policy: EstimationPolicy,
    *,
    service_id: UUID,
    at: datetime,
    site_id: UUID | None = None,
) -> ServiceForecast:
    """The wait, seen from ``at``, of a ticket taken now (it would be last in line)."""
    view = await _service_view(store, policy, service_id=service_id, at=at)
    return await _forecast(store, policy, view, service_id=service_id, at=at, site_id=site_id)


async def queue_estimates(
    store: QueueStore, policy: EstimationPolicy, *, service_id: UUID, at: datetime, site_id: UUID
) -> tuple[ServiceForecast, list[TicketEstimate]]:
    """The forecast of a service and the estimates of its first ``policy.recheck_head`` waiting
    tickets plus the next ``policy.recheck_sweep`` of the rotating re-check, from one look at the
    hall (what every change of the queue publishes). Bounded however long the line."""
    view = await _service_view(store, policy, service_id=service_id, at=at)
    forecast = await _forecast(store, policy, view, service_id=service_id, at=at, site_id=site_id)
    head = await store.waiting_head(service_id, policy.recheck_head)
    estimates = await _head_estimates(store, policy, view, tickets=head, at=at)
    if len(head) == policy.recheck_head and policy.recheck_sweep > 0:
        swept = await _sweep(store, policy, service_id=service_id, head_end=head[-1].sort_key())
        if swept:
            first = await store.position(swept[0])
            estimates += [
                _ticket_estimate(
                    view,
                    policy,
                    ticket=ticket,
                    position=first + index,
                    others_ahead=await _others_ahead(store, view, ticket),
                    at=at,
                )
                for index, ticket in enumerate(swept)
            ]
    return forecast, estimates


async def _sweep(
    store: QueueStore, policy: EstimationPolicy, *, service_id: UUID, head_end: SortKey
) -> list[Ticket]:
    """The next tickets behind the head for the rotating re-check, and the cursor moved past them.

    The cursor is part of the stored state, so the same events re-check the same tickets (replay
    and restart give the same estimates)."""
    cursor = await store.sweep_cursor(service_id)
    if cursor is None or cursor < head_end:
        cursor = head_end  # the head moved past it (tickets were called): go on from the head
    swept = await store.waiting_after(service_id, cursor, policy.recheck_sweep)
    if not swept and cursor != head_end:
        swept = await store.waiting_after(service_id, head_end, policy.recheck_sweep)  # wrap round
    if swept:
        await store.set_sweep_cursor(service_id, swept[-1].sort_key())
    return swept


async def _forecast(
    store: QueueStore,
    policy: EstimationPolicy,
    view: _ServiceView,
    *,
    service_id: UUID,
    at: datetime,
    site_id: UUID | None,
) -> ServiceForecast:
    waiting = await store.waiting_count(service_id)
    # A ticket taken now is behind every waiting ticket of the sibling services too.
    others = [await store.waiting_count(line.service_id) for line in view.siblings]
    open_band = wait_band(_situation(view, policy, waiting + 1, others))
    return ServiceForecast(
        service_id=service_id,
        site_id=view.service.site_id if view.service else site_id,
        at=at,
        waiting=waiting,
        open_counters=view.open_counters,
        band=_clock_minutes(open_band, view.hours, at=at),
        open_band=open_band,
    )


def _clock_minutes(band: WaitBand, hours: OpeningHours, *, at: datetime) -> WaitBand:
    """A band in open minutes as minutes on the clock from ``at``: a ticket taken before the
    opening, or just before a break, waits through the closed time too."""

    def clock(open_minutes: float) -> float:
        if open_minutes <= 0 and hours.open_at(at):
            return 0.0
        return round((hours.after(at, open_minutes) - at).total_seconds() / 60, 1)

    return WaitBand(
        p10=clock(band.p10),
        p50=clock(band.p50),
        p90=clock(band.p90),
        arrival=clock(band.arrival),
        mean=clock(band.mean),
    )


@dataclass(frozen=True)
class NextStepEstimate:
    """When a journey ticket will likely be called at a later step of its journey."""

    step: int
    service_id: UUID
    call_p10: datetime
    call_p50: datetime
    call_p90: datetime


async def next_step_estimates(
    store: QueueStore, policy: EstimationPolicy, *, ticket: Ticket, call: CallEstimate, at: datetime
) -> list[NextStepEstimate]:
    """The call band of each later step of a journey ticket, chained from ``call`` (this step's band).

    At each step the citizen leaves the counter at the step's call band plus the learned mean
    occupancy of its service, then waits what the next service's forecast says. The forecast of a
    ticket taken *now* stands in for the wait of a ticket taken *then*: the queue will have moved
    by the time the step is reached, and its future arrivals are not forecast. Adding the P10 of
    the wait to the P10 of the finish (likewise P50 and P90) widens the band a little (a sum's
    quantiles lie closer to its median), the cautious side. Work: one forecast per later step (a
    journey has at most 20), and only when a citizen asks: nothing of this runs per event.
    """
    if ticket.journey_id is None or ticket.journey_step is None:
        return []
    journey = await store.journey(ticket.journey_id)
    if journey is None or not journey.active:
        return []
    band = [call.call_p10, call.call_p50, call.call_p90]
    service_id = ticket.service_id
    steps = []
    for step, next_service_id in journey.later_steps(ticket.journey_step):
        occupancy = timedelta(minutes=await _occupancy_min(store, policy, service_id=service_id, at=at))
        forecast = await service_forecast(store, policy, service_id=next_service_id, at=at)
        next_service = await store.service(next_service_id)
        zone = await site_zone(store, next_service.site_id if next_service else ticket.site_id)
        waits = (forecast.open_band.p10, forecast.open_band.p50, forecast.open_band.p90)
        band = [
            (await _hours(store, next_service, at=finish, zone=zone)).after(finish, wait)
            for finish, wait in zip([called + occupancy for called in band], waits, strict=True)
        ]
        steps.append(NextStepEstimate(step, next_service_id, *band))
        service_id = next_service_id
    return steps


async def _occupancy_min(
    store: QueueStore, policy: EstimationPolicy, *, service_id: UUID, at: datetime
) -> float:
    """The learned mean time a citizen holds a counter of the service, at ``at``'s hour."""
    service = await store.service(service_id)
    zone = await site_zone(store, service.site_id if service else None)
    rates = learned_rates(
        await store.learning(service_id),
        prior_mean_min=policy.mean_service_min(service),
        hour=at.astimezone(zone).hour,
        policy=policy.learning,
    )
    return rates.occupancy_min


async def ticket_estimate(
    store: QueueStore, policy: EstimationPolicy, *, ticket: Ticket, at: datetime
) -> TicketEstimate:
    """The call band, seen from ``at``, of a ticket that is waiting."""
    view = await _service_view(store, policy, service_id=ticket.service_id, at=at)
    return _ticket_estimate(
        view,
        policy,
        ticket=ticket,
        position=await store.position(ticket),
        others_ahead=await _others_ahead(store, view, ticket),
        at=at,
    )


async def _head_estimates(
    store: QueueStore, policy: EstimationPolicy, view: _ServiceView, *, tickets: list[Ticket], at: datetime
) -> list[TicketEstimate]:
    """Estimates of the first waiting tickets of one service, in queue order (positions 1, 2, ...)."""
    return [
        _ticket_estimate(
            view,
            policy,
            ticket=ticket,
            position=index,
            others_ahead=await _others_ahead(store, view, ticket),
            at=at,
        )
        for index, ticket in enumerate(tickets, start=1)
    ]


def _ticket_estimate(
    view: _ServiceView,
    policy: EstimationPolicy,
    *,
    ticket: Ticket,
    position: int,
    others_ahead: Sequence[int],
    at: datetime,
) -> TicketEstimate:
    call = call_estimate(
        at=at,
        situation=_situation(view, policy, position, others_ahead, queue_rank=ticket.queue_rank),
        hours=view.hours,
        arrival_margin=policy.arrival_margin,
        travel_minutes=ticket.travel_minutes,
    )
    return TicketEstimate(
        ticket=ticket,
        at=at,
        open_counters=view.open_counters,
        mean_service_min=view.rates.occupancy_min,
        call=call,
        upper_stretch=view.rates.upper_stretch,
        lower_stretch=view.rates.lower_stretch,
    )


async def site_zone(store: QueueStore, site_id: UUID | None) -> tzinfo:
    """The site's timezone, so times read as the hall's clock shows them; UTC if unknown."""
    site = await store.site(site_id) if site_id is not None else None
    return ZoneInfo(site.timezone) if site is not None else UTC
