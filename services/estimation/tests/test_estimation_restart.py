"""Predictions after a restart (state rebuilt from PostgreSQL) equal those of an uninterrupted run."""

import socket
from typing import Any

import httpx
from antre_contracts import CloudEvent, parse_event
from antre_platform.clock import FixedClock

from estimation.adapters.memory import MemoryDatabase
from estimation.adapters.postgres import PostgresDatabase
from estimation.app.estimates import EstimationPolicy
from estimation.app.handlers import handle_event
from estimation.app.queries import current_estimate
from estimation.main import create_app
from estimation.settings import Settings


def a_busy_morning(hall: Any) -> tuple[list[CloudEvent], list[CloudEvent]]:
    """Served citizens (learning), no-shows, a cancellation, a second counter, and people still waiting."""
    events = [
        hall.site(),
        hall.service(mean_service_min=5),
        hall.counter(0),
        hall.counter(1),
        hall.counter_state("counter.opened", 0, minute=0),
    ]
    tickets = [hall.issued(minute * 1.5) for minute in range(24)]
    events += tickets[:6]
    clock = 0.0
    for index, ticket in enumerate(tickets[:10]):
        events.append(hall.called(ticket, clock + 0.5))
        if index % 4 == 3:
            events.append(hall.no_show(ticket, clock + 2.5))
            clock += 2.5
        else:
            events += [hall.started(ticket, clock + 1), hall.finished(ticket, clock + 7 + index % 3)]
            clock += 7 + index % 3
        if index + 6 < len(tickets):
            events.append(tickets[index + 6])
    events += [
        hall.cancelled(tickets[12], clock + 1),
        hall.counter_state("counter.opened", 1, minute=clock + 2),
    ]
    events += tickets[16:]
    events.sort(key=lambda e: e.time)
    middle = len(events) // 2
    return events[:middle], events[middle:]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def run_app_on(database_url: str, events: list[CloudEvent], hall: Any) -> None:
    """Start the service, apply ``events`` as its consumer would, stop it."""
    settings = Settings(env="test", database_url=database_url, kafka_bootstrap=f"127.0.0.1:{closed_port()}")
    app = create_app(settings, clock=FixedClock(hall.at(0)))
    async with app.router.lifespan_context(app):
        db = PostgresDatabase(lambda: app.state.runtime.pool)
        for event in events:
            await handle_event(event, unit_of_work=db.unit_of_work, policy=EstimationPolicy())


async def test_predictions_after_a_restart_equal_those_without_one(database_url: str, hall: Any) -> None:
    before, after = a_busy_morning(hall)
    uninterrupted = MemoryDatabase(rollback=False)
    for event in before + after:
        await handle_event(event, unit_of_work=uninterrupted.unit_of_work, policy=EstimationPolicy())

    await run_app_on(database_url, before, hall)  # the service runs, then stops
    await run_app_on(database_url, after, hall)  # a new process: only PostgreSQL remembers

    settings = Settings(env="test", database_url=database_url, kafka_bootstrap=f"127.0.0.1:{closed_port()}")
    now = hall.at(60)
    app = create_app(settings, clock=FixedClock(now))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://estimation") as client,
    ):
        rows = await app.state.runtime.pool.fetch("SELECT payload FROM outbox ORDER BY id")
        restarted = [parse_event(bytes(row["payload"])) for row in rows]
        waiting = [t for t in uninterrupted.state.tickets.values() if t.waiting]
        answers = {t.id: (await client.get(f"/v1/tickets/{t.id}/estimate")).json() for t in waiting}

    def comparable(events: list[CloudEvent]) -> list[tuple[str, str | None, dict[str, Any]]]:
        return [(e.type, e.subject, e.data) for e in events]

    # Every forecast and estimate, before and after the restart, is the one the uninterrupted run sent.
    assert comparable(restarted) == comparable(uninterrupted.state.published)
    assert sum(e.type == "ticket.estimated" for e in restarted) >= 24
    # And so is what each waiting citizen is told now (learned service times included).
    assert len(waiting) >= 5
    for ticket in waiting:
        async with uninterrupted.unit_of_work() as store:
            expected = await current_estimate(store, EstimationPolicy(), ticket_id=ticket.id, now=now)
        answer = answers[ticket.id]
        assert (answer["position"], answer["call_p50"], answer["arrive_by"]) == (
            expected.position,
            expected.call_p50.isoformat(),
            expected.arrive_by.isoformat(),
        )
