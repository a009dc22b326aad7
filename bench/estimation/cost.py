"""Cost per event of the production handlers with 10 ... 10,000 tickets waiting in one service."""

import asyncio
import time
from datetime import datetime, timedelta
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from antre_contracts import CloudEvent, new_event
from antre_contracts.events import (
    CounterCalled,
    CounterStateChanged,
    RegistryChanged,
    ServiceFinished,
    ServiceStarted,
    TicketCancelled,
    TicketIssued,
)

from estimation.adapters.memory import MemoryDatabase
from estimation.app.estimates import EstimationPolicy
from estimation.app.handlers import handle_event

_NS = UUID("2b9c0f1e-6a0d-4d3b-8f1a-5c2e7d9b0a14")
START = datetime(2026, 6, 1, 8, 0, tzinfo=ZoneInfo("Asia/Makassar"))
SITE, SERVICE, AGENCY = uuid5(_NS, "site"), uuid5(_NS, "service"), uuid5(_NS, "agency")
COUNTERS = [uuid5(_NS, f"counter{i}") for i in range(3)]


def _event(type: str, data: object, at: datetime, subject: UUID) -> CloudEvent:
    return new_event(type=type, source="antre/bench", site_id=SITE, data=data, time=at, subject=subject)  # type: ignore[arg-type]


def _issue(index: int, at: datetime) -> CloudEvent:
    ticket = uuid5(_NS, f"ticket{index}")
    return _event(
        "ticket.issued",
        TicketIssued(
            ticket_id=ticket,
            number=f"A-{index:03d}",
            service_id=SERVICE,
            site_id=SITE,
            agency_id=AGENCY,
            channel="whatsapp",
            issued_at=at,
        ),
        at,
        ticket,
    )


def _setup() -> list[CloudEvent]:
    registry = [
        _event(
            "registry.changed",
            RegistryChanged(
                entity="site",
                id=SITE,
                op="upsert",
                state={"id": str(SITE), "timezone": "Asia/Makassar", "active": True},
            ),
            START,
            SITE,
        ),
        _event(
            "registry.changed",
            RegistryChanged(
                entity="service",
                id=SERVICE,
                op="upsert",
                state={"id": str(SERVICE), "site_id": str(SITE), "mean_service_min": 5, "active": True},
            ),
            START,
            SERVICE,
        ),
    ]
    opened = [
        _event("counter.opened", CounterStateChanged(counter_id=c, service_ids=[SERVICE], at=START), START, c)
        for c in COUNTERS
    ]
    return registry + opened


def _cycle(round_: int, waiting: int, at: datetime) -> list[CloudEvent]:
    """One round of ordinary traffic: two tickets join, the head is called and served, one cancels.

    The queue keeps its length, so every round is measured at the size under test.
    """
    # Queue order: the first ``waiting`` tickets, then the newcomers that stay (even offsets).
    head_index = round_ if round_ < waiting else waiting + 2 * (round_ - waiting)
    head = uuid5(_NS, f"ticket{head_index}")
    stays, newcomer = waiting + 2 * round_, waiting + 2 * round_ + 1
    counter = COUNTERS[round_ % len(COUNTERS)]
    return [
        _issue(stays, at),
        _issue(newcomer, at),
        _event(
            "counter.called",
            CounterCalled(ticket_id=head, counter_id=counter, service_id=SERVICE, called_at=at),
            at,
            counter,
        ),
        _event(
            "service.started",
            ServiceStarted(ticket_id=head, counter_id=counter, service_id=SERVICE, started_at=at),
            at,
            head,
        ),
        _event(
            "service.finished",
            ServiceFinished(
                ticket_id=head, counter_id=counter, service_id=SERVICE, finished_at=at + timedelta(minutes=1)
            ),
            at + timedelta(minutes=1),
            head,
        ),
        _event(
            "ticket.cancelled",
            TicketCancelled(
                ticket_id=uuid5(_NS, f"ticket{newcomer}"), service_id=SERVICE, at=at + timedelta(minutes=1)
            ),
            at + timedelta(minutes=1),
            uuid5(_NS, f"ticket{newcomer}"),
        ),
    ]


async def cost_per_event(waiting: int, *, rounds: int = 200) -> tuple[float, float]:
    """Microseconds per event, and ticket.estimated events sent per incoming event."""
    policy = EstimationPolicy()
    database = MemoryDatabase(rollback=False)
    for event in _setup() + [_issue(i, START) for i in range(waiting)]:
        await handle_event(event, unit_of_work=database.unit_of_work, policy=policy)
    database.state.published.clear()
    timed = [e for r in range(rounds) for e in _cycle(r, waiting, START + timedelta(minutes=2 * r + 1))]
    # The best of five blocks: on a shared 2-core machine the other blocks measure the neighbours.
    block = len(timed) // 5
    per_block = []
    for start in range(0, block * 5, block):
        began = time.perf_counter()
        for event in timed[start : start + block]:
            await handle_event(event, unit_of_work=database.unit_of_work, policy=policy)
        per_block.append((time.perf_counter() - began) / block)
    estimates = sum(1 for e in database.state.published if e.type == "ticket.estimated")
    return min(per_block) * 1e6, estimates / (block * 5)


def run_cost(sizes: tuple[int, ...] = (10, 100, 1000, 10000)) -> list[tuple[int, float, float]]:
    # One warm-up pass, so no size pays alone for filling the predictor's quantile cache.
    for size in sizes[:2]:
        asyncio.run(cost_per_event(size, rounds=100))
    return [(size, *asyncio.run(cost_per_event(size))) for size in sizes]
