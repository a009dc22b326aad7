"""The queue state in PostgreSQL, the outbox and the inbox in the same transaction."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
from antre_contracts import CloudEvent
from antre_platform import inbox, outbox

from estimation.app.handlers import CONSUMER
from estimation.app.ports import Prediction, QueueStore, ServiceAccuracy
from estimation.domain.model import Counter, Service, Site, Ticket


class PostgresQueueStore:
    """:class:`QueueStore` on one connection inside an open transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def first_delivery(self, event_id: UUID) -> bool:
        return await inbox.first_delivery(self._conn, consumer=CONSUMER, event_id=event_id)

    async def site(self, site_id: UUID) -> Site | None:
        row = await self._conn.fetchrow("SELECT id, timezone, active FROM sites WHERE id = $1", site_id)
        return Site(**row) if row is not None else None

    async def save_site(self, site: Site) -> None:
        await self._conn.execute(
            "INSERT INTO sites (id, timezone, active) VALUES ($1, $2, $3) "
            "ON CONFLICT (id) DO UPDATE SET timezone = EXCLUDED.timezone, active = EXCLUDED.active",
            site.id, site.timezone, site.active,
        )

    async def service(self, service_id: UUID) -> Service | None:
        row = await self._conn.fetchrow(
            "SELECT id, site_id, mean_service_min, priority_enabled, active FROM services WHERE id = $1",
            service_id,
        )
        return Service(**row) if row is not None else None

    async def save_service(self, service: Service) -> None:
        await self._conn.execute(
            "INSERT INTO services (id, site_id, mean_service_min, priority_enabled, active) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET site_id = EXCLUDED.site_id, "
            "mean_service_min = EXCLUDED.mean_service_min, priority_enabled = EXCLUDED.priority_enabled, "
            "active = EXCLUDED.active",
            service.id, service.site_id, service.mean_service_min, service.priority_enabled, service.active,
        )

    async def counter(self, counter_id: UUID) -> Counter | None:
        row = await self._conn.fetchrow(
            "SELECT id, site_id, service_ids, status, active FROM counters WHERE id = $1", counter_id
        )
        if row is None:
            return None
        return Counter(id=row["id"], site_id=row["site_id"], service_ids=frozenset(row["service_ids"]),
                       status=row["status"], active=row["active"])

    async def save_counter(self, counter: Counter) -> None:
        await self._conn.execute(
            "INSERT INTO counters (id, site_id, service_ids, status, active) VALUES ($1, $2, $3, $4, $5) "
            "ON CONFLICT (id) DO UPDATE SET site_id = EXCLUDED.site_id, service_ids = EXCLUDED.service_ids, "
            "status = EXCLUDED.status, active = EXCLUDED.active",
            counter.id, counter.site_id, sorted(counter.service_ids), counter.status, counter.active,
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
            ticket.service_id, ticket.queue_rank, ticket.issued_at, ticket.id,
        )
        return int(ahead) + 1

    async def waiting_count(self, service_id: UUID) -> int:
        return int(await self._conn.fetchval(
            "SELECT count(*) FROM tickets WHERE service_id = $1 AND status = 'waiting'", service_id
        ))

    async def open_counters(self, service_id: UUID) -> int:
        return int(await self._conn.fetchval(
            "SELECT count(*) FROM counters WHERE status = 'open' AND active "
            "AND service_ids @> ARRAY[$1::uuid]",
            service_id,
        ))

    async def record_prediction(self, prediction: Prediction) -> None:
        call = prediction.estimate
        await self._conn.execute(
            "INSERT INTO predictions (ticket_id, service_id, site_id, predicted_at, position, open_counters, "
            "mean_service_min, call_p10, call_p50, call_p90, arrive_by) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (ticket_id) DO NOTHING",
            prediction.ticket_id, prediction.service_id, prediction.site_id, prediction.predicted_at,
            call.position, prediction.open_counters, prediction.mean_service_min,
            call.call_p10, call.call_p50, call.call_p90, call.arrive_by,
        )

    async def record_call(self, ticket_id: UUID, called_at: datetime) -> None:
        await self._conn.execute(
            "UPDATE predictions SET called_at = $2 WHERE ticket_id = $1 AND called_at IS NULL",
            ticket_id, called_at,
        )

    async def emit(self, event: CloudEvent) -> None:
        await outbox.enqueue(self._conn, event)


_TICKET_COLUMN_NAMES = ("id", "site_id", "service_id", "priority", "queue_rank", "issued_at", "status",
                        "counter_id", "called_at", "started_at", "finished_at", "closed_at")
_TICKET_COLUMNS = ", ".join(_TICKET_COLUMN_NAMES)

# Errors in minutes of the actual first call against the promised p50, for called tickets.
_ACCURACY_SQL = """
SELECT service_id,
       count(*) AS predictions,
       count(called_at) AS called,
       avg(error_min) AS mae_minutes,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY error_min) AS p90_abs_error_minutes,
       avg(CASE WHEN called_at BETWEEN call_p10 AND call_p90 THEN 1.0 ELSE 0.0 END)
           FILTER (WHERE called_at IS NOT NULL) AS band_coverage
FROM (SELECT service_id, called_at, call_p10, call_p90,
             abs(extract(epoch FROM called_at - call_p50))::float8 / 60 AS error_min
      FROM predictions) AS scored
GROUP BY service_id
HAVING count(called_at) > 0
ORDER BY service_id
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
        async with self._pool().acquire() as conn, \
                conn.transaction(isolation="repeatable_read", readonly=True):
            yield PostgresQueueStore(conn)

    async def accuracy(self) -> list[ServiceAccuracy]:
        async with self._pool().acquire() as conn:
            rows = await conn.fetch(_ACCURACY_SQL)
        return [_service_accuracy(row) for row in rows]


def _service_accuracy(row: Any) -> ServiceAccuracy:
    return ServiceAccuracy(
        service_id=row["service_id"], predictions=row["predictions"], called=row["called"],
        mae_minutes=round(float(row["mae_minutes"]), 2),
        p90_abs_error_minutes=round(float(row["p90_abs_error_minutes"]), 2),
        band_coverage=round(float(row["band_coverage"]), 3),
    )
