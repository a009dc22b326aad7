"""PostgreSQL implementations of the repositories, the unit of work and the hand-off queue."""

import json
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any, Final, Self
from uuid import UUID

import asyncpg
from antre_contracts import CloudEvent
from antre_platform import inbox, outbox

from ticketing.app.ports import Credential, DeskState, IdempotencyRecord, PhoneUsage, RecipientHandoff
from ticketing.domain.catalog import Counter, Journey, Service, Site
from ticketing.domain.counters import DeskStatus
from ticketing.domain.tickets import Ticket, priority_rank

_TICKET_COLUMNS: Final = (
    "id, site_id, service_id, agency_id, day, seq, number, channel, priority, access_token, issued_at, "
    "locale, travel_minutes, status, counter_id, called_at, started_at, finished_at, issue_order, "
    "queued_at, recalls, no_show_at, rejoined, cancelled_at, cancelled_by, journey_id, journey_step, "
    "sealed_phone, phone_hash, transferred_to"
)
# The waiting line's order; domain.tickets.Ticket.line_key says the same in Python.
_LINE_ORDER: Final = "priority_rank, queued_at, issue_order"
_CATALOG_TABLES: Final = {
    "site": "sites",
    "service": "services",
    "counter": "counters",
    "journey": "journeys",
    "credential": "credentials",
}
_SITE_COLUMNS: Final = (
    "id, code, name, timezone, active, state -> 'hours' AS hours, state -> 'closed_dates' AS closed_dates"
)
_SERVICE_COLUMNS: Final = (
    "id, site_id, agency_id, code, prefix, name_id, name_en, daily_quota, priority_enabled, active, "
    "state -> 'hours' AS hours"
)


def _ticket(row: asyncpg.Record) -> Ticket:
    return Ticket(**{key: row[key] for key in row.keys()})


def _hours(raw: Any) -> dict[str, list[list[str]]] | None:
    """jsonb arrives as text; JSON null and a missing key both mean "no hours of its own"."""
    value = json.loads(raw) if isinstance(raw, str) else raw
    return value if isinstance(value, dict) else None


def _service(row: Mapping[str, Any]) -> Service:
    return Service(**{**dict(row), "hours": _hours(row["hours"])})


def _site(row: Mapping[str, Any]) -> Site:
    closed = row["closed_dates"]
    closed_dates = tuple(json.loads(closed)) if closed else ()
    return Site(**{**dict(row), "hours": _hours(row["hours"]), "closed_dates": closed_dates})


class PostgresCatalog:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def site(self, site_id: UUID) -> Site | None:
        row = await self._conn.fetchrow(
            f"SELECT {_SITE_COLUMNS} FROM sites WHERE id = $1 AND NOT deleted", site_id
        )
        return _site(row) if row else None

    async def service(self, service_id: UUID) -> Service | None:
        row = await self._conn.fetchrow(
            f"SELECT {_SERVICE_COLUMNS} FROM services WHERE id = $1 AND NOT deleted", service_id
        )
        return _service(row) if row else None

    async def service_with_site(self, service_id: UUID) -> tuple[Service, Site | None] | None:
        # What issuing reads first, in one round trip; the site's columns come prefixed "s_".
        row = await self._conn.fetchrow(
            "SELECT sv.id, sv.site_id, sv.agency_id, sv.code, sv.prefix, sv.name_id, sv.name_en, "
            "sv.daily_quota, sv.priority_enabled, sv.active, sv.state -> 'hours' AS hours, "
            "si.id AS s_id, si.code AS s_code, si.name AS s_name, si.timezone AS s_timezone, "
            "si.active AS s_active, si.state -> 'hours' AS s_hours, "
            "si.state -> 'closed_dates' AS s_closed_dates "
            "FROM services sv LEFT JOIN sites si ON si.id = sv.site_id AND NOT si.deleted "
            "WHERE sv.id = $1 AND NOT sv.deleted",
            service_id,
        )
        if row is None:
            return None
        fields = dict(row)
        site = {key[2:]: fields.pop(key) for key in list(fields) if key.startswith("s_")}
        return _service(fields), (_site(site) if site["id"] is not None else None)

    async def all_sites(self) -> list[Site]:
        # Tombstones too: tickets of a deleted site still end with its day.
        rows = await self._conn.fetch(f"SELECT {_SITE_COLUMNS} FROM sites ORDER BY id")
        return [_site(row) for row in rows]

    async def services_of_site(self, site_id: UUID) -> list[Service]:
        rows = await self._conn.fetch(
            f"SELECT {_SERVICE_COLUMNS} FROM services WHERE site_id = $1 AND NOT deleted ORDER BY code",
            site_id,
        )
        return [_service(row) for row in rows]

    async def journey(self, journey_id: UUID) -> Journey | None:
        row = await self._conn.fetchrow(
            "SELECT id, site_id, code, name_id, name_en, steps, active FROM journeys "
            "WHERE id = $1 AND NOT deleted",
            journey_id,
        )
        return Journey(**{**dict(row), "steps": tuple(row["steps"])}) if row else None

    async def credential(self, sha256: str) -> Credential | None:
        row = await self._conn.fetchrow(
            "SELECT id, kind, agency_id, counter_id, sha256, active FROM credentials "
            "WHERE sha256 = $1 AND active ORDER BY updated_at DESC LIMIT 1",
            sha256,
        )
        return Credential(**dict(row)) if row else None

    async def put_credential(self, credential: Credential, state: dict[str, Any]) -> None:
        await self._conn.execute(
            "INSERT INTO credentials (id, kind, agency_id, counter_id, sha256, active, state) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET kind = $2, agency_id = $3, "
            "counter_id = $4, sha256 = $5, active = $6, state = $7, updated_at = now()",
            credential.id,
            credential.kind,
            credential.agency_id,
            credential.counter_id,
            credential.sha256,
            credential.active,
            json.dumps(state),
        )

    async def counter(self, counter_id: UUID) -> Counter | None:
        found = await self.counters([counter_id])
        return found.get(counter_id)

    async def counters(self, counter_ids: list[UUID]) -> dict[UUID, Counter]:
        rows = await self._conn.fetch(
            "SELECT id, site_id, agency_id, name, service_ids, active FROM counters "
            "WHERE id = ANY($1::uuid[]) AND NOT deleted",
            counter_ids,
        )
        return {row["id"]: Counter(**{**dict(row), "service_ids": tuple(row["service_ids"])}) for row in rows}

    async def put_site(self, site: Site, state: dict[str, Any]) -> None:
        await self._conn.execute(
            "INSERT INTO sites (id, code, name, timezone, active, state) VALUES ($1, $2, $3, $4, $5, $6) "
            "ON CONFLICT (id) DO UPDATE SET code = $2, name = $3, timezone = $4, active = $5, state = $6, "
            "deleted = false, updated_at = now()",
            site.id,
            site.code,
            site.name,
            site.timezone,
            site.active,
            json.dumps(state),
        )

    async def put_service(self, service: Service, state: dict[str, Any]) -> None:
        await self._conn.execute(
            "INSERT INTO services (id, site_id, agency_id, code, prefix, name_id, name_en, daily_quota, "
            "priority_enabled, active, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
            "ON CONFLICT (id) DO UPDATE SET site_id = $2, agency_id = $3, code = $4, prefix = $5, "
            "name_id = $6, name_en = $7, daily_quota = $8, priority_enabled = $9, active = $10, state = $11, "
            "deleted = false, updated_at = now()",
            service.id,
            service.site_id,
            service.agency_id,
            service.code,
            service.prefix,
            service.name_id,
            service.name_en,
            service.daily_quota,
            service.priority_enabled,
            service.active,
            json.dumps(state),
        )

    async def put_counter(self, counter: Counter, state: dict[str, Any]) -> None:
        await self._conn.execute(
            "INSERT INTO counters (id, site_id, agency_id, name, service_ids, active, state) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7) "
            "ON CONFLICT (id) DO UPDATE SET site_id = $2, agency_id = $3, name = $4, service_ids = $5, "
            "active = $6, state = $7, deleted = false, updated_at = now()",
            counter.id,
            counter.site_id,
            counter.agency_id,
            counter.name,
            list(counter.service_ids),
            counter.active,
            json.dumps(state),
        )

    async def put_journey(self, journey: Journey, state: dict[str, Any]) -> None:
        await self._conn.execute(
            "INSERT INTO journeys (id, site_id, code, name_id, name_en, steps, active, state) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
            "ON CONFLICT (id) DO UPDATE SET site_id = $2, code = $3, name_id = $4, name_en = $5, steps = $6, "
            "active = $7, state = $8, deleted = false, updated_at = now()",
            journey.id,
            journey.site_id,
            journey.code,
            journey.name_id,
            journey.name_en,
            list(journey.steps),
            journey.active,
            json.dumps(state),
        )

    async def remove(self, entity: str, entity_id: UUID) -> None:
        # Kept as a tombstone: tickets issued earlier still name the service and counter.
        table = _CATALOG_TABLES[entity]
        if entity == "credential":  # a deleted credential opens nothing
            await self._conn.execute("UPDATE credentials SET active = false WHERE id = $1", entity_id)
            return
        await self._conn.execute(
            f"UPDATE {table} SET deleted = true, active = false, updated_at = now() WHERE id = $1", entity_id
        )


class PostgresTickets:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def next_seq(self, service_id: UUID, day: date) -> int:
        # One row per service and day, incremented in place: concurrent issuers queue on its
        # row lock, so no two get the same number (a MAX()+1 would race).
        seq: int = await self._conn.fetchval(
            "INSERT INTO daily_sequences (service_id, day, last_seq) VALUES ($1, $2, 1) "
            "ON CONFLICT (service_id, day) DO UPDATE SET last_seq = daily_sequences.last_seq + 1 "
            "RETURNING last_seq",
            service_id,
            day,
        )
        return seq

    async def add(self, ticket: Ticket) -> None:
        ticket.issue_order = await self._conn.fetchval(
            "INSERT INTO tickets (id, site_id, service_id, agency_id, day, seq, number, channel, priority, "
            "priority_rank, access_token, issued_at, locale, travel_minutes, status, queued_at, journey_id, "
            "journey_step, sealed_phone, phone_hash) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
            "$13, $14, $15, $16, $17, $18, $19, $20) RETURNING issue_order",
            ticket.id,
            ticket.site_id,
            ticket.service_id,
            ticket.agency_id,
            ticket.day,
            ticket.seq,
            ticket.number,
            ticket.channel,
            ticket.priority,
            priority_rank(ticket.priority),
            ticket.access_token,
            ticket.issued_at,
            ticket.locale,
            ticket.travel_minutes,
            ticket.status,
            ticket.queued_at,
            ticket.journey_id,
            ticket.journey_step,
            ticket.sealed_phone,
            ticket.phone_hash,
        )

    async def get(self, ticket_id: UUID, *, lock: bool = False) -> Ticket | None:
        row = await self._conn.fetchrow(
            f"SELECT {_TICKET_COLUMNS} FROM tickets WHERE id = $1" + (" FOR UPDATE" if lock else ""),
            ticket_id,
        )
        return _ticket(row) if row else None

    async def save(self, ticket: Ticket) -> None:
        await self._conn.execute(
            "UPDATE tickets SET status = $2, counter_id = $3, called_at = $4, started_at = $5, "
            "finished_at = $6, queued_at = $7, recalls = $8, no_show_at = $9, rejoined = $10, "
            "cancelled_at = $11, transferred_to = $12, access_token = $13, cancelled_by = $14 WHERE id = $1",
            ticket.id,
            ticket.status,
            ticket.counter_id,
            ticket.called_at,
            ticket.started_at,
            ticket.finished_at,
            ticket.queued_at,
            ticket.recalls,
            ticket.no_show_at,
            ticket.rejoined,
            ticket.cancelled_at,
            ticket.transferred_to,
            ticket.access_token,
            ticket.cancelled_by,
        )

    async def outlived_their_day(self, site_id: UUID, today: date, limit: int) -> list[Ticket]:
        # SKIP LOCKED: a ticket a citizen is cancelling right now, or that another replica is
        # closing, is left to them; FOR UPDATE re-reads the row, so a ticket that stopped
        # waiting meanwhile is not returned.
        rows = await self._conn.fetch(
            f"SELECT {_TICKET_COLUMNS} FROM tickets "
            "WHERE site_id = $1 AND day < $2 AND status = 'waiting' "
            "ORDER BY day, issue_order LIMIT $3 FOR UPDATE SKIP LOCKED",
            site_id,
            today,
            limit,
        )
        return [_ticket(row) for row in rows]

    async def position(self, ticket: Ticket) -> int | None:
        if ticket.status != "waiting":
            return None
        ahead: int = await self._conn.fetchval(
            "SELECT count(*) FROM tickets WHERE service_id = $1 AND day = $2 AND status = 'waiting' "
            f"AND ({_LINE_ORDER}) < ($3, $4, $5)",
            ticket.service_id,
            ticket.day,
            priority_rank(ticket.priority),
            ticket.queued_at,
            ticket.issue_order,
        )
        return ahead + 1

    async def lock_streaks(self, service_ids: list[UUID], day: date) -> dict[UUID, int]:
        # One statement creates the day's rows and locks them all, in service id order (so two
        # counters never deadlock); DO UPDATE, unlike DO NOTHING, locks an existing row and
        # returns its latest committed streak.
        rows = await self._conn.fetch(
            "INSERT INTO priority_streaks (service_id, day) "
            "SELECT service_id, $2 FROM unnest($1::uuid[]) AS s (service_id) ORDER BY service_id "
            "ON CONFLICT (service_id, day) DO UPDATE SET streak = priority_streaks.streak "
            "RETURNING service_id, streak",
            sorted(service_ids),
            day,
        )
        return {row["service_id"]: row["streak"] for row in rows}

    async def save_streak(self, service_id: UUID, day: date, streak: int) -> None:
        await self._conn.execute(
            "UPDATE priority_streaks SET streak = $3 WHERE service_id = $1 AND day = $2",
            service_id,
            day,
            streak,
        )

    async def heads(
        self, service_ids: list[UUID], day: date
    ) -> dict[UUID, tuple[Ticket | None, Ticket | None]]:
        # One statement for all the counter's services: per service and class (rank 0 priority,
        # 1 regular) the first ticket in line. SKIP LOCKED: a ticket being cancelled right now
        # is passed over, not waited for.
        rows = await self._conn.fetch(
            "SELECT head.* FROM unnest($1::uuid[]) AS s (service_id) "
            "CROSS JOIN (VALUES (0::smallint), (1::smallint)) AS r (rank) "
            f"CROSS JOIN LATERAL (SELECT {_TICKET_COLUMNS} FROM tickets "
            " WHERE status = 'waiting' AND service_id = s.service_id AND day = $2 AND priority_rank = r.rank "
            f" ORDER BY {_LINE_ORDER} LIMIT 1 FOR UPDATE SKIP LOCKED) AS head",
            service_ids,
            day,
        )
        found: dict[UUID, list[Ticket | None]] = {sid: [None, None] for sid in service_ids}
        for row in rows:
            ticket = _ticket(row)
            found[ticket.service_id][priority_rank(ticket.priority)] = ticket
        return {sid: (priority, regular) for sid, (priority, regular) in found.items()}

    async def lock_phone(self, phone_hash: str) -> None:
        await self._conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", phone_hash)

    async def phone_usage(self, phone_hash: str, service_id: UUID, day: date) -> PhoneUsage:
        row = await self._conn.fetchrow(
            "SELECT count(*) FILTER (WHERE service_id = $2 AND status IN ('waiting', 'called')) AS waiting, "
            "count(*) AS today FROM tickets WHERE phone_hash = $1 AND day = $3",
            phone_hash,
            service_id,
            day,
        )
        return PhoneUsage(waiting_in_service=row["waiting"], issued_today=row["today"])

    async def at_counter(self, counter_id: UUID) -> Ticket | None:
        row = await self._conn.fetchrow(
            f"SELECT {_TICKET_COLUMNS} FROM tickets "
            "WHERE counter_id = $1 AND status IN ('called', 'serving') FOR UPDATE",
            counter_id,
        )
        return _ticket(row) if row else None

    async def line(self, service_id: UUID, day: date) -> list[Ticket]:
        rows = await self._conn.fetch(
            f"SELECT {_TICKET_COLUMNS} FROM tickets "
            "WHERE service_id = $1 AND day = $2 AND status IN ('waiting', 'called', 'serving') "
            f"ORDER BY status <> 'waiting', {_LINE_ORDER}",
            service_id,
            day,
        )
        return [_ticket(row) for row in rows]

    async def recent_calls(self, site_id: UUID, day: date, limit: int) -> list[Ticket]:
        rows = await self._conn.fetch(
            f"SELECT {_TICKET_COLUMNS} FROM tickets "
            "WHERE site_id = $1 AND day = $2 AND called_at IS NOT NULL "
            "AND status IN ('called', 'serving', 'done') ORDER BY called_at DESC, issue_order DESC LIMIT $3",
            site_id,
            day,
            limit,
        )
        return [_ticket(row) for row in rows]

    async def waiting_counts(self, site_id: UUID, day: date) -> dict[UUID, int]:
        rows = await self._conn.fetch(
            "SELECT service_id, count(*) AS waiting FROM tickets WHERE site_id = $1 AND day = $2 "
            "AND status = 'waiting' GROUP BY service_id",
            site_id,
            day,
        )
        return {row["service_id"]: row["waiting"] for row in rows}


class PostgresDesks:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def lock(self, counter_id: UUID) -> DeskState:
        # One statement: creates the desk on first use, else locks it (DO UPDATE, unlike DO
        # NOTHING, locks the existing row) and returns its latest committed state.
        row = await self._conn.fetchrow(
            "INSERT INTO counter_desks (counter_id) VALUES ($1) "
            "ON CONFLICT (counter_id) DO UPDATE SET status = counter_desks.status "
            "RETURNING status, pause_reason",
            counter_id,
        )
        return DeskState(status=row["status"], pause_reason=row["pause_reason"])

    async def save(self, counter_id: UUID, status: DeskStatus, at: datetime, reason: str | None) -> None:
        await self._conn.execute(
            "UPDATE counter_desks SET status = $2, changed_at = $3, pause_reason = $4 WHERE counter_id = $1",
            counter_id,
            status,
            at,
            reason,
        )


class PostgresIdempotency:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def claim(
        self,
        scope: str,
        key: str,
        fingerprint: str,
        ticket_id: UUID,
        at: datetime,
        *,
        expired_before: datetime,
    ) -> IdempotencyRecord | None:
        # A concurrent request with the same key waits here until the first one commits or
        # rolls back, then sees its ticket (or takes the key over). An expired use is taken
        # over in place, as if the clean-up had already deleted it.
        claimed = await self._conn.fetchval(
            "INSERT INTO idempotency_keys (scope, key, fingerprint, ticket_id, created_at) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (scope, key) DO UPDATE SET "
            "fingerprint = excluded.fingerprint, ticket_id = excluded.ticket_id, "
            "created_at = excluded.created_at "
            "WHERE idempotency_keys.created_at < $6 RETURNING true",
            scope,
            key,
            fingerprint,
            ticket_id,
            at,
            expired_before,
        )
        if claimed:
            return None
        row = await self._conn.fetchrow(
            "SELECT fingerprint, ticket_id FROM idempotency_keys WHERE scope = $1 AND key = $2", scope, key
        )
        return IdempotencyRecord(fingerprint=row["fingerprint"], ticket_id=row["ticket_id"])


class PostgresIdempotencyKeys:
    """The ``idempotency_keys`` table, for the clean-up (outside any request)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def purge(self, *, created_before: datetime, limit: int) -> int:
        # Bounded batches: one pass never holds many row locks or one long transaction.
        deleted: int = await self._pool.fetchval(
            "WITH gone AS (DELETE FROM idempotency_keys WHERE (scope, key) IN ("
            " SELECT scope, key FROM idempotency_keys WHERE created_at < $1"
            " ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING 1) "
            "SELECT count(*) FROM gone",
            created_before,
            limit,
        )
        return deleted


class PostgresHandoffs:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def add(self, handoff: RecipientHandoff) -> None:
        await self._conn.execute(
            "INSERT INTO recipient_handoff (ticket_id, site_id, sealed_phone, locale, next_attempt_at) "
            "VALUES ($1, $2, $3, $4, $5)",
            handoff.ticket_id,
            handoff.site_id,
            handoff.sealed_phone,
            handoff.locale,
            handoff.next_attempt_at,
        )


class PostgresUnitOfWork:
    """One connection and one transaction; rolls back unless ``commit()`` was called."""

    catalog: PostgresCatalog
    tickets: PostgresTickets
    desks: PostgresDesks
    idempotency: PostgresIdempotency
    handoffs: PostgresHandoffs

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._conn: asyncpg.Connection | None = None
        self._transaction: Any = None

    async def __aenter__(self) -> Self:
        self._conn = await self._pool.acquire()
        try:
            self._transaction = self._conn.transaction()
            await self._transaction.start()
        except BaseException:
            await self._pool.release(self._conn)
            self._conn = None
            raise
        self.catalog = PostgresCatalog(self._conn)
        self.tickets = PostgresTickets(self._conn)
        self.desks = PostgresDesks(self._conn)
        self.idempotency = PostgresIdempotency(self._conn)
        self.handoffs = PostgresHandoffs(self._conn)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._transaction is not None:
                await self._transaction.rollback()
        finally:
            self._transaction = None
            if self._conn is not None:
                await self._pool.release(self._conn)
                self._conn = None

    async def commit(self) -> None:
        if self._transaction is None:
            raise RuntimeError("commit() outside the unit of work, or twice")
        await self._transaction.commit()
        self._transaction = None

    async def emit(self, event: CloudEvent) -> None:
        await outbox.enqueue(self._connection, event)

    async def first_delivery(self, *, consumer: str, event_id: UUID) -> bool:
        return await inbox.first_delivery(self._connection, consumer=consumer, event_id=event_id)

    @property
    def _connection(self) -> asyncpg.Connection:
        if self._conn is None:
            raise RuntimeError("the unit of work is not entered")
        return self._conn


class PostgresHandoffQueue:
    """The ``recipient_handoff`` rows, for the delivery loop (outside any request)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def claim_due(self, *, now: datetime, lease: timedelta, limit: int) -> list[RecipientHandoff]:
        # Pushing next_attempt_at past the lease hides the rows from other replicas while this
        # one delivers; if it dies, they come due again when the lease ends.
        rows = await self._pool.fetch(
            "WITH claimed AS ("
            " UPDATE recipient_handoff SET next_attempt_at = $2, attempts = attempts + 1 WHERE ticket_id IN ("
            "  SELECT ticket_id FROM recipient_handoff WHERE next_attempt_at <= $1"
            "  ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) "
            " RETURNING ticket_id, site_id, sealed_phone, locale, next_attempt_at, attempts) "
            "SELECT c.*, t.access_token FROM claimed c LEFT JOIN tickets t ON t.id = c.ticket_id",
            now,
            now + lease,
            limit,
        )
        return [RecipientHandoff(**dict(row)) for row in rows]

    async def delivered(self, ticket_id: UUID) -> None:
        await self._pool.execute("DELETE FROM recipient_handoff WHERE ticket_id = $1", ticket_id)

    async def retry_at(self, ticket_id: UUID, at: datetime, error: str) -> None:
        await self._pool.execute(
            "UPDATE recipient_handoff SET next_attempt_at = $2, last_error = $3 WHERE ticket_id = $1",
            ticket_id,
            at,
            error[:500],
        )
