"""What the use cases need from storage; PostgreSQL in production, memory in tests."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from antre_contracts import CloudEvent

from estimation.domain.model import Counter, Service, Site, Ticket
from estimation.domain.predictor import CallEstimate


@dataclass(frozen=True)
class Prediction:
    """What was promised at issue time, kept to be compared with the real call."""

    ticket_id: UUID
    service_id: UUID
    site_id: UUID
    predicted_at: datetime
    open_counters: int
    mean_service_min: float
    estimate: CallEstimate


@dataclass(frozen=True)
class ServiceAccuracy:
    service_id: UUID
    predictions: int
    called: int
    mae_minutes: float
    p90_abs_error_minutes: float
    band_coverage: float


class QueueStore(Protocol):
    """The queue state of every service, inside one transaction."""

    async def first_delivery(self, event_id: UUID) -> bool:
        """Record ``event_id`` as applied; False if it already was."""
        ...

    async def site(self, site_id: UUID) -> Site | None: ...
    async def save_site(self, site: Site) -> None: ...
    async def service(self, service_id: UUID) -> Service | None: ...
    async def save_service(self, service: Service) -> None: ...
    async def counter(self, counter_id: UUID) -> Counter | None: ...
    async def save_counter(self, counter: Counter) -> None: ...
    async def ticket(self, ticket_id: UUID) -> Ticket | None: ...
    async def save_ticket(self, ticket: Ticket) -> None: ...

    async def position(self, ticket: Ticket) -> int:
        """1-based place of a waiting ticket among the waiting tickets of its service."""
        ...

    async def waiting_count(self, service_id: UUID) -> int: ...
    async def open_counters(self, service_id: UUID) -> int: ...
    async def record_prediction(self, prediction: Prediction) -> None: ...

    async def record_call(self, ticket_id: UUID, called_at: datetime) -> None:
        """The actual first call of a predicted ticket; later calls keep the first."""
        ...

    async def emit(self, event: CloudEvent) -> None:
        """Publish ``event`` with this transaction (the outbox)."""
        ...


UnitOfWork = Callable[[], AbstractAsyncContextManager[QueueStore]]
"""Opens a transaction: commits when the block ends, rolls back if it raises."""


class AccuracyReader(Protocol):
    async def accuracy(self) -> list[ServiceAccuracy]:
        """Per service with at least one called ticket, ordered by service id."""
        ...
