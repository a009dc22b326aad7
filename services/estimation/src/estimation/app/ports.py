"""What the use cases need from storage; PostgreSQL in production, memory in tests."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from antre_contracts import CloudEvent

from estimation.domain.learning import Measure, ServiceLearning
from estimation.domain.model import Counter, Journey, Service, Site, Ticket
from estimation.domain.predictor import CallEstimate

# Queue order of a waiting ticket: (priority class rank, issued at, ticket id).
SortKey = tuple[int, datetime, UUID]


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
    # The stretch of the band's upper and lower halves in force then: the model's own band is
    # recovered from them when the call comes (calibration must not feed on its own output).
    upper_stretch: float = 1.0
    lower_stretch: float = 1.0


@dataclass(frozen=True)
class LastEstimate:
    """The last ``ticket.estimated`` sent for a ticket: the next is sent only if it moved visibly."""

    ticket_id: UUID
    call_p50: datetime
    arrive_by: datetime
    # The expected call time sent along (the replay writes it; null in rows from before it existed).
    call_mean: datetime | None = None


@dataclass(frozen=True)
class ServiceAccuracy:
    service_id: UUID
    day: str
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
    async def journey(self, journey_id: UUID) -> Journey | None: ...
    async def save_journey(self, journey: Journey) -> None: ...
    async def ticket(self, ticket_id: UUID) -> Ticket | None: ...
    async def save_ticket(self, ticket: Ticket) -> None: ...

    async def position(self, ticket: Ticket) -> int:
        """1-based place of a waiting ticket among the waiting tickets of its service."""
        ...

    async def waiting_count(self, service_id: UUID) -> int: ...

    async def waiting_head(self, service_id: UUID, limit: int) -> list[Ticket]:
        """The first ``limit`` waiting tickets of a service, in queue order."""
        ...

    async def waiting_after(self, service_id: UUID, key: SortKey, limit: int) -> list[Ticket]:
        """The next ``limit`` waiting tickets of a service that sort after ``key``, in queue order."""
        ...

    async def sweep_cursor(self, service_id: UUID) -> SortKey | None:
        """The sort key of the last ticket the rotating re-check of this service reached."""
        ...

    async def set_sweep_cursor(self, service_id: UUID, key: SortKey) -> None: ...

    async def last_estimate(self, ticket_id: UUID) -> LastEstimate | None: ...
    async def save_last_estimate(self, last: LastEstimate) -> None: ...
    async def open_counters(self, service_id: UUID) -> int: ...

    async def open_counters_of(self, service_id: UUID) -> list[Counter]:
        """The counters open now that call this service's tickets, ordered by id."""
        ...

    async def registered_counters(self, service_id: UUID) -> list[Counter]:
        """Active counters that serve this service, open or not, ordered by id."""
        ...

    async def counter_tickets(self, counter_ids: list[UUID]) -> list[Ticket]:
        """Of ``counter_ids``, the ticket each has called or is serving (none for an idle counter)."""
        ...

    async def waiting_before(self, service_id: UUID, *, queue_rank: int, issued_at: datetime) -> int:
        """Waiting tickets of a service that sort before (``queue_rank``, ``issued_at``)."""
        ...

    async def learning(self, service_id: UUID) -> ServiceLearning: ...

    async def learn(self, service_id: UUID, measure: Measure, scopes: list[str], value: float) -> None:
        """Add one observation of ``measure`` to each of ``scopes`` of the service."""
        ...

    async def record_prediction(self, prediction: Prediction) -> None: ...

    async def prediction(self, ticket_id: UUID) -> Prediction | None:
        """What the ticket was promised at issue, if it was."""
        ...

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
        """Per service and local day with at least one called ticket, ordered by service and day."""
        ...
