"""The registry in PostgreSQL: one unit of work is one transaction on one pooled connection."""

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self
from uuid import UUID

import asyncpg
from antre_contracts import CloudEvent
from antre_platform import outbox

from registry.app.schemas import (
    AgencyPublic,
    ApiKeyPublic,
    AuditEntry,
    CounterPublic,
    CredentialPublic,
    JourneyPublic,
    ServicePublic,
    SitePublic,
    StaffTokenPublic,
)
from registry.domain.api_keys import MintedKey
from registry.domain.errors import Conflict, FieldIssue, InvalidInput
from registry.domain.rules import ServiceRef

_SITE_COLUMNS = "id, code, name, kind, timezone, address, motto, hours, closed_dates, active"
_AGENCY_COLUMNS = "id, code, name, active"
_SERVICE_COLUMNS = (
    "id, site_id, agency_id, code, prefix, name_id, name_en, mean_service_min, daily_quota, "
    "documents_id, documents_en, hours, priority_enabled, active"
)
_COUNTER_SELECT = (
    "SELECT c.id, c.site_id, c.agency_id, c.name, c.active, "
    "ARRAY(SELECT cs.service_id FROM counter_services cs WHERE cs.counter_id = c.id "
    "ORDER BY cs.position) AS service_ids FROM counters c"
)
_API_KEY_COLUMNS = "id, agency_id, prefix, label, created_at, last_used_at, revoked_at"
_JOURNEY_SELECT = (
    "SELECT j.id, j.site_id, j.code, j.name_id, j.name_en, j.kind, j.active, "
    "ARRAY(SELECT js.service_id FROM journey_steps js WHERE js.journey_id = j.id "
    "ORDER BY js.step_no) AS steps FROM journeys j"
)

# When two requests race past the use case's own checks, the database constraint decides;
# the loser is told which field collided.
_UNIQUE_CONFLICTS = {
    "sites_code_key": FieldIssue("code", "another site already has this code; choose another code"),
    "agencies_code_key": FieldIssue("code", "another agency already has this code; choose another code"),
    "counters_site_name_key": FieldIssue("name", "another counter at this site already has this name"),
    "journeys_site_code_key": FieldIssue("code", "another journey at this site already has this code"),
}


# A service's code and ticket prefix are bad input (422) when taken, as the use case says.
_UNIQUE_INVALID = {
    "services_site_code_key": FieldIssue(
        "code", "another service at this site already has this code; choose another code"
    ),
    "services_site_prefix_key": FieldIssue(
        "prefix", "another service at this site already uses this ticket prefix; choose another prefix"
    ),
}


def _hours(raw: str | None) -> Any:
    """A jsonb column as Python (asyncpg hands jsonb over as text)."""
    return None if raw is None else json.loads(raw)


def _site(row: asyncpg.Record) -> SitePublic:
    return SitePublic.model_validate({**row, "hours": _hours(row["hours"])})


def _service(row: asyncpg.Record) -> ServicePublic:
    return ServicePublic.model_validate({**row, "hours": _hours(row["hours"])})


def _lock(for_update: bool, table: str = "") -> str:
    return f" FOR UPDATE{' OF ' + table if table else ''}" if for_update else ""


class PgRegistryStore:
    """SQL for each registry entity; runs on the unit of work's connection and transaction."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    # --- sites --------------------------------------------------------------------------

    async def get_site(self, site_id: UUID, *, for_update: bool = False) -> SitePublic | None:
        row = await self._conn.fetchrow(
            f"SELECT {_SITE_COLUMNS} FROM sites WHERE id = $1{_lock(for_update)}", site_id
        )
        return None if row is None else _site(row)

    async def find_sites(self, *, code: str | None = None) -> list[SitePublic]:
        rows = await self._conn.fetch(
            f"SELECT {_SITE_COLUMNS} FROM sites WHERE ($1::text IS NULL OR code = upper($1)) ORDER BY code",
            code,
        )
        return [_site(row) for row in rows]

    async def insert_site(self, site: SitePublic, *, at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO sites (id, code, name, kind, timezone, address, motto, hours, closed_dates, active, "
            "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $11)",
            site.id,
            site.code,
            site.name,
            site.kind,
            site.timezone,
            site.address,
            site.motto,
            json.dumps(site.hours),
            site.closed_dates,
            site.active,
            at,
        )

    async def update_site(self, site: SitePublic, *, at: datetime) -> None:
        await self._conn.execute(
            "UPDATE sites SET name = $2, kind = $3, timezone = $4, address = $5, motto = $6, "
            "hours = $7::jsonb, "
            "closed_dates = $8, active = $9, updated_at = $10 WHERE id = $1",
            site.id,
            site.name,
            site.kind,
            site.timezone,
            site.address,
            site.motto,
            json.dumps(site.hours),
            site.closed_dates,
            site.active,
            at,
        )

    # --- agencies -----------------------------------------------------------------------

    async def get_agency(self, agency_id: UUID) -> AgencyPublic | None:
        row = await self._conn.fetchrow(f"SELECT {_AGENCY_COLUMNS} FROM agencies WHERE id = $1", agency_id)
        return None if row is None else AgencyPublic.model_validate(dict(row))

    async def find_agencies(
        self, *, code: str | None = None, ids: Sequence[UUID] | None = None
    ) -> list[AgencyPublic]:
        rows = await self._conn.fetch(
            f"SELECT {_AGENCY_COLUMNS} FROM agencies WHERE ($1::text IS NULL OR code = upper($1)) "
            "AND ($2::uuid[] IS NULL OR id = ANY($2)) ORDER BY code",
            code,
            None if ids is None else list(ids),
        )
        return [AgencyPublic.model_validate(dict(row)) for row in rows]

    async def insert_agency(self, agency: AgencyPublic, *, at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO agencies (id, code, name, active, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $5)",
            agency.id,
            agency.code,
            agency.name,
            agency.active,
            at,
        )

    async def insert_api_key(
        self, *, key_id: UUID, agency_id: UUID, minted: MintedKey, label: str | None, at: datetime
    ) -> None:
        await self._conn.execute(
            "INSERT INTO agency_api_keys (id, agency_id, prefix, key_hash, label, created_at) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            key_id,
            agency_id,
            minted.prefix,
            minted.key_hash,
            label,
            at,
        )

    async def list_api_keys(self, agency_id: UUID) -> list[ApiKeyPublic]:
        rows = await self._conn.fetch(
            f"SELECT {_API_KEY_COLUMNS} FROM agency_api_keys WHERE agency_id = $1 ORDER BY created_at, id",
            agency_id,
        )
        return [ApiKeyPublic.model_validate(dict(row)) for row in rows]

    async def api_key_credential(self, agency_id: UUID, key_id: UUID) -> CredentialPublic | None:
        row = await self._conn.fetchrow(
            "SELECT id, 'agency_key' AS kind, agency_id, NULL::uuid AS counter_id, NULL::uuid AS site_id, "
            "prefix, key_hash AS sha256, revoked_at IS NULL AS active, created_at, revoked_at "
            "FROM agency_api_keys WHERE id = $1 AND agency_id = $2 FOR UPDATE",
            key_id,
            agency_id,
        )
        return None if row is None else CredentialPublic.model_validate(dict(row))

    async def revoke_api_key(self, key_id: UUID, *, at: datetime) -> None:
        await self._conn.execute("UPDATE agency_api_keys SET revoked_at = $2 WHERE id = $1", key_id, at)

    # --- staff tokens -------------------------------------------------------------------

    async def insert_staff_token(
        self, *, token_id: UUID, counter: CounterPublic, minted: MintedKey, label: str | None, at: datetime
    ) -> None:
        await self._conn.execute(
            "INSERT INTO staff_tokens (id, counter_id, agency_id, prefix, token_hash, label, created_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7)",
            token_id,
            counter.id,
            counter.agency_id,
            minted.prefix,
            minted.key_hash,
            label,
            at,
        )

    async def list_staff_tokens(self, counter_id: UUID) -> list[StaffTokenPublic]:
        rows = await self._conn.fetch(
            "SELECT id, counter_id, agency_id, prefix, label, created_at, last_used_at, revoked_at "
            "FROM staff_tokens WHERE counter_id = $1 ORDER BY created_at, id",
            counter_id,
        )
        return [StaffTokenPublic.model_validate(dict(row)) for row in rows]

    async def staff_token_credential(self, counter_id: UUID, token_id: UUID) -> CredentialPublic | None:
        row = await self._conn.fetchrow(
            "SELECT t.id, 'staff_token' AS kind, t.agency_id, t.counter_id, c.site_id, t.prefix, "
            "t.token_hash AS sha256, t.revoked_at IS NULL AS active, t.created_at, t.revoked_at "
            "FROM staff_tokens t JOIN counters c ON c.id = t.counter_id "
            "WHERE t.id = $1 AND t.counter_id = $2 FOR UPDATE OF t",
            token_id,
            counter_id,
        )
        return None if row is None else CredentialPublic.model_validate(dict(row))

    async def revoke_staff_token(self, token_id: UUID, *, at: datetime) -> None:
        await self._conn.execute("UPDATE staff_tokens SET revoked_at = $2 WHERE id = $1", token_id, at)

    # --- services -----------------------------------------------------------------------

    async def get_service(self, service_id: UUID, *, for_update: bool = False) -> ServicePublic | None:
        row = await self._conn.fetchrow(
            f"SELECT {_SERVICE_COLUMNS} FROM services WHERE id = $1{_lock(for_update)}", service_id
        )
        return None if row is None else _service(row)

    async def find_services(
        self, *, site_id: UUID | None = None, agency_id: UUID | None = None, code: str | None = None
    ) -> list[ServicePublic]:
        rows = await self._conn.fetch(
            f"SELECT {_SERVICE_COLUMNS} FROM services WHERE ($1::uuid IS NULL OR site_id = $1) "
            "AND ($2::uuid IS NULL OR agency_id = $2) AND ($3::text IS NULL OR code = upper($3)) "
            "ORDER BY site_id, code",
            site_id,
            agency_id,
            code,
        )
        return [_service(row) for row in rows]

    async def service_refs(self, service_ids: Sequence[UUID]) -> dict[UUID, ServiceRef]:
        rows = await self._conn.fetch(
            "SELECT s.id, s.code, s.site_id, si.code AS site_code, s.agency_id, a.code AS agency_code, "
            "s.active "
            "FROM services s JOIN sites si ON si.id = s.site_id JOIN agencies a ON a.id = s.agency_id "
            "WHERE s.id = ANY($1::uuid[])",
            list(service_ids),
        )
        return {row["id"]: ServiceRef(**row) for row in rows}

    async def service_users(self, service_id: UUID) -> tuple[list[str], list[str]]:
        counters = await self._conn.fetch(
            "SELECT c.name FROM counter_services cs JOIN counters c ON c.id = cs.counter_id "
            "WHERE cs.service_id = $1 ORDER BY c.name",
            service_id,
        )
        journeys = await self._conn.fetch(
            "SELECT DISTINCT j.code FROM journey_steps js JOIN journeys j ON j.id = js.journey_id "
            "WHERE js.service_id = $1 ORDER BY j.code",
            service_id,
        )
        return [row["name"] for row in counters], [row["code"] for row in journeys]

    async def insert_service(self, service: ServicePublic, *, at: datetime) -> None:
        await self._conn.execute(
            f"INSERT INTO services ({_SERVICE_COLUMNS}, created_at, updated_at) VALUES "
            "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14, $15, $15)",
            service.id,
            service.site_id,
            service.agency_id,
            service.code,
            service.prefix,
            service.name_id,
            service.name_en,
            service.mean_service_min,
            service.daily_quota,
            service.documents_id,
            service.documents_en,
            _json_or_null(service.hours),
            service.priority_enabled,
            service.active,
            at,
        )

    async def update_service(self, service: ServicePublic, *, at: datetime) -> None:
        await self._conn.execute(
            "UPDATE services SET code = $2, prefix = $3, name_id = $4, name_en = $5, mean_service_min = $6, "
            "daily_quota = $7, documents_id = $8, documents_en = $9, hours = $10::jsonb, "
            "priority_enabled = $11, "
            "active = $12, updated_at = $13 WHERE id = $1",
            service.id,
            service.code,
            service.prefix,
            service.name_id,
            service.name_en,
            service.mean_service_min,
            service.daily_quota,
            service.documents_id,
            service.documents_en,
            _json_or_null(service.hours),
            service.priority_enabled,
            service.active,
            at,
        )

    async def delete_service(self, service_id: UUID) -> None:
        await self._conn.execute("DELETE FROM services WHERE id = $1", service_id)

    # --- counters -----------------------------------------------------------------------

    async def get_counter(self, counter_id: UUID, *, for_update: bool = False) -> CounterPublic | None:
        row = await self._conn.fetchrow(
            f"{_COUNTER_SELECT} WHERE c.id = $1{_lock(for_update, 'c')}", counter_id
        )
        return None if row is None else CounterPublic.model_validate(dict(row))

    async def find_counters(
        self, *, site_id: UUID | None = None, agency_id: UUID | None = None, name: str | None = None
    ) -> list[CounterPublic]:
        # Creation order keeps "Loket 2" before "Loket 10", as an admin entered them.
        rows = await self._conn.fetch(
            f"{_COUNTER_SELECT} WHERE ($1::uuid IS NULL OR c.site_id = $1) "
            "AND ($2::uuid IS NULL OR c.agency_id = $2) "
            "AND ($3::text IS NULL OR c.name = $3) ORDER BY c.site_id, c.created_at, c.id",
            site_id,
            agency_id,
            name,
        )
        return [CounterPublic.model_validate(dict(row)) for row in rows]

    async def insert_counter(self, counter: CounterPublic, *, at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO counters (id, site_id, agency_id, name, active, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $6)",
            counter.id,
            counter.site_id,
            counter.agency_id,
            counter.name,
            counter.active,
            at,
        )
        await self._set_counter_services(counter)

    async def update_counter(self, counter: CounterPublic, *, at: datetime) -> None:
        await self._conn.execute(
            "UPDATE counters SET name = $2, active = $3, updated_at = $4 WHERE id = $1",
            counter.id,
            counter.name,
            counter.active,
            at,
        )
        await self._conn.execute("DELETE FROM counter_services WHERE counter_id = $1", counter.id)
        await self._set_counter_services(counter)

    async def _set_counter_services(self, counter: CounterPublic) -> None:
        await self._conn.execute(
            "INSERT INTO counter_services (counter_id, service_id, position) "
            "SELECT $1, service_id, position "
            "FROM unnest($2::uuid[]) WITH ORDINALITY AS t(service_id, position)",
            counter.id,
            counter.service_ids,
        )

    # --- journeys -----------------------------------------------------------------------

    async def get_journey(self, journey_id: UUID) -> JourneyPublic | None:
        row = await self._conn.fetchrow(f"{_JOURNEY_SELECT} WHERE j.id = $1", journey_id)
        return None if row is None else JourneyPublic.model_validate(dict(row))

    async def find_journeys(
        self, *, site_id: UUID | None = None, code: str | None = None
    ) -> list[JourneyPublic]:
        rows = await self._conn.fetch(
            f"{_JOURNEY_SELECT} WHERE ($1::uuid IS NULL OR j.site_id = $1) "
            "AND ($2::text IS NULL OR j.code = upper($2)) "
            "ORDER BY j.site_id, j.code",
            site_id,
            code,
        )
        return [JourneyPublic.model_validate(dict(row)) for row in rows]

    async def insert_journey(self, journey: JourneyPublic, *, at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO journeys (id, site_id, code, name_id, name_en, kind, active, created_at, "
            "updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
            journey.id,
            journey.site_id,
            journey.code,
            journey.name_id,
            journey.name_en,
            journey.kind,
            journey.active,
            at,
        )
        await self._conn.execute(
            "INSERT INTO journey_steps (journey_id, step_no, service_id) "
            "SELECT $1, step_no, service_id "
            "FROM unnest($2::uuid[]) WITH ORDINALITY AS t(service_id, step_no)",
            journey.id,
            journey.steps,
        )

    # --- audit --------------------------------------------------------------------------

    async def find_audit(
        self, *, entity: str | None, entity_id: UUID | None, since: datetime | None, limit: int
    ) -> list[AuditEntry]:
        rows = await self._conn.fetch(
            "SELECT id, at, actor, action, entity, entity_id, before, after FROM audit_log "
            "WHERE ($1::text IS NULL OR entity = $1) AND ($2::uuid IS NULL OR entity_id = $2) "
            "AND ($3::timestamptz IS NULL OR at >= $3) ORDER BY at, id LIMIT $4",
            entity,
            entity_id,
            since,
            limit,
        )
        return [
            AuditEntry.model_validate({**row, "before": _hours(row["before"]), "after": _hours(row["after"])})
            for row in rows
        ]

    async def audit(
        self,
        *,
        at: datetime,
        actor: str,
        action: str,
        entity: str,
        entity_id: UUID,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        await self._conn.execute(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, before, after) "
            "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)",
            at,
            actor,
            action,
            entity,
            entity_id,
            _json_or_null(before),
            _json_or_null(after),
        )


def _json_or_null(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


class PgUnitOfWork:
    """One transaction: commits when the block ends cleanly, rolls back when it raises."""

    store: PgRegistryStore

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._conn: asyncpg.Connection | None = None
        self._transaction: Any = None

    async def __aenter__(self) -> Self:
        self._conn = await self._pool.acquire()
        self._transaction = self._conn.transaction()
        await self._transaction.start()
        self.store = PgRegistryStore(self._conn)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc is None:
                await self._transaction.commit()
            else:
                await self._transaction.rollback()
        finally:
            await self._pool.release(self._conn)
            self._conn = None
        if isinstance(exc, asyncpg.UniqueViolationError):
            issue = _UNIQUE_CONFLICTS.get(exc.constraint_name or "")
            if issue is not None:
                raise Conflict([issue]) from exc
            invalid = _UNIQUE_INVALID.get(exc.constraint_name or "")
            if invalid is not None:
                raise InvalidInput([invalid]) from exc
        if isinstance(exc, asyncpg.DataError):
            # The schemas refuse such values; this catches what slips past them (a query filter).
            raise InvalidInput(
                [
                    FieldIssue(
                        "request",
                        "a value cannot be stored or searched for (e.g. it holds a NUL "
                        "character or is out of range); correct it and retry",
                    )
                ]
            ) from exc
        if isinstance(exc, asyncpg.ForeignKeyViolationError):
            raise Conflict(
                [
                    FieldIssue(
                        "id",
                        "something this change refers to was changed or removed at the "
                        "same time; read it again and retry",
                    )
                ]
            ) from exc

    async def publish(self, event: CloudEvent) -> None:
        if self._conn is None:
            raise RuntimeError("publish inside `async with uow:`")
        await outbox.enqueue(self._conn, event)


# --- authentication: outside any unit of work, one short statement per request -----------

# last_used_at is kept to the minute: at most one write per credential per minute, however
# busy an agency's integration is.
_TOUCH_EVERY = timedelta(seconds=60)


async def authenticate(
    pool: asyncpg.Pool, *, secret_hash: str, staff: bool, at: datetime
) -> asyncpg.Record | None:
    """The live agency key or staff token with this hash (and its holder), or None."""
    if staff:
        sql = (
            "SELECT t.id, t.prefix, t.agency_id, t.counter_id, t.last_used_at FROM staff_tokens t "
            "JOIN agencies a ON a.id = t.agency_id "
            "WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND a.active"
        )
        table = "staff_tokens"
    else:
        sql = (
            "SELECT k.id, k.prefix, k.agency_id, NULL::uuid AS counter_id, k.last_used_at "
            "FROM agency_api_keys k JOIN agencies a ON a.id = k.agency_id "
            "WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND a.active"
        )
        table = "agency_api_keys"
    async with pool.acquire() as conn:
        row = await conn.fetchrow(sql, secret_hash)
        last_used = None if row is None else row["last_used_at"]
        if row is not None and (last_used is None or at - last_used >= _TOUCH_EVERY):
            await conn.execute(f"UPDATE {table} SET last_used_at = $2 WHERE id = $1", row["id"], at)
        return row
