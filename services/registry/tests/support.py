"""Helpers for the registry's tests: builders that drive the API, and a reader of its tables."""

import json
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
from antre_contracts import CloudEvent, parse_event
from registry.settings import Settings

ADMIN_TOKEN = "test-admin-token"
NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
# Nothing listens on the discard port: tests that only need PostgreSQL keep their events
# in the outbox (as when Kafka is down) instead of reaching any developer's broker.
NO_KAFKA = "127.0.0.1:9"


def registry_settings(database_url: str, kafka_bootstrap: str = NO_KAFKA) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        admin_token=ADMIN_TOKEN,
        relay_poll_seconds=0.1,
    )


class Database:
    """Reads the registry's own tables, to see what a request left behind."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.url)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    async def outbox(self) -> list[CloudEvent]:
        rows = await self.fetch("SELECT payload FROM outbox ORDER BY id")
        return [parse_event(bytes(row["payload"])) for row in rows]

    async def audit(self) -> list[dict[str, Any]]:
        rows = await self.fetch(
            "SELECT actor, action, entity, entity_id, before, after FROM audit_log ORDER BY id"
        )
        return [{**row, "before": _json(row["before"]), "after": _json(row["after"])} for row in rows]


def _json(raw: str | None) -> Any:
    return None if raw is None else json.loads(raw)


KUPANG_HOURS = {"mon": [["08:00", "15:00"]], "fri": [["08:00", "11:30"], ["13:00", "15:00"]]}


async def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def new_site(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {
        "code": "MPP-KPG",
        "name": "Mal Pelayanan Publik Kota Kupang",
        "kind": "mpp",
        "timezone": "Asia/Makassar",
        "hours": KUPANG_HOURS,
        **fields,
    }
    return await created(await client.post("/v1/sites", json=body))


async def new_agency(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"code": "SAMSAT", "name": "UPT SAMSAT Kota Kupang", **fields}
    return await created(await client.post("/v1/agencies", json=body))


async def new_service(
    client: httpx.AsyncClient, site: dict[str, Any], agency: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    body = {
        "site_id": site["id"],
        "agency_id": agency["id"],
        "code": "PKB-TAHUNAN",
        "prefix": "A",
        "name_id": "Pembayaran Pajak Kendaraan Tahunan",
        "name_en": "Annual vehicle tax",
        "mean_service_min": 5,
        "daily_quota": 300,
        "documents_id": ["KTP asli", "STNK asli"],
        **fields,
    }
    return await created(await client.post("/v1/services", json=body))
