"""The factory: settings -> runtime (PostgreSQL, outbox relay) -> use cases -> HTTP app."""

from pathlib import Path

from antre_platform.clock import Clock, SystemClock
from antre_platform.service import ServiceRuntime, build_app
from fastapi import FastAPI

from registry.entrypoints.api import ROUTERS
from registry.entrypoints.errors import install_error_handlers
from registry.settings import Settings

# The migrations live beside the package source (services/registry/migrations); the
# image installs the service in editable mode so this path holds there too.
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

DESCRIPTION = """\
What each Mal Pelayanan Publik offers: sites, agencies (instansi), services (layanan) with their
ticket prefixes, hours, quotas and required documents, counters (loket) and journeys (alur).
Every change is published as `registry.changed` on `antre.registry.v1`.
Every route but a site's catalog needs `Authorization: Bearer <credential>`: the platform admin token,
an agency API key (`ak_live_...`: its own services and counters, staff tokens for its counters) or a
staff token (`st_...`: reads its counter and that counter's services). A credential out of scope gets
403; an entity it may not read is 404. GET of one entity sends an `ETag`; PATCH honours `If-Match` (412
when the entity changed since it was read); without `If-Match` the last write wins, and every write is
in the audit log (`GET /v1/audit`, admin).
"""


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(name="registry", settings=settings, migrations=MIGRATIONS)
    app = build_app(runtime, title="Antre registry", description=DESCRIPTION, routers=ROUTERS)
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    install_error_handlers(app)
    return app
