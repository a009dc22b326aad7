"""Event handling on real PostgreSQL: the outbox rows, idempotency, and parity with the fake."""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest
from antre_contracts import CloudEvent, parse_event
from antre_contracts.topics import ESTIMATES
from antre_platform.db import create_pool, migrate

from estimation.adapters.memory import MemoryDatabase
from estimation.adapters.postgres import PostgresDatabase
from estimation.app.estimates import EstimationPolicy
from estimation.app.handlers import handle_event
from estimation.main import MIGRATIONS

POLICY = EstimationPolicy(default_mean_service_min=10.0, arrival_margin=timedelta(minutes=5))


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(database_url, "estimation", MIGRATIONS)
    pool = await create_pool(database_url, max_size=2)
    yield pool
    await pool.close()


async def feed(db: PostgresDatabase | MemoryDatabase, events: list[CloudEvent]) -> None:
    for event in events:
        await handle_event(event, unit_of_work=db.unit_of_work, policy=POLICY)


async def outbox(pool: asyncpg.Pool) -> list[tuple[str, str, CloudEvent]]:
    rows = await pool.fetch("SELECT topic, record_key, payload FROM outbox ORDER BY id")
    return [(row["topic"], row["record_key"], parse_event(bytes(row["payload"]))) for row in rows]


def opening_and_three_tickets(hall: Any) -> list[CloudEvent]:
    return [
        hall.site(),
        hall.service(mean_service_min=5),
        hall.counter(0),
        hall.counter_state("counter.opened", minute=0),
        hall.issued(1, number="A-001"),
        hall.issued(2, number="A-002"),
        hall.issued(3, number="A-003"),
    ]


async def test_three_tickets_give_forecasts_and_estimates_in_the_outbox(
    pool: asyncpg.Pool, hall: Any
) -> None:
    await feed(PostgresDatabase(lambda: pool), opening_and_three_tickets(hall))

    rows = await outbox(pool)
    assert {(topic, key) for topic, key, _ in rows} == {(ESTIMATES, str(hall.site_id))}
    forecasts = [e.data for _, _, e in rows if e.type == "queue.forecast"]
    # The service appears (nobody waits, no counter open), its counter opens, three join.
    assert [(f["waiting"], f["open_counters"]) for f in forecasts] == [(0, 0), (0, 1), (1, 1), (2, 1), (3, 1)]
    # An idle open counter calls a newcomer at once; each citizen ahead adds about 5 minutes.
    waits = [f["wait_p50"] for f in forecasts]
    assert waits[1] == 0.0 and waits[2] < waits[3] < waits[4] < 20.0
    assert forecasts[-1]["at"] == "2026-05-04T08:03:00+08:00"
    estimates = [e for _, _, e in rows if e.type == "ticket.estimated"]
    assert [e.data["position"] for e in estimates] == [1, 2, 3]
    assert all(e.subject == e.data["ticket_id"] and e.source == "antre/estimation" for e in estimates)


async def test_the_same_events_twice_change_nothing(pool: asyncpg.Pool, hall: Any) -> None:
    db = PostgresDatabase(lambda: pool)
    events = opening_and_three_tickets(hall)
    await feed(db, events)
    before = (
        await outbox(pool),
        await pool.fetch("SELECT * FROM tickets ORDER BY id"),
        await pool.fetch("SELECT * FROM predictions ORDER BY ticket_id"),
    )

    await feed(db, events)

    after = (
        await outbox(pool),
        await pool.fetch("SELECT * FROM tickets ORDER BY id"),
        await pool.fetch("SELECT * FROM predictions ORDER BY ticket_id"),
    )
    assert after == before


async def test_a_whole_morning_gives_the_same_events_as_the_in_memory_store(
    pool: asyncpg.Pool, hall: Any
) -> None:
    first, second, fourth = hall.issued(1), hall.issued(2), hall.issued(4)
    elderly = hall.issued(3, priority="elderly")
    transfer, _ = hall.transferred(first, 20, to_service_id=hall.other_service_id)
    morning = [
        hall.site(),
        hall.service(mean_service_min=6),
        hall.service(service_id=hall.other_service_id),
        hall.counter(0),
        hall.counter(1, service_ids=[hall.service_id, hall.other_service_id]),
        hall.counter_state("counter.opened", 0, minute=0),
        first,
        second,
        elderly,
        hall.counter_state(
            "counter.opened", 1, minute=3, service_ids=[hall.service_id, hall.other_service_id]
        ),
        fourth,
        hall.called(elderly, 5),
        hall.called(elderly, 6, recall=1),
        hall.started(elderly, 7),
        hall.finished(elderly, 11),
        hall.called(first, 8, index=1),
        hall.cancelled(second, 9),
        hall.called(fourth, 10),
        hall.no_show(fourth, 14),
        hall.rejoined(fourth, 14.5),
        hall.counter_state("counter.paused", 0, minute=15),
        transfer,
        hall.counter(1, op="delete"),
    ]
    memory = MemoryDatabase()
    await feed(memory, morning)
    await feed(PostgresDatabase(lambda: pool), morning)

    def comparable(events: list[CloudEvent]) -> list[tuple[str, str | None, dict[str, Any]]]:
        return [(e.type, e.subject, e.data) for e in events]

    assert comparable([e for _, _, e in await outbox(pool)]) == comparable(memory.state.published)
    assert len(memory.state.published) > 15


async def test_a_failed_event_leaves_no_trace_and_is_applied_when_redelivered(
    pool: asyncpg.Pool, hall: Any
) -> None:
    db = PostgresDatabase(lambda: pool)
    await feed(db, opening_and_three_tickets(hall)[:4])
    ticket = hall.issued(1)
    await pool.execute("ALTER TABLE predictions ADD CONSTRAINT fail_now CHECK (position < 0)")
    with pytest.raises(asyncpg.CheckViolationError):
        await feed(db, [ticket])
    assert await pool.fetchval("SELECT count(*) FROM tickets") == 0
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE event_type = 'ticket.estimated'") == 0

    await pool.execute("ALTER TABLE predictions DROP CONSTRAINT fail_now")
    await feed(db, [ticket])
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE event_type = 'ticket.estimated'") == 1


async def test_a_long_line_is_re_checked_in_turn_the_same_way_in_postgresql(
    pool: asyncpg.Pool, hall: Any
) -> None:
    """The rotating re-check behind the head (a stored cursor, wrapping round) publishes the
    same estimates from PostgreSQL as from memory, including after it wraps."""
    line = [hall.issued(minute / 10) for minute in range(45)]
    day = [
        hall.site(),
        hall.service(mean_service_min=6),
        hall.counter(0),
        hall.counter(1),
        hall.counter_state("counter.opened", 0, minute=0),
        *line,
        hall.counter_state("counter.opened", 1, minute=5),
        *(hall.issued(5 + minute / 10) for minute in range(1, 8)),
        hall.counter_state("counter.closed", 1, minute=6),
        *(hall.issued(6 + minute / 10) for minute in range(1, 8)),
    ]
    memory = MemoryDatabase()
    await feed(memory, day)
    await feed(PostgresDatabase(lambda: pool), day)
    from_postgres = [(e.type, e.subject, e.data) for _, _, e in await outbox(pool)]
    assert from_postgres == [(e.type, e.subject, e.data) for e in memory.state.published]
    # After the second counter opened, the tickets far back were re-checked in turn and told.
    far_back = {str(e.data["ticket_id"]) for e in line[30:]}
    told = {
        str(data["ticket_id"])
        for kind, _, data in from_postgres
        if kind == "ticket.estimated" and datetime.fromisoformat(str(data["at"])) >= hall.at(5)
    }
    assert far_back <= told
