"""The factory: settings -> adapters -> use cases -> entrypoints."""

from datetime import timedelta
from pathlib import Path

import httpx
from antre_platform.clock import Clock, SystemClock
from antre_platform.sealed import unseal
from antre_platform.service import ServiceRuntime, build_app
from fastapi import FastAPI

from notify.adapters.graph_api import GraphApiClient
from notify.adapters.phone_vault import PhoneVault
from notify.adapters.postgres import PostgresUnitOfWork
from notify.adapters.ticketing_api import TicketingClient
from notify.app.conversation import ActionPolicy
from notify.app.sender import OutboundSender, SendPolicy
from notify.app.service import Notify
from notify.domain.model import Timing
from notify.entrypoints import consumers
from notify.entrypoints.http import notifications_router, recipients_router, webhook_router
from notify.settings import Settings, decode_key

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _timing(settings: Settings) -> Timing:
    return Timing(
        estimate_wait=timedelta(seconds=settings.estimate_wait_seconds),
        issued_ttl=timedelta(seconds=settings.issued_message_ttl_seconds),
        called_ttl=timedelta(seconds=settings.called_message_ttl_seconds),
        reply_ttl=timedelta(seconds=settings.reply_ttl_seconds),
        few_ahead=settings.few_ahead_position,
        eta_change_min=timedelta(minutes=settings.eta_change_minutes),
        eta_change_interval=timedelta(minutes=settings.eta_change_interval_minutes),
        reminder_min_lead=timedelta(seconds=settings.reminder_min_lead_seconds),
    )


def _send_policy(settings: Settings) -> SendPolicy:
    return SendPolicy(
        concurrency=settings.send_concurrency,
        attempts=settings.send_attempts,
        retry_initial=settings.send_retry_initial_seconds,
        retry_max=settings.send_retry_max_seconds,
        lease=timedelta(seconds=settings.send_lease_seconds),
        poll_seconds=settings.send_poll_seconds,
        max_per_second=settings.whatsapp_max_messages_per_second,
        pair_wait=timedelta(seconds=settings.whatsapp_pair_wait_seconds),
        confirm_window=timedelta(seconds=settings.send_confirm_seconds),
    )


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    clock = clock or SystemClock()
    runtime = ServiceRuntime(name="notify", settings=settings, migrations=MIGRATIONS)
    vault = PhoneVault(decode_key(settings.phone_key))
    private_key = settings.notify_private_key
    notify = Notify(
        uow=lambda: PostgresUnitOfWork(runtime.pool, vault),
        clock=clock,
        timing=_timing(settings),
        unseal=lambda sealed: unseal(private_key, sealed),
        site_code=settings.default_site_code,
        action_policy=ActionPolicy(attempts=settings.action_attempts),
    )
    consumers.register(runtime.broker, notify)
    http_client: list[httpx.AsyncClient] = []

    async def start_background(rt: ServiceRuntime) -> None:
        client = httpx.AsyncClient(timeout=settings.send_timeout_seconds)
        http_client.append(client)
        notify.sender = OutboundSender(
            uow=notify.uow,
            clock=clock,
            policy=_send_policy(settings),
            client=GraphApiClient(
                client, messages_url=settings.graph_messages_url, token=settings.whatsapp_token
            ),
        )
        notify.ticketing = TicketingClient(client, base_url=settings.ticketing_url)
        rt.spawn(notify.sender.run(), "sender")
        rt.spawn(notify.run_action_loop(settings.action_poll_seconds), "conversation-actions")
        rt.spawn(
            notify.run_retention_loop(
                timedelta(days=settings.phone_retention_days), settings.retention_check_seconds
            ),
            "phone-retention",
        )
        rt.spawn(notify.run_compose_loop(settings.compose_poll_seconds), "compose-due")

    async def stop_background(_: ServiceRuntime) -> None:
        await notify.stop(grace=settings.send_timeout_seconds + 5)
        for client in http_client:
            await client.aclose()

    runtime.on_start.append(start_background)
    runtime.on_stop.append(stop_background)
    app = build_app(
        runtime,
        title="Antre notify",
        description="WhatsApp Business Platform integration: phone hand-off, outbound messages on queue "
        "events, Meta's verified webhook, delivery statuses.",
        routers=[recipients_router, webhook_router, notifications_router],
    )
    app.state.notify = notify
    app.state.settings = settings
    return app
