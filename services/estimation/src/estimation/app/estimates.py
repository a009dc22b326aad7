"""Predictions computed from the stored queue state; shared by event handlers and queries."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from uuid import UUID
from zoneinfo import ZoneInfo

from estimation.app.ports import QueueStore
from estimation.domain.model import Service, Ticket
from estimation.domain.predictor import (
    DEFAULT_ARRIVAL_MARGIN,
    CallEstimate,
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


async def service_forecast(store: QueueStore, policy: EstimationPolicy, *, service_id: UUID,
                           at: datetime, site_id: UUID | None = None) -> ServiceForecast:
    """The wait, seen from ``at``, of a ticket taken now (it would be last in line)."""
    service = await store.service(service_id)
    waiting = await store.waiting_count(service_id)
    open_counters = await store.open_counters(service_id)
    band = wait_band(position=waiting + 1, mean_service_min=policy.mean_service_min(service),
                     open_counters=open_counters)
    return ServiceForecast(service_id=service_id, site_id=service.site_id if service else site_id,
                           at=at, waiting=waiting, open_counters=open_counters, band=band)


async def ticket_estimate(store: QueueStore, policy: EstimationPolicy, *, ticket: Ticket,
                          at: datetime) -> TicketEstimate:
    """The call band, seen from ``at``, of a ticket that is waiting."""
    service = await store.service(ticket.service_id)
    open_counters = await store.open_counters(ticket.service_id)
    mean = policy.mean_service_min(service)
    call = call_estimate(at=at, position=await store.position(ticket), mean_service_min=mean,
                         open_counters=open_counters, arrival_margin=policy.arrival_margin)
    return TicketEstimate(ticket=ticket, at=at, open_counters=open_counters, mean_service_min=mean, call=call)


async def site_zone(store: QueueStore, site_id: UUID | None) -> tzinfo:
    """The site's timezone, so times read as the hall's clock shows them; UTC if unknown."""
    site = await store.site(site_id) if site_id is not None else None
    return ZoneInfo(site.timezone) if site is not None else UTC
