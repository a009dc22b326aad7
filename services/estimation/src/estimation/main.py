"""The factory: settings -> PostgreSQL and Kafka -> handlers -> HTTP and subscriber."""

from datetime import timedelta
from pathlib import Path

from antre_platform.clock import Clock, SystemClock
from antre_platform.service import ServiceRuntime, build_app
from fastapi import FastAPI

from estimation.adapters.postgres import PostgresDatabase
from estimation.app.estimates import EstimationPolicy
from estimation.entrypoints import consumer, http
from estimation.settings import Settings

SERVICE = "estimation"
# services/estimation/migrations, beside src/ (the service is installed editable).
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    clock = clock or SystemClock()
    policy = EstimationPolicy(
        default_mean_service_min=settings.default_mean_service_min,
        arrival_margin=timedelta(minutes=settings.arrival_margin_min),
        arrival_quantile=settings.arrival_quantile,
        visible_change=timedelta(minutes=settings.visible_change_min),
    )
    runtime = ServiceRuntime(name=SERVICE, settings=settings, migrations=MIGRATIONS)
    database = PostgresDatabase(lambda: runtime.pool)
    consumer.subscribe(runtime.broker, unit_of_work=database.unit_of_work, policy=policy)
    router = http.build_router(snapshot=database.snapshot, accuracy=database, clock=clock, policy=policy)
    return build_app(
        runtime,
        title="Antre estimation",
        description="Predicts when each waiting ticket will be called (P10/P50/P90), when to arrive, "
        "and how accurate those predictions turned out.",
        routers=[router],
    )
