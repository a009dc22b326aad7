"""Ticketing in-process on a real PostgreSQL database, with a fixed clock.

Kafka is pointed at a closed port unless a test asks for the real broker: the outbox then
keeps its rows unpublished, which is what the PostgreSQL-only tests inspect.
"""

import asyncio
import contextlib
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
import uvicorn
from antre_contracts import CloudEvent, new_event
from antre_contracts.events import RegistryChanged, RegistryEntity
from antre_devstack.ports import free_port
from antre_devstack.postgres import PostgresNode
from antre_platform.clock import FixedClock
from antre_platform.sealed import generate_keypair
from fastapi import FastAPI
from ticketing.bootstrap import Ticketing
from ticketing.main import create_app
from ticketing.settings import Settings

ADMIN_TOKEN = "test-admin-token"
INTERNAL_TOKEN = "test-internal-token"
NO_KAFKA = "127.0.0.1:1"
# 09:00 WITA on a Monday: the demo site opens on Mondays from 08:00 to 15:00.
MONDAY_9AM_WITA = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@dataclass
class Kupang:
    """Registry ids of the demo site as seeded into ticketing's read model."""

    site_id: UUID = field(default_factory=uuid4)
    samsat_id: UUID = field(default_factory=uuid4)
    vehicle_tax_id: UUID = field(default_factory=uuid4)  # prefix A
    stnk_id: UUID = field(default_factory=uuid4)  # prefix AB
    counter_ids: list[UUID] = field(default_factory=lambda: [uuid4() for _ in range(3)])

    def registry_events(self, *, vehicle_tax_quota: int = 300) -> list[CloudEvent]:
        site: dict[str, Any] = {
            "id": str(self.site_id),
            "code": "MPP-KPG",
            "name": "Mal Pelayanan Publik Kota Kupang",
            "kind": "mpp",
            "timezone": "Asia/Makassar",
            "address": "Kota Kupang",
            "motto": "BESTI",
            "hours": {"mon": [["08:00", "15:00"]]},
            "closed_dates": [],
            "active": True,
        }
        services = [
            self._service(
                self.vehicle_tax_id, "PKB-TAHUNAN", "A", "Pajak Kendaraan Tahunan", vehicle_tax_quota
            ),
            self._service(self.stnk_id, "STNK-5TH", "AB", "Pengesahan STNK 5 Tahunan", 80),
        ]
        counters: list[dict[str, Any]] = [
            {
                "id": str(cid),
                "site_id": str(self.site_id),
                "agency_id": str(self.samsat_id),
                "name": f"Loket {n}",
                "service_ids": [str(self.vehicle_tax_id)] + ([str(self.stnk_id)] if n == 1 else []),
                "active": True,
            }
            for n, cid in enumerate(self.counter_ids, start=1)
        ]
        return (
            [registry_changed("site", self.site_id, site)]
            + [registry_changed("service", UUID(s["id"]), s) for s in services]
            + [registry_changed("counter", UUID(c["id"]), c) for c in counters]
        )

    def _service(self, service_id: UUID, code: str, prefix: str, name_id: str, quota: int) -> dict[str, Any]:
        return {
            "id": str(service_id),
            "site_id": str(self.site_id),
            "agency_id": str(self.samsat_id),
            "code": code,
            "prefix": prefix,
            "name_id": name_id,
            "name_en": code.title(),
            "mean_service_min": 5,
            "daily_quota": quota,
            "documents_id": ["KTP asli"],
            "documents_en": ["Original ID card"],
            "hours": None,
            "priority_enabled": True,
            "active": True,
        }


def registry_changed(
    entity: RegistryEntity,
    entity_id: UUID,
    state: dict[str, Any],
    *,
    op: Literal["upsert", "delete"] = "upsert",
    site_id: UUID | None = None,
) -> CloudEvent:
    site = site_id or UUID(str(state.get("site_id") or state["id"]))
    return new_event(
        type="registry.changed",
        source="antre/registry",
        site_id=site,
        subject=entity_id,
        time=datetime.now(UTC),
        data=RegistryChanged(entity=entity, id=entity_id, op=op, state=state),
    )


@dataclass
class Harness:
    app: FastAPI
    client: httpx.AsyncClient
    clock: FixedClock
    kupang: Kupang
    notify_private_key: str

    @property
    def ticketing(self) -> Ticketing:
        ticketing: Ticketing = self.app.state.ticketing
        return ticketing

    @property
    def pool(self) -> asyncpg.Pool:
        return self.ticketing.runtime.pool

    admin: dict[str, str] = field(default_factory=lambda: {"Authorization": f"Bearer {ADMIN_TOKEN}"})

    seeded: list[CloudEvent] = field(default_factory=list)

    async def seed(self, **options: Any) -> None:
        """Apply the registry events of the Kupang site, as the Kafka subscriber would."""
        self.seeded = self.kupang.registry_events(**options)
        for event in self.seeded:
            await self.ticketing.on_registry_event(event)

    async def change_service(self, **changes: Any) -> None:
        """The registry changed the vehicle tax service (prefix A)."""
        state = {**self.kupang.registry_events()[1].data["state"], **changes}
        await self.ticketing.on_registry_event(registry_changed("service", self.kupang.vehicle_tax_id, state))

    def registry_event(self, entity: RegistryEntity, entity_id: UUID, state: dict[str, Any]) -> CloudEvent:
        return registry_changed(entity, entity_id, state)

    async def change_site(self, **changes: Any) -> None:
        state = {**self.kupang.registry_events()[0].data["state"], **changes}
        await self.ticketing.on_registry_event(registry_changed("site", self.kupang.site_id, state))

    async def add_journey(self, steps: list[UUID]) -> dict[str, Any]:
        """A journey (alur) of the Kupang site through ``steps``, as the registry announces it."""
        journey: dict[str, Any] = {
            "id": str(uuid4()),
            "site_id": str(self.kupang.site_id),
            "code": "SIM-PERPANJANG",
            "name_id": "Perpanjangan SIM",
            "name_en": "Licence renewal",
            "kind": "bundle",
            "steps": [str(s) for s in steps],
            "active": True,
        }
        await self.ticketing.on_registry_event(registry_changed("journey", UUID(journey["id"]), journey))
        return journey

    async def issue(
        self,
        *,
        service_id: UUID | None = None,
        key: str | None = None,
        headers: dict[str, str] | None = None,
        **body: Any,
    ) -> httpx.Response:
        payload = {"service_id": str(service_id or self.kupang.vehicle_tax_id), "channel": "kiosk", **body}
        if "journey_id" in body and service_id is None:
            payload.pop("service_id")
        sent = {**(headers or {}), **({"Idempotency-Key": key} if key else {})}
        return await self.client.post("/v1/tickets", json=payload, headers=sent)

    async def counter(self, index: int, action: str) -> httpx.Response:
        return await self.client.post(
            f"/v1/counters/{self.kupang.counter_ids[index]}/{action}", headers=self.admin
        )


def settings_for(
    database_url: str,
    *,
    kafka_bootstrap: str = NO_KAFKA,
    notify_public_key: str = "",
    notify_url: str = "http://127.0.0.1:9",
    **extra: Any,
) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        kafka_bootstrap=kafka_bootstrap,
        admin_token=ADMIN_TOKEN,
        internal_token=INTERNAL_TOKEN,
        notify_public_key=notify_public_key,
        notify_url=notify_url,
        public_base_url="https://antre.example.id",
        handoff_poll_seconds=0.1,
        relay_poll_seconds=0.1,
        **extra,
    )


@contextlib.asynccontextmanager
async def start_harness(settings: Settings, private_key: str) -> AsyncIterator[Harness]:
    clock = FixedClock(MONDAY_9AM_WITA)
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ticketing") as client:
            yield Harness(
                app=app, client=client, clock=clock, kupang=Kupang(), notify_private_key=private_key
            )


HarnessFactory = Callable[..., contextlib.AbstractAsyncContextManager[Harness]]


@pytest.fixture
def notify_keys() -> tuple[str, str]:
    """(private, public): notify's key pair; ticketing gets only the public half."""
    return generate_keypair()


@pytest.fixture
def make_harness(database_url: str, notify_keys: tuple[str, str]) -> HarnessFactory:
    """Start ticketing on this test's database; keyword arguments override settings_for()'s.
    Starting it twice in one test is a restart: same database, new process state."""
    private, public = notify_keys

    def make(**overrides: Any) -> contextlib.AbstractAsyncContextManager[Harness]:
        settings = settings_for(database_url, **{"notify_public_key": public, **overrides})
        return start_harness(settings, private)

    return make


@pytest.fixture
async def harness(make_harness: HarnessFactory) -> AsyncIterator[Harness]:
    """Ticketing with the Kupang demo site seeded into its read model; no Kafka, no notify."""
    async with make_harness() as running:
        await running.seed()
        yield running


@dataclass(frozen=True)
class LiveTicketing:
    url: str
    admin: dict[str, str]
    kupang: Kupang


async def _seed_read_model(database_url: str, kupang: Kupang) -> None:
    """Fill the read model as the registry subscriber would, then stop."""
    app = create_app(settings_for(database_url), clock=FixedClock(MONDAY_9AM_WITA))
    async with app.router.lifespan_context(app):
        for event in kupang.registry_events():
            await app.state.ticketing.on_registry_event(event)


@pytest.fixture(scope="module")
def live_ticketing(postgres: PostgresNode) -> Iterator[LiveTicketing]:
    """Ticketing under uvicorn in a thread (its lifespan opens the pool and migrates) on a
    database of its own, the Kupang site in its read model, opening hours not enforced."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    postgres.create_database(name)
    database_url = postgres.dsn(name)
    kupang = Kupang()
    asyncio.run(_seed_read_model(database_url, kupang))
    port = free_port()
    app = create_app(settings_for(database_url, enforce_hours=False))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("ticketing did not start under uvicorn")
        time.sleep(0.05)
    yield LiveTicketing(
        url=f"http://127.0.0.1:{port}", admin={"Authorization": f"Bearer {ADMIN_TOKEN}"}, kupang=kupang
    )
    server.should_exit = True
    thread.join(10)


@dataclass
class SyncTicketing:
    """Ticketing's app in an event loop of its own, for synchronous drivers (hypothesis rules)."""

    loop: asyncio.AbstractEventLoop
    ticketing: Ticketing
    kupang: Kupang
    clock: FixedClock

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)


@pytest.fixture
def sync_ticketing(database_url: str) -> Iterator[SyncTicketing]:
    loop = asyncio.new_event_loop()
    clock = FixedClock(MONDAY_9AM_WITA)
    # Hours off: a long random run walks the clock past closing time.
    settings = settings_for(database_url, max_tickets_per_phone_per_day=1000, enforce_hours=False)
    app = create_app(settings, clock=clock)
    lifespan = app.router.lifespan_context(app)
    loop.run_until_complete(lifespan.__aenter__())
    running = SyncTicketing(loop=loop, ticketing=app.state.ticketing, kupang=Kupang(), clock=clock)
    for event in running.kupang.registry_events(vehicle_tax_quota=10_000):
        running.run(running.ticketing.on_registry_event(event))
    try:
        yield running
    finally:
        loop.run_until_complete(lifespan.__aexit__(None, None, None))
        loop.close()
