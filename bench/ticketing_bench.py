"""make bench-ticketing: tickets issued per second through ticketing's HTTP API (with the
outbox), beside the floor measured in the same run: a raw asyncpg insert of a ticket and
its outbox row in one transaction, on the same PostgreSQL, at the same concurrency.

It starts its own PostgreSQL (a fresh cluster under /tmp, on a free port) and runs
ticketing as `python -m ticketing` (uvicorn), the way the launcher does. Kafka is not
needed: the outbox keeps its rows, which is the cost being measured. Bounded to ~1 min.
"""

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from antre_contracts import new_event
from antre_contracts.events import RegistryChanged, TicketIssued
from antre_devstack.ports import free_port
from antre_devstack.postgres import PostgresNode
from antre_platform import outbox

TICKETS = int(os.environ.get("BENCH_TICKETS", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
# A hall's services: issues of one service queue on its day's number row (gapless numbers,
# held until the durable commit), so one service is the worst case and many the usual one.
SERVICES = int(os.environ.get("BENCH_SERVICES", "20"))
WARMUP = 100


def registry_events(site_id: uuid.UUID, service_ids: list[uuid.UUID]) -> list[Any]:
    site = {
        "id": str(site_id),
        "code": "MPP-KPG",
        "name": "MPP Kota Kupang",
        "kind": "mpp",
        "timezone": "Asia/Makassar",
        "hours": None,
        "closed_dates": [],
        "active": True,
    }
    services: list[dict[str, Any]] = [
        {
            "id": str(service_id),
            "site_id": str(site_id),
            "agency_id": str(uuid.uuid4()),
            "code": f"SVC-{n}",
            "prefix": f"S{n}",
            "name_id": f"Layanan {n}",
            "name_en": f"Service {n}",
            "mean_service_min": 5,
            "daily_quota": None,
            "hours": None,
            "priority_enabled": True,
            "active": True,
        }
        for n, service_id in enumerate(service_ids, start=1)
    ]
    entities: list[tuple[Any, uuid.UUID, dict[str, Any]]] = [("site", site_id, site)]
    entities += [("service", uuid.UUID(s["id"]), s) for s in services]
    return [
        new_event(
            type="registry.changed",
            source="antre/registry",
            site_id=site_id,
            time=datetime.now(UTC),
            subject=entity_id,
            data=RegistryChanged(entity=entity, id=entity_id, op="upsert", state=state),
        )
        for entity, entity_id, state in entities
    ]


async def seed(database_url: str, site_id: uuid.UUID, service_ids: list[uuid.UUID]) -> None:
    """Migrate and fill the read model in-process, as the registry subscriber would."""
    from ticketing.main import create_app
    from ticketing.settings import Settings

    app = create_app(Settings(database_url=database_url, kafka_bootstrap="127.0.0.1:1", env="test"))
    async with app.router.lifespan_context(app):
        for event in registry_events(site_id, service_ids):
            await app.state.ticketing.on_registry_event(event)


async def run_load(one: Callable[[int], Awaitable[None]]) -> dict[str, float]:
    """``TICKETS`` calls of ``one`` from ``CONCURRENCY`` workers: throughput and latencies."""
    latencies: list[float] = []
    todo = iter(range(TICKETS))

    async def worker() -> None:
        for i in todo:
            began = time.perf_counter()
            await one(i)
            latencies.append(time.perf_counter() - began)

    for i in range(WARMUP):  # connections, prepared statements, caches
        await one(TICKETS + i)
    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    elapsed = time.perf_counter() - began
    cuts = statistics.quantiles(latencies, n=100)
    return {"per_second": TICKETS / elapsed, "p50_ms": cuts[49] * 1000, "p99_ms": cuts[98] * 1000}


async def http_issue(url: str, service_ids: list[uuid.UUID]) -> dict[str, float]:
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def one(i: int) -> None:
            response = await client.post(
                "/v1/tickets",
                json={"service_id": str(service_ids[i % len(service_ids)]), "channel": "kiosk"},
                headers={"Idempotency-Key": f"bench-{len(service_ids)}-{i}"},
            )
            if response.status_code != 201:
                raise RuntimeError(f"ticketing answered {response.status_code}: {response.text}")

        return await run_load(one)


async def raw_floor(database_url: str, site_id: uuid.UUID) -> dict[str, float]:
    """The least any ticketing can do: insert the ticket row and its outbox row, one transaction."""
    pool = await asyncpg.create_pool(database_url, min_size=CONCURRENCY, max_size=CONCURRENCY)
    assert pool is not None
    service_id, agency_id, day = uuid.uuid4(), uuid.uuid4(), date(2000, 1, 1)

    async def one(i: int) -> None:
        ticket_id, now = uuid.uuid4(), datetime.now(UTC)
        event = new_event(
            type="ticket.issued",
            source="antre/bench",
            site_id=site_id,
            time=now,
            subject=ticket_id,
            data=TicketIssued(
                ticket_id=ticket_id,
                number=f"F-{i:03d}",
                service_id=service_id,
                site_id=site_id,
                agency_id=agency_id,
                channel="kiosk",
                issued_at=now,
            ),
        )
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO tickets (id, site_id, service_id, agency_id, day, seq, number, channel, "
                "priority, priority_rank, access_token, issued_at, queued_at, locale, status) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, 'kiosk', 'regular', 1, $8, $9, $9, 'id', 'waiting')",
                ticket_id,
                site_id,
                service_id,
                agency_id,
                day,
                i + 1,
                f"F-{i:03d}",
                uuid.uuid4().hex,
                now,
            )
            await outbox.enqueue(conn, event)

    try:
        return await run_load(one)
    finally:
        await pool.close()


def start_ticketing(database_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ANTRE_ENV": "test",
        "ANTRE_DATABASE_URL": database_url,
        "ANTRE_HTTP_PORT": str(port),
        "ANTRE_KAFKA_BOOTSTRAP": "127.0.0.1:1",
        "ANTRE_ENFORCE_HOURS": "false",
        "ANTRE_LOG_LEVEL": "warning",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "ticketing"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def wait_healthy(url: str) -> None:
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient(base_url=url) as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("ticketing did not become healthy")


async def main() -> None:
    state = Path(tempfile.mkdtemp(prefix="antre-bench-ticketing-", dir="/tmp"))
    node = PostgresNode(state / "postgres", port=free_port())
    server: subprocess.Popen[bytes] | None = None
    try:
        node.start()
        node.wait_ready()
        node.create_database("ticketing")
        database_url = node.dsn("ticketing")
        site_id, service_ids = uuid.uuid4(), [uuid.uuid4() for _ in range(SERVICES)]
        await seed(database_url, site_id, service_ids)
        port = free_port()
        server = start_ticketing(database_url, port)
        url = f"http://127.0.0.1:{port}"
        await wait_healthy(url)
        one_service = await http_issue(url, service_ids[:1])
        many_services = await http_issue(url, service_ids)
        floor = await raw_floor(database_url, site_id)
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        node.stop()
        shutil.rmtree(state, ignore_errors=True)
    report(
        {"HTTP + outbox, 1 service": one_service, f"HTTP + outbox, {SERVICES} services": many_services}, floor
    )


def report(runs: dict[str, dict[str, float]], floor: dict[str, float]) -> None:
    print(f"ticketing bench: POST /v1/tickets, {TICKETS} tickets per run, {CONCURRENCY} concurrent clients")
    print(f"{'':36}{'tickets/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'x floor':>9}")
    for label, row in {**runs, "floor: raw asyncpg ticket+outbox": floor}.items():
        ratio = row["per_second"] / floor["per_second"]
        print(f"{label:36}{row['per_second']:>10.0f}{row['p50_ms']:>9.1f}{row['p99_ms']:>9.1f}{ratio:>9.2f}")
    print("x floor: throughput as a share of the floor's, measured in this run on the same PostgreSQL")


if __name__ == "__main__":
    asyncio.run(main())
