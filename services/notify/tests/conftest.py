"""Fixtures for notify's integration tests: notify in-process on a real PostgreSQL, and a
fake Graph API of our own served over real HTTP by uvicorn on a free port.

``Hall`` writes the CloudEvents the other services would send for a small MPP Kota Kupang,
timed on Thursday 11 June 2026 from 09:00 WITA.
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
import uvicorn
from antre_contracts import CloudEvent, new_event
from antre_contracts.events import (
    CounterCalled,
    EventData,
    RegistryChanged,
    RegistryEntity,
    TicketEstimated,
    TicketIssued,
)
from antre_devstack.ports import free_port
from antre_platform.clock import FixedClock
from antre_platform.sealed import public_key_of, seal
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from notify.adapters.meta_webhook import sign
from notify.domain.conversation import ConversationState
from notify.domain.phone import PhoneNumber
from notify.main import create_app
from notify.settings import Settings

NOW = datetime(2026, 6, 11, 1, 0, tzinfo=UTC)  # 09:00 WITA, Thursday
PHONE = "+6281234567890"
PHONE_DIGITS = "81234567890"  # what must never be found in clear
ADMIN = {"Authorization": "Bearer test-admin-token"}
INTERNAL = {"Authorization": "Bearer test-internal-token"}
APP_SECRET = "test-app-secret"


def wita(hour: int, minute: int) -> datetime:
    return datetime(2026, 6, 11, hour - 8, minute, tzinfo=UTC)


@dataclass
class FakeGraph:
    """Plays graph.facebook.com: records each send; answers from ``script`` first, then 200."""

    url: str = ""
    script: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    # Seconds to hold the next answers back (a slow Meta); the message is accepted all the same.
    delays: list[float] = field(default_factory=list)

    def app(self) -> FastAPI:
        fake = FastAPI()

        @fake.post("/{version}/{phone_number_id}/messages")
        async def messages(version: str, phone_number_id: str, request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append({"path": f"/{version}/{phone_number_id}/messages", **body})
            self.headers.append(dict(request.headers))
            if self.delays:
                await asyncio.sleep(self.delays.pop(0))
            if self.script:
                status, answer = self.script.pop(0)
                return JSONResponse(answer, status_code=status)
            return JSONResponse(
                {
                    "messaging_product": "whatsapp",
                    "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                    "messages": [{"id": f"wamid.fake{len(self.requests)}"}],
                }
            )

        return fake

    def bodies(self) -> list[str]:
        return [request["text"]["body"] for request in self.requests]


@pytest.fixture
async def fake_graph() -> AsyncIterator[FakeGraph]:
    fake = FakeGraph()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            fake.app(),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=2,
            lifespan="off",
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    fake.url = f"http://127.0.0.1:{port}"
    yield fake
    server.should_exit = True
    await asyncio.wait_for(task, 10)


@pytest.fixture
def settings(database_url: str, fake_graph: FakeGraph) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        kafka_bootstrap=f"127.0.0.1:{free_port()}",  # nothing listens: these tests need no Kafka
        whatsapp_api_url=fake_graph.url,
        whatsapp_token="test-whatsapp-token",
        whatsapp_app_secret=APP_SECRET,
        whatsapp_verify_token="test-verify-token",
        admin_token="test-admin-token",
        internal_token="test-internal-token",
        send_retry_initial_seconds=0.02,
        send_retry_max_seconds=0.05,
        send_poll_seconds=0.05,
        compose_poll_seconds=0.05,
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@dataclass
class RunningNotify:
    """A running notify and ways to reach it as ticketing, Kafka and Meta would."""

    app: FastAPI
    http: httpx.AsyncClient
    settings: Settings

    async def deliver(self, *events: CloudEvent) -> None:
        """As the Kafka subscriber would (tests/test_notify_kafka.py covers the real path)."""
        for event in events:
            await self.app.state.notify.handle_event(event)

    async def hand_off(
        self,
        ticket_id: UUID,
        site_id: UUID,
        *,
        phone: str = PHONE,
        locale: str = "id",
        status_url: str | None = None,
    ) -> httpx.Response:
        sealed = seal(public_key_of(self.settings.notify_private_key), phone.encode())
        body = {"sealed_phone": sealed, "locale": locale, "site_id": str(site_id)}
        if status_url is not None:  # older ticketing sends no status_url at all
            body["status_url"] = status_url
        return await self.http.put(f"/internal/v1/recipients/{ticket_id}", headers=INTERNAL, json=body)

    async def webhook(
        self, payload: dict[str, Any], *, secret: str = APP_SECRET, signature: str | None = None
    ) -> httpx.Response:
        raw = json.dumps(payload).encode()
        header = signature if signature is not None else sign(secret, raw)
        return await self.http.post(
            "/webhooks/whatsapp",
            content=raw,
            headers={"X-Hub-Signature-256": header, "Content-Type": "application/json"},
        )

    @staticmethod
    async def eventually(
        check: Callable[[], Awaitable[bool]] | Callable[[], bool], *, within: float = 10.0
    ) -> None:
        """Wait until ``check()`` holds; fail with the last state otherwise."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            outcome = check()
            if isinstance(outcome, Awaitable):
                outcome = await outcome
            if outcome:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.02)

    async def notifications(self, ticket_id: UUID) -> list[dict[str, Any]]:
        response = await self.http.get(
            "/v1/notifications", params={"ticket_id": str(ticket_id)}, headers=ADMIN
        )
        assert response.status_code == 200, response.text
        result: list[dict[str, Any]] = response.json()["notifications"]
        return result

    async def outbox_events(self, event_type: str) -> list[dict[str, Any]]:
        conn = await asyncpg.connect(self.settings.database_url)
        try:
            rows = await conn.fetch(
                "SELECT payload FROM outbox WHERE event_type = $1 ORDER BY id", event_type
            )
        finally:
            await conn.close()
        return [json.loads(bytes(row["payload"])) for row in rows]


async def open_window(app: FastAPI, phone: str = PHONE, *, at: datetime = NOW) -> None:
    """As if the citizen had written to us at ``at``: WhatsApp's 24-hour customer-service
    window is open, so free-form messages (not templates) go to them."""
    async with app.state.notify.uow() as work:
        await work.store.save_conversation(
            PhoneNumber.parse(phone), ConversationState(), now=at, inbound_at=at
        )


@contextlib.asynccontextmanager
async def running_notify(
    settings: Settings, clock: FixedClock, *, window_open: bool = True
) -> AsyncIterator[RunningNotify]:
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        if window_open:
            await open_window(app)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://notify") as http:
            yield RunningNotify(app=app, http=http, settings=settings)


@pytest.fixture
async def notify(settings: Settings, clock: FixedClock) -> AsyncIterator[RunningNotify]:
    async with running_notify(settings, clock) as running:
        yield running


StartNotify = Callable[..., contextlib.AbstractAsyncContextManager[RunningNotify]]


@pytest.fixture
def start_notify(settings: Settings, clock: FixedClock) -> StartNotify:
    """Start notify yourself (e.g. twice on one database, or with Kafka): ``async with start_notify():``."""

    def start(
        *, window_open: bool = True, **changes: Any
    ) -> contextlib.AbstractAsyncContextManager[RunningNotify]:
        return running_notify(settings.model_copy(update=changes), clock, window_open=window_open)

    return start


class Hall:
    """The CloudEvents registry, ticketing and estimation would send for one small MPP."""

    def __init__(self) -> None:
        self.site_id = uuid4()
        self.agency_id = uuid4()
        self.service_id = uuid4()
        self.counter_id = uuid4()

    def _event(self, type: str, data: EventData, *, at: datetime, source: str, subject: UUID) -> CloudEvent:
        return new_event(type=type, source=source, site_id=self.site_id, data=data, time=at, subject=subject)

    def registry(self) -> list[CloudEvent]:
        entities: list[tuple[RegistryEntity, UUID, dict[str, Any]]] = [
            (
                "site",
                self.site_id,
                {
                    "code": "MPP-KPG",
                    "name": "Mal Pelayanan Publik Kota Kupang",
                    "kind": "mpp",
                    "timezone": "Asia/Makassar",
                    "address": "Kota Kupang",
                    "motto": "BESTI - Beres dan Pasti",
                    "hours": {"thu": [["08:00", "15:00"]]},
                    "closed_dates": [],
                    "active": True,
                },
            ),
            (
                "service",
                self.service_id,
                {
                    "site_id": str(self.site_id),
                    "agency_id": str(self.agency_id),
                    "code": "PKB-TAHUNAN",
                    "prefix": "A",
                    "name_id": "Pembayaran Pajak Kendaraan Tahunan",
                    "name_en": "Annual vehicle tax",
                    "mean_service_min": 5,
                    "daily_quota": 300,
                    "documents_id": ["KTP asli", "STNK asli"],
                    "documents_en": ["Original ID card", "Original vehicle registration"],
                    "hours": None,
                    "priority_enabled": True,
                    "active": True,
                },
            ),
            (
                "counter",
                self.counter_id,
                {
                    "site_id": str(self.site_id),
                    "agency_id": str(self.agency_id),
                    "name": "Loket 3",
                    "service_ids": [str(self.service_id)],
                    "active": True,
                },
            ),
        ]
        return [
            self._event(
                "registry.changed",
                RegistryChanged(
                    entity=entity,
                    id=entity_id,
                    op="upsert",
                    state={"id": str(entity_id), **state},
                ),
                at=NOW - timedelta(days=1),
                source="antre/registry",
                subject=entity_id,
            )
            for entity, entity_id, state in entities
        ]

    def issued(
        self, ticket_id: UUID, *, number: str = "A-001", travel_minutes: int | None = 15
    ) -> CloudEvent:
        return self._event(
            "ticket.issued",
            TicketIssued(
                ticket_id=ticket_id,
                number=number,
                service_id=self.service_id,
                site_id=self.site_id,
                agency_id=self.agency_id,
                channel="whatsapp",
                issued_at=NOW,
                travel_minutes=travel_minutes,
            ),
            at=NOW,
            source="antre/ticketing",
            subject=ticket_id,
        )

    def estimated(self, ticket_id: UUID) -> CloudEvent:
        return self._event(
            "ticket.estimated",
            TicketEstimated(
                ticket_id=ticket_id,
                service_id=self.service_id,
                at=NOW,
                position=7,
                call_p10=wita(9, 30),
                call_p50=wita(9, 40),
                call_p90=wita(9, 55),
                arrive_by=wita(9, 25),
            ),
            at=NOW,
            source="antre/estimation",
            subject=ticket_id,
        )

    def called(
        self,
        ticket_id: UUID,
        *,
        recall: int = 0,
        number: str | None = "A-001",
        counter_name: str | None = "Loket 3",
    ) -> CloudEvent:
        at = wita(9, 41 + recall)
        return self._event(
            "counter.called",
            CounterCalled(
                ticket_id=ticket_id,
                counter_id=self.counter_id,
                service_id=self.service_id,
                called_at=at,
                recall=recall,
                number=number,
                counter_name=counter_name,
            ),
            at=at,
            source="antre/ticketing",
            subject=self.counter_id,
        )


@pytest.fixture
def hall() -> Hall:
    return Hall()
