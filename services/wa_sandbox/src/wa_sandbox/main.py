"""The factory: settings -> webhook adapter -> sandbox -> HTTP surfaces.

A plain FastAPI app, not a ``ServiceRuntime`` service: no database, no Kafka. It is not
traced either, on purpose: Meta does not join our traces, and the ``traceparent`` notify
sends is recorded as received so tests can see it travelled.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from antre_platform.clock import Clock, SystemClock
from antre_platform.web import health_router, install_problem_handlers
from fastapi import FastAPI

from wa_sandbox.adapters.webhook import HttpWebhook
from wa_sandbox.app.sandbox import CallbackPolicy, Sandbox
from wa_sandbox.domain.notifications import BusinessPhone
from wa_sandbox.entrypoints import graph_api, sandbox_api
from wa_sandbox.entrypoints.simulator import simulator_router
from wa_sandbox.settings import Settings

DESCRIPTION = """Development and test stand-in for Meta's WhatsApp Cloud API (Graph API).

Notify sends to `POST /{version}/{phone_number_id}/messages` exactly as it would to Meta; the
sandbox records each message, answers a `wamid`, and POSTs signed `sent` and `delivered` status
notifications to the webhook. `/sandbox/*` lets tests and people send inbound messages, read what
was sent, and inject Graph errors. `/` is a phone simulator page."""


def build_sandbox(settings: Settings, *, clock: Clock, client: httpx.AsyncClient) -> Sandbox:
    business = BusinessPhone(
        waba_id=settings.sandbox_waba_id,
        phone_number_id=settings.whatsapp_phone_number_id,
        display_phone_number=settings.sandbox_display_phone_number,
        verified_name=settings.sandbox_verified_name,
    )
    callbacks = CallbackPolicy(
        enabled=settings.sandbox_status_callbacks,
        delay_seconds=settings.sandbox_status_delay_seconds,
        attempts=settings.sandbox_callback_attempts,
        first_backoff_seconds=settings.sandbox_callback_backoff_seconds,
    )
    webhook = HttpWebhook(url=settings.sandbox_webhook_url, app_secret=settings.whatsapp_app_secret,
                          client=client)
    return Sandbox(business=business, access_token=settings.whatsapp_token, webhook=webhook, clock=clock,
                   callbacks=callbacks)


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=settings.sandbox_webhook_timeout_seconds) as client:
            sandbox = build_sandbox(settings, clock=clock, client=client)
            app.state.sandbox = sandbox
            try:
                yield
            finally:
                await sandbox.close()

    app = FastAPI(title="Antre WhatsApp sandbox", description=DESCRIPTION, version="0.1.0",
                  lifespan=lifespan)
    install_problem_handlers(app)
    graph_api.install_graph_error_handler(app)
    app.include_router(health_router({}))
    app.include_router(sandbox_api.router)
    app.include_router(simulator_router())
    app.include_router(graph_api.router)
    return app
