"""The factory: settings -> runtime and adapters -> use cases -> HTTP routers and Kafka subscriber."""

from pathlib import Path

from antre_platform.clock import Clock, SystemClock
from antre_platform.service import ServiceRuntime, build_app
from fastapi import FastAPI

from ticketing.bootstrap import Ticketing
from ticketing.entrypoints import http_counters, http_tickets
from ticketing.entrypoints.pages import install_pages
from ticketing.entrypoints.problems import install_domain_problems
from ticketing.entrypoints.registry_consumer import subscribe_registry
from ticketing.settings import Settings

# services/ticketing/migrations; the service is installed editable (also in its image).
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    if not MIGRATIONS.is_dir():
        raise RuntimeError(f"ticketing migrations not found at {MIGRATIONS}: install with pip install -e")
    runtime = ServiceRuntime(name="ticketing", settings=settings, migrations=MIGRATIONS)
    ticketing = Ticketing(runtime=runtime, settings=settings, clock=clock or SystemClock())
    subscribe_registry(runtime.broker, service=runtime.name, handle=ticketing.on_registry_event)

    async def start_background_tasks(rt: ServiceRuntime) -> None:
        rt.spawn(ticketing.deliver_handoffs(), "recipient-handoff")
        rt.spawn(ticketing.idempotency_cleanup().run(), "idempotency-cleanup")
        rt.spawn(ticketing.day_end_closure().run(), "day-end-closure")

    runtime.on_start.append(start_background_tasks)
    app = build_app(
        runtime,
        title="Antre ticketing",
        description="Issues queue numbers, runs the counter (loket) actions and keeps the "
        "authoritative queue.",
        routers=[http_tickets.router, http_counters.router],
    )
    app.state.ticketing = ticketing
    install_domain_problems(app)
    install_pages(app)
    return app
