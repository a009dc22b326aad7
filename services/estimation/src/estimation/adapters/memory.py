"""The queue state in memory: for handler tests, and the base of the offline replay to come."""

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from antre_contracts import CloudEvent

from estimation.app.ports import Prediction, QueueStore
from estimation.domain.model import Counter, Service, Site, Ticket


@dataclass
class MemoryState:
    applied: set[UUID] = field(default_factory=set)
    sites: dict[UUID, Site] = field(default_factory=dict)
    services: dict[UUID, Service] = field(default_factory=dict)
    counters: dict[UUID, Counter] = field(default_factory=dict)
    tickets: dict[UUID, Ticket] = field(default_factory=dict)
    predictions: dict[UUID, Prediction] = field(default_factory=dict)
    calls: dict[UUID, datetime] = field(default_factory=dict)
    published: list[CloudEvent] = field(default_factory=list)


class MemoryQueueStore:
    """:class:`QueueStore` over a :class:`MemoryState`."""

    def __init__(self, state: MemoryState) -> None:
        self._state = state

    async def first_delivery(self, event_id: UUID) -> bool:
        if event_id in self._state.applied:
            return False
        self._state.applied.add(event_id)
        return True

    async def site(self, site_id: UUID) -> Site | None:
        return self._state.sites.get(site_id)

    async def save_site(self, site: Site) -> None:
        self._state.sites[site.id] = site

    async def service(self, service_id: UUID) -> Service | None:
        return self._state.services.get(service_id)

    async def save_service(self, service: Service) -> None:
        self._state.services[service.id] = service

    async def counter(self, counter_id: UUID) -> Counter | None:
        return self._state.counters.get(counter_id)

    async def save_counter(self, counter: Counter) -> None:
        self._state.counters[counter.id] = counter

    async def ticket(self, ticket_id: UUID) -> Ticket | None:
        return self._state.tickets.get(ticket_id)

    async def save_ticket(self, ticket: Ticket) -> None:
        self._state.tickets[ticket.id] = ticket

    async def position(self, ticket: Ticket) -> int:
        key = ticket.sort_key()
        return 1 + sum(1 for other in self._waiting(ticket.service_id) if other.sort_key() < key)

    async def waiting_count(self, service_id: UUID) -> int:
        return sum(1 for _ in self._waiting(service_id))

    async def open_counters(self, service_id: UUID) -> int:
        return sum(1 for counter in self._state.counters.values() if service_id in counter.serving())

    async def record_prediction(self, prediction: Prediction) -> None:
        self._state.predictions.setdefault(prediction.ticket_id, prediction)

    async def record_call(self, ticket_id: UUID, called_at: datetime) -> None:
        if ticket_id in self._state.predictions:
            self._state.calls.setdefault(ticket_id, called_at)

    async def emit(self, event: CloudEvent) -> None:
        self._state.published.append(event)

    def _waiting(self, service_id: UUID) -> list[Ticket]:
        return [t for t in self._state.tickets.values() if t.service_id == service_id and t.waiting]


class MemoryDatabase:
    """Units of work over one :class:`MemoryState`, rolled back whole when the block raises."""

    def __init__(self) -> None:
        self.state = MemoryState()

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[QueueStore]:
        before = copy.deepcopy(self.state)
        try:
            yield MemoryQueueStore(self.state)
        except BaseException:
            self.state = before
            raise
