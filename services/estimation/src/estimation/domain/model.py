"""What estimation knows about sites, services, counters and tickets.

A projection of the registry and queue events: only the facts a prediction needs,
plus the observed times (call, start, finish) that the learning pass will fit.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

CounterStatus = Literal["open", "paused", "closed"]
TicketStatus = Literal["waiting", "called", "serving", "done", "no_show", "cancelled", "transferred"]

# Elderly, disabled and pregnant citizens queue ahead of everyone else (SPEC: priority class).
PRIORITY_RANK = 0
REGULAR_RANK = 1


def queue_rank(priority: str, *, priority_enabled: bool) -> int:
    """Where a ticket's class sorts: lower ranks are called first."""
    if priority_enabled and priority != "regular":
        return PRIORITY_RANK
    return REGULAR_RANK


@dataclass(frozen=True)
class Site:
    id: UUID
    timezone: str
    active: bool = True
    # The registry's weekly hours {"mon": [["08:00", "12:00"], ["13:00", "15:00"]]} and closed days.
    hours: dict[str, Any] | None = None
    closed_dates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Service:
    id: UUID
    site_id: UUID
    mean_service_min: float
    priority_enabled: bool = True
    active: bool = True
    # Its own hours when they differ from the site's (null: the site's).
    hours: dict[str, Any] | None = None


@dataclass(frozen=True)
class Counter:
    id: UUID
    site_id: UUID
    service_ids: frozenset[UUID] = field(default_factory=frozenset)
    status: CounterStatus = "closed"
    active: bool = True

    def serving(self) -> frozenset[UUID]:
        """The services this counter currently draws tickets from (none unless open)."""
        if self.status == "open" and self.active:
            return self.service_ids
        return frozenset()


def services_affected(before: Counter | None, after: Counter) -> frozenset[UUID]:
    """Services whose number of open counters changes when ``before`` becomes ``after``."""
    previously = before.serving() if before is not None else frozenset()
    return previously ^ after.serving()


@dataclass(frozen=True)
class Journey:
    """An ordered bundle of services (alur); one journey ticket moves through them step by step."""

    id: UUID
    site_id: UUID
    steps: tuple[UUID, ...]
    active: bool = True

    def later_steps(self, step: int) -> list[tuple[int, UUID]]:
        """The (1-based step, service) pairs after ``step``."""
        return [(number, service) for number, service in enumerate(self.steps, start=1) if number > step]


@dataclass(frozen=True)
class Ticket:
    id: UUID
    site_id: UUID
    service_id: UUID
    priority: str
    queue_rank: int
    issued_at: datetime
    status: TicketStatus = "waiting"
    counter_id: UUID | None = None
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    closed_at: datetime | None = None
    travel_minutes: int | None = None
    # TUNDA: set once a no-show ticket rejoined its line; its issued_at is then the rejoin time.
    rejoined_at: datetime | None = None
    # A journey ticket: its journey and 1-based step (ticketing issues the next step's ticket later).
    journey_id: UUID | None = None
    journey_step: int | None = None

    @property
    def waiting(self) -> bool:
        return self.status == "waiting"

    def sort_key(self) -> tuple[int, datetime, UUID]:
        """Queue order: priority class, then issue time; the id only breaks exact ties."""
        return (self.queue_rank, self.issued_at, self.id)

    def called(self, *, counter_id: UUID, at: datetime) -> "Ticket":
        return replace(self, status="called", counter_id=counter_id, called_at=self.called_at or at)

    def started(self, *, counter_id: UUID, at: datetime) -> "Ticket":
        return replace(self, status="serving", counter_id=counter_id, started_at=at)

    def finished(self, *, at: datetime) -> "Ticket":
        return replace(self, status="done", finished_at=at, closed_at=at)

    def rejoined(self, *, at: datetime, queue_rank: int) -> "Ticket":
        """Back in line at the back of its class from ``at``, as ticketing places it (TUNDA).

        The first call is forgotten, so the service time learned after the second call runs
        from that call, not from one half an hour earlier."""
        return replace(
            self,
            status="waiting",
            queue_rank=queue_rank,
            issued_at=at,
            counter_id=None,
            called_at=None,
            started_at=None,
            closed_at=None,
            rejoined_at=at,
        )

    def closed(self, status: TicketStatus, *, at: datetime) -> "Ticket":
        """No-show, cancellation or transfer: the ticket leaves the queue for good."""
        return replace(self, status=status, closed_at=at)
