"""The queue state in PostgreSQL, the outbox and the inbox in the same transaction."""

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from antre_contracts import CloudEvent
from antre_platform import inbox, outbox

from estimation.app.handlers import CONSUMER
from estimation.app.ports import LastEstimate, Prediction, QueueStore, ServiceAccuracy
from estimation.domain.learning import ALL, Measure, Moments, ServiceLearning
from estimation.domain.model import Counter, Journey, Service, Site, Ticket
from estimation.domain.predictor import CallEstimate


class PostgresQueueStore:
    """:class:`QueueStore` on one connection inside an open transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def first_delivery(self, event_id: UUID) -> bool:
        return await inbox.first_delivery(self._conn, consumer=CONSUMER, event_id=event_id)

    async def site(self, site_id: UUID) -> Site | None:
        row = await self._conn.fetchrow(
            "SELECT id, timezone, active, hours, closed_dates FROM sites WHERE id = $1", site_id
        )
        if row is None:
            return None
        return Site(
            id=row["id"],
            timezone=row["timezone"],
            active=row["active"],
            hours=_json(row["hours"]),
            closed_dates=tuple(row["closed_dates"]),
        )

    async def save_site(self, site: Site) -> None:
        await self._conn.execute(
            "INSERT INTO sites (id, timezone, active, hours, closed_dates) VALUES ($1, $2, $3, $4, $5) "
            "ON CONFLICT (id) DO UPDATE SET timezone = EXCLUDED.timezone, active = EXCLUDED.active, "
            "hours = EXCLUDED.hours, closed_dates = EXCLUDED.closed_dates",
            site.id,
            site.timezone,
            site.active,
            _jsonb(site.hours),
            list(site.closed_dates),
        )

    async def service(self, service_id: UUID) -> Service | None:
        row = await self._conn.fetchrow(
            "SELECT id, site_id, mean_service_min, priority_enabled, active, hours "
            "FROM services WHERE id = $1",
            service_id,
        )
        if row is None:
            return None
        return Service(
            id=row["id"],
            site_id=row["site_id"],
            mean_service_min=row["mean_service_min"],
            priority_enabled=row["priority_enabled"],
            active=row["active"],
            hours=_json(row["hours"]),
        )

    async def save_service(self, service: Service) -> None:
        await self._conn.execute(
            "INSERT INTO services (id, site_id, mean_service_min, priority_enabled, active, hours) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET site_id = EXCLUDED.site_id, "
            "mean_service_min = EXCLUDED.mean_service_min, priority_enabled = EXCLUDED.priority_enabled, "
            "active = EXCLUDED.active, hours = EXCLUDED.hours",
            service.id,
            service.site_id,
            service.mean_service_min,
            service.priority_enabled,
            service.active,
            _jsonb(service.hours),
        )

    async def counter(self, counter_id: UUID) -> Counter | None:
        row = await self._conn.fetchrow(
            "SELECT id, site_id, service_ids, status, active FROM counters WHERE id = $1", counter_id
        )
        if row is None:
            return None
        return Counter(
            id=row["id"],
            site_id=row["site_id"],
            service_ids=frozenset(row["service_ids"]),
            status=row["status"],
            active=row["active"],
        )

    async def save_counter(self, counter: Counter) -> None:
        await self._conn.execute(
            "INSERT INTO counters (id, site_id, service_ids, status, active) VALUES ($1, $2, $3, $4, $5) "
            "ON CONFLICT (id) DO UPDATE SET site_id = EXCLUDED.site_id, service_ids = EXCLUDED.service_ids, "
            "status = EXCLUDED.status, active = EXCLUDED.active",
            counter.id,
            counter.site_id,
            sorted(counter.service_ids),
            counter.status,
            counter.active,
        )

    async def journey(self, journey_id: UUID) -> Journey | None:
        row = await self._conn.fetchrow(
            "SELECT id, site_id, steps, active FROM journeys WHERE id = $1", journey_id
        )
        if row is None:
            return None
        return Journey(id=row["id"], site_id=row["site_id"], steps=tuple(row["steps"]), active=row["active"])

    async def save_journey(self, journey: Journey) -> None:
        await self._conn.execute(
            "INSERT INTO journeys (id, site_id, steps, active) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (id) DO UPDATE SET site_id = EXCLUDED.site_id, steps = EXCLUDED.steps, "
            "active = EXCLUDED.active",
            journey.id,
            journey.site_id,
            list(journey.steps),
            journey.active,
        )

    async def ticket(self, ticket_id: UUID) -> Ticket | None:
        row = await self._conn.fetchrow(f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE id = $1", ticket_id)
        return Ticket(**row) if row is not None else None

    async def save_ticket(self, ticket: Ticket) -> None:
        values = [getattr(ticket, column) for column in _TICKET_COLUMN_NAMES]
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _TICKET_COLUMN_NAMES if c != "id")
        placeholders = ", ".join(f"${i}" for i in range(1, len(values) + 1))
        await self._conn.execute(
            f"INSERT INTO tickets ({_TICKET_COLUMNS}) VALUES ({placeholders}) "
            f"ON CONFLICT (id) DO UPDATE SET {updates}",
            *values,
        )

    async def position(self, ticket: Ticket) -> int:
        ahead = await self._conn.fetchval(
            "SELECT count(*) FROM tickets WHERE service_id = $1 AND status = 'waiting' "
            "AND (queue_rank, issued_at, id) < ($2, $3, $4)",
            ticket.service_id,
            ticket.queue_rank,
            ticket.issued_at,
            ticket.id,
        )
        return int(ahead) + 1

    async def waiting_count(self, service_id: UUID) -> int:
        return int(
            await self._conn.fetchval(
                "SELECT count(*) FROM tickets WHERE service_id = $1 AND status = 'waiting'", service_id
            )
        )

    async def waiting_head(self, service_id: UUID, limit: int) -> list[Ticket]:
        rows = await self._conn.fetch(
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE service_id = $1 AND status = 'waiting' "
            "ORDER BY queue_rank, issued_at, id LIMIT $2",
            service_id,
            limit,
        )
        return [Ticket(**row) for row in rows]

    async def waiting_after(
        self, service_id: UUID, key: tuple[int, datetime, UUID], limit: int
    ) -> list[Ticket]:
        rows = await self._conn.fetch(
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE service_id = $1 AND status = 'waiting' "
            "AND (queue_rank, issued_at, id) > ($2, $3, $4) ORDER BY queue_rank, issued_at, id LIMIT $5",
            service_id,
            *key,
            limit,
        )
        return [Ticket(**row) for row in rows]

    async def sweep_cursor(self, service_id: UUID) -> tuple[int, datetime, UUID] | None:
        row = await self._conn.fetchrow(
            "SELECT queue_rank, issued_at, ticket_id FROM sweep_cursors WHERE service_id = $1", service_id
        )
        return (row["queue_rank"], row["issued_at"], row["ticket_id"]) if row is not None else None

    async def set_sweep_cursor(self, service_id: UUID, key: tuple[int, datetime, UUID]) -> None:
        await self._conn.execute(
            "INSERT INTO sweep_cursors (service_id, queue_rank, issued_at, ticket_id) "
            "VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (service_id) DO UPDATE SET queue_rank = EXCLUDED.queue_rank, "
            "issued_at = EXCLUDED.issued_at, ticket_id = EXCLUDED.ticket_id",
            service_id,
            *key,
        )

    async def open_counters_of(self, service_id: UUID) -> list[Counter]:
        rows = await self._conn.fetch(
            "SELECT id, site_id, service_ids, status, active FROM counters WHERE status = 'open' AND active "
            "AND service_ids @> ARRAY[$1::uuid] ORDER BY id",
            service_id,
        )
        return [_counter(row) for row in rows]

    async def registered_counters(self, service_id: UUID) -> list[Counter]:
        rows = await self._conn.fetch(
            "SELECT id, site_id, service_ids, status, active FROM counters WHERE active "
            "AND service_ids @> ARRAY[$1::uuid] ORDER BY id",
            service_id,
        )
        return [_counter(row) for row in rows]

    async def counter_tickets(self, counter_ids: list[UUID]) -> list[Ticket]:
        rows = await self._conn.fetch(
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE status IN ('called', 'serving') "
            "AND counter_id = ANY($1::uuid[]) ORDER BY counter_id, called_at DESC NULLS LAST",
            counter_ids,
        )
        # One ticket per counter: a stale second one (an event lost upstream) must not count twice.
        first: dict[UUID, Ticket] = {}
        for row in rows:
            first.setdefault(row["counter_id"], Ticket(**row))
        return list(first.values())

    async def waiting_before(self, service_id: UUID, *, queue_rank: int, issued_at: datetime) -> int:
        return int(
            await self._conn.fetchval(
                "SELECT count(*) FROM tickets WHERE service_id = $1 AND status = 'waiting' "
                "AND (queue_rank, issued_at) < ($2, $3)",
                service_id,
                queue_rank,
                issued_at,
            )
        )

    async def learning(self, service_id: UUID) -> ServiceLearning:
        rows = await self._conn.fetch(
            "SELECT measure, scope, count, total, total_sq FROM learned_moments WHERE service_id = $1",
            service_id,
        )
        learned = {
            (row["measure"], row["scope"]): Moments(row["count"], row["total"], row["total_sq"])
            for row in rows
        }
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
        await self._conn.executemany(
            "INSERT INTO learned_moments (service_id, measure, scope, count, total, total_sq) "
            "VALUES ($1, $2, $3, 1, $4::float8, $4::float8 * $4::float8) "
            "ON CONFLICT (service_id, measure, scope) DO UPDATE SET "
            "count = learned_moments.count + 1, total = learned_moments.total + EXCLUDED.total, "
            "total_sq = learned_moments.total_sq + EXCLUDED.total_sq",
            [(service_id, str(measure), scope, value) for scope in scopes],
        )

    async def last_estimate(self, ticket_id: UUID) -> LastEstimate | None:
        row = await self._conn.fetchrow(
            "SELECT ticket_id, call_p50, arrive_by, call_mean FROM last_estimates WHERE ticket_id = $1",
            ticket_id,
        )
        return LastEstimate(**row) if row is not None else None

    async def save_last_estimate(self, last: LastEstimate) -> None:
        await self._conn.execute(
            "INSERT INTO last_estimates (ticket_id, call_p50, arrive_by, call_mean) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (ticket_id) DO UPDATE SET call_p50 = EXCLUDED.call_p50, "
            "arrive_by = EXCLUDED.arrive_by, call_mean = EXCLUDED.call_mean",
            last.ticket_id,
            last.call_p50,
            last.arrive_by,
            last.call_mean,
        )

    async def open_counters(self, service_id: UUID) -> int:
        return int(
            await self._conn.fetchval(
                "SELECT count(*) FROM counters WHERE status = 'open' AND active "
                "AND service_ids @> ARRAY[$1::uuid]",
                service_id,
            )
        )

    async def record_prediction(self, prediction: Prediction) -> None:
        call = prediction.estimate
        await self._conn.execute(
            "INSERT INTO predictions (ticket_id, service_id, site_id, predicted_at, position, open_counters, "
            "mean_service_min, call_p10, call_p50, call_p90, arrive_by, upper_stretch, lower_stretch, "
            "call_mean) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
            "ON CONFLICT (ticket_id) DO NOTHING",
            prediction.ticket_id,
            prediction.service_id,
            prediction.site_id,
            prediction.predicted_at,
            call.position,
            prediction.open_counters,
            prediction.mean_service_min,
            call.call_p10,
            call.call_p50,
            call.call_p90,
            call.arrive_by,
            prediction.upper_stretch,
            prediction.lower_stretch,
            call.call_mean,
        )

    async def prediction(self, ticket_id: UUID) -> Prediction | None:
        row = await self._conn.fetchrow(
            "SELECT ticket_id, service_id, site_id, predicted_at, position, open_counters, mean_service_min, "
            "call_p10, call_p50, call_p90, arrive_by, upper_stretch, lower_stretch, call_mean "
            "FROM predictions WHERE ticket_id = $1",
            ticket_id,
        )
        if row is None:
            return None
        return Prediction(
            ticket_id=row["ticket_id"],
            service_id=row["service_id"],
            site_id=row["site_id"],
            predicted_at=row["predicted_at"],
            open_counters=row["open_counters"],
            mean_service_min=row["mean_service_min"],
            estimate=CallEstimate(
                position=row["position"],
                call_p10=row["call_p10"],
                call_p50=row["call_p50"],
                call_p90=row["call_p90"],
                arrive_by=row["arrive_by"],
                # Rows written before the mean was kept: the median is the closest stand-in.
                call_mean=row["call_mean"] or row["call_p50"],
            ),
            upper_stretch=row["upper_stretch"],
            lower_stretch=row["lower_stretch"],
        )

    async def record_call(self, ticket_id: UUID, called_at: datetime) -> None:
        await self._conn.execute(
            "UPDATE predictions SET called_at = $2 WHERE ticket_id = $1 AND called_at IS NULL",
            ticket_id,
            called_at,
        )

    async def emit(self, event: CloudEvent) -> None:
        await outbox.enqueue(self._conn, event)


_TICKET_COLUMN_NAMES = (
    "id",
    "site_id",
    "service_id",
    "priority",
    "queue_rank",
    "issued_at",
    "status",
    "counter_id",
    "called_at",
    "started_at",
    "finished_at",
    "closed_at",
    "travel_minutes",
    "rejoined_at",
    "journey_id",
    "journey_step",
)
_TICKET_COLUMNS = ", ".join(_TICKET_COLUMN_NAMES)

# Errors in minutes of the actual first call against the promised p50, for called tickets.
_ACCURACY_SQL = """
SELECT service_id,
       day,
       count(*) AS predictions,
       count(called_at) AS called,
       avg(error_min) AS mae_minutes,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY error_min) AS p90_abs_error_minutes,
       avg(CASE WHEN called_at BETWEEN call_p10 AND call_p90 THEN 1.0 ELSE 0.0 END)
           FILTER (WHERE called_at IS NOT NULL) AS band_coverage
FROM (SELECT p.service_id, p.called_at, p.call_p10, p.call_p90,
             -- The hall's own calendar day (UTC while the site is unknown).
             (p.predicted_at AT TIME ZONE coalesce(s.timezone, 'UTC'))::date::text AS day,
             abs(extract(epoch FROM p.called_at - p.call_p50))::float8 / 60 AS error_min
      FROM predictions p LEFT JOIN sites s ON s.id = p.site_id) AS scored
GROUP BY service_id, day
HAVING count(called_at) > 0
ORDER BY service_id, day
"""


class PostgresDatabase:
    """Transactions on the service's pool; the pool is looked up late, once the service started."""

    def __init__(self, pool: Callable[[], asyncpg.Pool]) -> None:
        self._pool = pool

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[QueueStore]:
        async with self._pool().acquire() as conn, conn.transaction():
            yield PostgresQueueStore(conn)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[QueueStore]:
        """A read-only view in which every query sees the same committed state."""
        async with (
            self._pool().acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            yield PostgresQueueStore(conn)

    async def accuracy(self) -> list[ServiceAccuracy]:
        async with self._pool().acquire() as conn:
            rows = await conn.fetch(_ACCURACY_SQL)
        return [_service_accuracy(row) for row in rows]


def _service_accuracy(row: Any) -> ServiceAccuracy:
    return ServiceAccuracy(
        service_id=row["service_id"],
        day=row["day"],
        predictions=row["predictions"],
        called=row["called"],
        mae_minutes=round(float(row["mae_minutes"]), 2),
        p90_abs_error_minutes=round(float(row["p90_abs_error_minutes"]), 2),
        band_coverage=round(float(row["band_coverage"]), 3),
    )


def _counter(row: Any) -> Counter:
    return Counter(
        id=row["id"],
        site_id=row["site_id"],
        service_ids=frozenset(row["service_ids"]),
        status=row["status"],
        active=row["active"],
    )


def _json(value: str | None) -> dict[str, Any] | None:
    # asyncpg hands jsonb over as text unless a codec is set on the pool, which is shared.
    return json.loads(value) if value is not None else None


def _jsonb(value: dict[str, Any] | None) -> str | None:
    return json.dumps(value) if value is not None else None
