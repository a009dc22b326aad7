"""Predictions computed from the stored queue state; shared by event handlers, queries and replay."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from uuid import UUID
from zoneinfo import ZoneInfo

from estimation.app.ports import QueueStore
from estimation.domain.hours import opening_hours
from estimation.domain.learning import LearnedRates, LearningPolicy, counter_scope, learned_rates
from estimation.domain.model import Counter, Service, Ticket
from estimation.domain.predictor import (
    DEFAULT_ARRIVAL_MARGIN,
    DEFAULT_ARRIVAL_QUANTILE,
    CallEstimate,
    OpenCounter,
    OpeningHours,
    QueueSituation,
    WaitBand,
    call_estimate,
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
    # How many tickets at the head of a queue are re-checked per event (bounded work per event).
    recheck_head: int = 20

    def mean_service_min(self, service: Service | None) -> float:
        return service.mean_service_min if service is not None else self.default_mean_service_min


@dataclass(frozen=True)
class ServiceForecast:
    service_id: UUID
    site_id: UUID | None
    at: datetime
    waiting: int
    open_counters: int
    band: WaitBand


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
class _ServiceView:
    """What every ticket of one service shares at one moment."""

    service: Service | None
    counters: tuple[OpenCounter, ...]
    fallback_counters: int
    rates: LearnedRates
    hours: OpeningHours


async def _service_view(
    store: QueueStore, policy: EstimationPolicy, *, service_id: UUID, at: datetime
) -> _ServiceView:
    service = await store.service(service_id)
    zone = await site_zone(store, service.site_id if service else None)
    learned = await store.learning(service_id)
    rates = learned_rates(
        learned,
        prior_mean_min=policy.mean_service_min(service),
        hour=at.astimezone(zone).hour,
        policy=policy.learning,
    )
    open_now = await store.open_counters_of(service_id)
    busy = await store.busy_counters([counter.id for counter in open_now])
    counters = tuple(
        [
            OpenCounter(
                occupancy_min=rates.counter_occupancy_min(
                    learned, scope=counter_scope(counter.id), policy=policy.learning
                ),
                share=await _share(store, policy, counter, service_id),
                busy=counter.id in busy,
            )
            for counter in open_now
        ]
    )
    return _ServiceView(
        service=service,
        counters=counters,
        fallback_counters=await store.registered_counters(service_id),
        rates=rates,
        hours=await _hours(store, service, at=at, zone=zone),
    )


async def _share(store: QueueStore, policy: EstimationPolicy, counter: Counter, service_id: UUID) -> float:
    """The part of a counter's time that goes to ``service_id``: in proportion to the work waiting.

    A counter that calls the oldest ticket of its services spends its time on each line as that
    line's waiting work (tickets times their mean occupancy) weighs among them: counting tickets
    alone would have a quick service wait as long as a slow one sharing its counters.
    """
    if len(counter.service_ids) <= 1:
        return 1.0
    work = {other: await _waiting_work(store, policy, other) for other in counter.service_ids}
    total = sum(work.values())
    if total == 0:
        return 1.0 / len(counter.service_ids)
    # A line gets at least one citizen's worth of time: a counter does not starve it.
    own = max(work[service_id], await _mean_occupancy(store, policy, service_id))
    return min(own / max(total, own), 1.0)


async def _waiting_work(store: QueueStore, policy: EstimationPolicy, service_id: UUID) -> float:
    waiting = await store.waiting_count(service_id)
    return waiting * await _mean_occupancy(store, policy, service_id) if waiting else 0.0


async def _mean_occupancy(store: QueueStore, policy: EstimationPolicy, service_id: UUID) -> float:
    learned = await store.learning(service_id)
    prior = policy.mean_service_min(await store.service(service_id))
    return learned.occupancy.shrunk_mean(prior=prior, pseudo_count=policy.learning.service_pseudo_count)


async def _hours(store: QueueStore, service: Service | None, *, at: datetime, zone: tzinfo) -> OpeningHours:
    site = await store.site(service.site_id) if service is not None else None
    hours = (service.hours if service is not None and service.hours else None) or (
        site.hours if site else None
    )
    return opening_hours(hours, at=at, zone=zone, closed_dates=site.closed_dates if site else ())


def _situation(view: _ServiceView, policy: EstimationPolicy, position: int) -> QueueSituation:
    return QueueSituation(
        position=position,
        counters=view.counters,
        fallback_counters=view.fallback_counters,
        rates=view.rates,
        arrival_quantile=policy.arrival_quantile,
    )


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
    waiting = await store.waiting_count(service_id)
    band = wait_band(_situation(view, policy, waiting + 1))
    return ServiceForecast(
        service_id=service_id,
        site_id=view.service.site_id if view.service else site_id,
        at=at,
        waiting=waiting,
        open_counters=len(view.counters),
        band=band,
    )


async def ticket_estimate(
    store: QueueStore, policy: EstimationPolicy, *, ticket: Ticket, at: datetime
) -> TicketEstimate:
    """The call band, seen from ``at``, of a ticket that is waiting."""
    view = await _service_view(store, policy, service_id=ticket.service_id, at=at)
    return _ticket_estimate(view, policy, ticket=ticket, position=await store.position(ticket), at=at)


async def head_estimates(
    store: QueueStore, policy: EstimationPolicy, *, tickets: list[Ticket], at: datetime
) -> list[TicketEstimate]:
    """Estimates of the first waiting tickets of one service, in queue order (positions 1, 2, ...)."""
    if not tickets:
        return []
    view = await _service_view(store, policy, service_id=tickets[0].service_id, at=at)
    return [
        _ticket_estimate(view, policy, ticket=ticket, position=index, at=at)
        for index, ticket in enumerate(tickets, start=1)
    ]


def _ticket_estimate(
    view: _ServiceView, policy: EstimationPolicy, *, ticket: Ticket, position: int, at: datetime
) -> TicketEstimate:
    call = call_estimate(
        at=at,
        situation=_situation(view, policy, position),
        hours=view.hours,
        arrival_margin=policy.arrival_margin,
        travel_minutes=ticket.travel_minutes,
    )
    return TicketEstimate(
        ticket=ticket,
        at=at,
        open_counters=len(view.counters),
        mean_service_min=view.rates.occupancy_min,
        call=call,
        upper_stretch=view.rates.upper_stretch,
        lower_stretch=view.rates.lower_stretch,
    )


async def site_zone(store: QueueStore, site_id: UUID | None) -> tzinfo:
    """The site's timezone, so times read as the hall's clock shows them; UTC if unknown."""
    site = await store.site(site_id) if site_id is not None else None
    return ZoneInfo(site.timezone) if site is not None else UTC
