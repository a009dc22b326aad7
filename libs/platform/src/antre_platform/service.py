"""The lifecycle every service shares: PostgreSQL pool and migrations, the outbox relay,
the FastStream broker, and a FastAPI app with problem responses, health and tracing.

A service's ``main.create_app(settings)`` builds a :class:`ServiceRuntime`, registers its
subscribers on ``runtime.broker`` and its routers on the app that ``build_app`` returns.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path

import asyncpg
from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker

from antre_platform.db import create_pool, migrate
from antre_platform.messaging import make_broker, start_broker
from antre_platform.outbox import OutboxRelay
from antre_platform.settings import ServiceSettings
from antre_platform.telemetry import instrument_app, setup_tracing
from antre_platform.web import health_router, install_problem_handlers

log = logging.getLogger(__name__)

Hook = Callable[["ServiceRuntime"], Awaitable[None]]


class ServiceRuntime:
    """Owns the connections and background tasks of one service process."""

    def __init__(self, *, name: str, settings: ServiceSettings, migrations: Path,
                 relay_outbox: bool = True) -> None:
        self.name = name
        self.settings = settings
        self.migrations = migrations
        self.tracer_provider = setup_tracing(name)
        self.broker: KafkaBroker = make_broker(
            settings.kafka_bootstrap, service=name, tracer_provider=self.tracer_provider
        )
        self.relay_outbox = relay_outbox
        self.relay: OutboxRelay | None = None
        self._pool: asyncpg.Pool | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.on_start: list[Hook] = []
        self.on_stop: list[Hook] = []

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError(f"{self.name} is not started")
        return self._pool

    def spawn(self, coro: Awaitable[None], name: str) -> None:
        """Run a background task for the life of the service."""
        self._tasks.append(asyncio.ensure_future(coro))
        self._tasks[-1].set_name(f"{self.name}:{name}")

    async def start(self) -> None:
        applied = await migrate(self.settings.database_url, self.name, self.migrations)
        if applied:
            log.info("%s applied migrations: %s", self.name, ", ".join(applied))
        self._pool = await create_pool(self.settings.database_url)
        if self.relay_outbox:
            self.relay = OutboxRelay(self._pool, bootstrap_servers=self.settings.kafka_bootstrap,
                                     service=self.name, poll_seconds=self.settings.relay_poll_seconds)
            self.spawn(self.relay.run(), "outbox-relay")
        if self.broker.subscribers:
            self.spawn(
                start_broker(self.broker, service=self.name, bootstrap_servers=self.settings.kafka_bootstrap),
                "broker",
            )
        for hook in self.on_start:
            await hook(self)

    async def stop(self) -> None:
        for hook in self.on_stop:
            await hook(self)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        with contextlib.suppress(Exception):
            await self.broker.stop()
        if self._pool is not None:
            try:
                # A connection still held by a cancelled task would make close() wait forever.
                await asyncio.wait_for(self._pool.close(), timeout=10)
            except TimeoutError:
                log.warning("%s: database connections still busy at shutdown; terminating them", self.name)
                self._pool.terminate()
            self._pool = None

    async def database_ready(self) -> bool:
        async with self.pool.acquire() as conn:
            return bool(await conn.fetchval("SELECT true"))


def build_app(runtime: ServiceRuntime, *, title: str, description: str,
              routers: Sequence[APIRouter] = ()) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan)
    app.state.runtime = runtime
    install_problem_handlers(app)
    app.include_router(health_router({"postgres": runtime.database_ready}))
    for router in routers:
        app.include_router(router)
    instrument_app(app, runtime.tracer_provider)
    return app
