"""The queue state in memory: the offline replay and the benchmark run on it, and handler tests.

It answers exactly like the PostgreSQL store, with an ordered index of each service's waiting
line so that position and head queries stay cheap however long the queue is.
"""

import bisect
import copy
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from antre_contracts import CloudEvent

from estimation.app.ports import LastEstimate, Prediction, QueueStore
from estimation.domain.learning import ALL, Measure, Moments, ServiceLearning
from estimation.domain.model import Counter, Journey, Service, Site, Ticket

_SortKey = tuple[int, datetime, UUID]
_LOWEST_ID = UUID(int=0)


@dataclass
class MemoryState:
    applied: set[UUID] = field(default_factory=set)
    sites: dict[UUID, Site] = field(default_factory=dict)
    services: dict[UUID, Service] = field(default_factory=dict)
    counters: dict[UUID, Counter] = field(default_factory=dict)
    journeys: dict[UUID, Journey] = field(default_factory=dict)
    tickets: dict[UUID, Ticket] = field(default_factory=dict)
    # Per service, the sort keys of its waiting tickets, kept in queue order.
    waiting: dict[UUID, list[_SortKey]] = field(default_factory=lambda: defaultdict(list))
    # Per counter, the ticket it has called or is serving.
    at_counter: dict[UUID, UUID] = field(default_factory=dict)
    # Per service, the moments of each (measure, scope).
    learned: dict[UUID, dict[tuple[Measure, str], Moments]] = field(default_factory=lambda: defaultdict(dict))
    sweep_cursors: dict[UUID, _SortKey] = field(default_factory=dict)
    last_estimates: dict[UUID, LastEstimate] = field(default_factory=dict)
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

    async def journey(self, journey_id: UUID) -> Journey | None:
        return self._state.journeys.get(journey_id)

    async def save_journey(self, journey: Journey) -> None:
        self._state.journeys[journey.id] = journey

    async def ticket(self, ticket_id: UUID) -> Ticket | None:
        return self._state.tickets.get(ticket_id)

    async def save_ticket(self, ticket: Ticket) -> None:
        before = self._state.tickets.get(ticket.id)
        if before is not None and before.waiting:
            line = self._state.waiting[before.service_id]
            del line[bisect.bisect_left(line, before.sort_key())]
        if before is not None and before.counter_id is not None:
            if self._state.at_counter.get(before.counter_id) == ticket.id:
                del self._state.at_counter[before.counter_id]
        self._state.tickets[ticket.id] = ticket
        if ticket.waiting:
            bisect.insort(self._state.waiting[ticket.service_id], ticket.sort_key())
        if ticket.status in ("called", "serving") and ticket.counter_id is not None:
            self._state.at_counter[ticket.counter_id] = ticket.id

    async def position(self, ticket: Ticket) -> int:
        return 1 + bisect.bisect_left(self._state.waiting[ticket.service_id], ticket.sort_key())

    async def waiting_count(self, service_id: UUID) -> int:
        return len(self._state.waiting[service_id])

    async def waiting_head(self, service_id: UUID, limit: int) -> list[Ticket]:
        return [self._state.tickets[key[2]] for key in self._state.waiting[service_id][:limit]]

    async def waiting_after(self, service_id: UUID, key: _SortKey, limit: int) -> list[Ticket]:
        line = self._state.waiting[service_id]
        start = bisect.bisect_right(line, key)
        return [self._state.tickets[k[2]] for k in line[start : start + limit]]

    async def sweep_cursor(self, service_id: UUID) -> _SortKey | None:
        return self._state.sweep_cursors.get(service_id)

    async def set_sweep_cursor(self, service_id: UUID, key: _SortKey) -> None:
        self._state.sweep_cursors[service_id] = key

    async def open_counters(self, service_id: UUID) -> int:
        return len(await self.open_counters_of(service_id))

    async def open_counters_of(self, service_id: UUID) -> list[Counter]:
        # A hall has tens of counters, not thousands: a scan is bounded by the site, not the queue.
        return sorted(
            (c for c in self._state.counters.values() if service_id in c.serving()), key=lambda c: c.id
        )

    async def registered_counters(self, service_id: UUID) -> list[Counter]:
        return sorted(
            (c for c in self._state.counters.values() if c.active and service_id in c.service_ids),
            key=lambda c: c.id,
        )

    async def counter_tickets(self, counter_ids: list[UUID]) -> list[Ticket]:
        at_counter = self._state.at_counter
        return [self._state.tickets[at_counter[c]] for c in counter_ids if c in at_counter]

    async def waiting_before(self, service_id: UUID, *, queue_rank: int, issued_at: datetime) -> int:
        return bisect.bisect_left(self._state.waiting[service_id], (queue_rank, issued_at, _LOWEST_ID))

    async def learning(self, service_id: UUID) -> ServiceLearning:
        learned = self._state.learned[service_id]
        by_scope = {
            scope: moments for (measure, scope), moments in learned.items() if measure == Measure.OCCUPANCY
        }
        return ServiceLearning(
            occupancy=by_scope.get(ALL, Moments()),
            occupancy_by_scope=by_scope,
            no_show=learned.get((Measure.NO_SHOW, ALL), Moments()),
            no_show_delay=learned.get((Measure.NO_SHOW_DELAY, ALL), Moments()),
            cancel=learned.get((Measure.CANCEL, ALL), Moments()),
            late=learned.get((Measure.LATE, ALL), Moments()),
            early=learned.get((Measure.EARLY, ALL), Moments()),
            overtaking=learned.get((Measure.OVERTAKING, ALL), Moments()),
        )

    async def learn(self, service_id: UUID, measure: Measure, scopes: list[str], value: float) -> None:
        learned = self._state.learned[service_id]
        for scope in scopes:
            learned[(measure, scope)] = learned.get((measure, scope), Moments()).add(value)

    async def last_estimate(self, ticket_id: UUID) -> LastEstimate | None:
        return self._state.last_estimates.get(ticket_id)

    async def save_last_estimate(self, last: LastEstimate) -> None:
        self._state.last_estimates[last.ticket_id] = last

    async def record_prediction(self, prediction: Prediction) -> None:
        self._state.predictions.setdefault(prediction.ticket_id, prediction)

    async def prediction(self, ticket_id: UUID) -> Prediction | None:
        return self._state.predictions.get(ticket_id)

    async def record_call(self, ticket_id: UUID, called_at: datetime) -> None:
        if ticket_id in self._state.predictions:
            self._state.calls.setdefault(ticket_id, called_at)

    async def emit(self, event: CloudEvent) -> None:
        self._state.published.append(event)


class MemoryDatabase:
    """Units of work over one :class:`MemoryState`.

    With ``rollback`` (the default, as in tests) a block that raises leaves the state as it was;
    the replay turns it off, because copying the whole state per event would make the cost of
    an event grow with the queue.
    """

    def __init__(self, *, rollback: bool = True) -> None:
        self.state = MemoryState()
        self._rollback = rollback

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[QueueStore]:
        if not self._rollback:
            yield MemoryQueueStore(self.state)
            return
        before = copy.deepcopy(self.state)
        try:
            yield MemoryQueueStore(self.state)
        except BaseException:
            self.state = before
            raise
