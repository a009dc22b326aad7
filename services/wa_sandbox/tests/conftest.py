"""Fixtures for wa-sandbox tests: the app in-process, and a real webhook receiver over HTTP.

The receiver is a small FastAPI app served by uvicorn on a free port; it verifies each
``X-Hub-Signature-256`` the way notify does (HMAC-SHA256 of the raw body with the app secret).
"""

import asyncio
import contextlib
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from antre_platform.clock import FixedClock
from fastapi import FastAPI, Request, Response
from wa_sandbox.main import create_app
from wa_sandbox.settings import Settings

TOKEN = "test-whatsapp-token"
APP_SECRET = "test-app-secret"
PHONE_NUMBER_ID = "106540352242922"
NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # 09:30 WITA, a Monday morning in Kupang


@dataclass
class Delivery:
    raw: bytes
    headers: dict[str, str]
    signature_valid: bool

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


@dataclass
class Receiver:
    """Plays notify's webhook: records each delivery; answers 500 ``failures`` times first."""

    url: str = ""
    failures: int = 0
    deliveries: list[Delivery] = field(default_factory=list)

    def statuses(self) -> list[dict[str, Any]]:
        return [status for delivery in self.deliveries
                for status in delivery.json["entry"][0]["changes"][0]["value"].get("statuses", [])]


def verify_signature(app_secret: str, raw: bytes, header: str | None) -> bool:
    expected = "sha256=" + hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()
    return header is not None and hmac.compare_digest(expected, header)


def receiver_app(receiver: Receiver) -> FastAPI:
    app = FastAPI()

    @app.post("/webhooks/whatsapp")
    async def webhook(request: Request) -> Response:
        raw = await request.body()
        valid = verify_signature(APP_SECRET, raw, request.headers.get("x-hub-signature-256"))
        if receiver.failures > 0:
            receiver.failures -= 1
            return Response(status_code=500)
        receiver.deliveries.append(Delivery(raw=raw, headers=dict(request.headers), signature_valid=valid))
        return Response(status_code=200 if valid else 403)

    return app


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    server = uvicorn.Server(uvicorn.Config(receiver_app(receiver), host="127.0.0.1", port=0,
                                           log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers only this flag
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    receiver.url = f"http://127.0.0.1:{port}/webhooks/whatsapp"
    yield receiver
    server.should_exit = True
    await task


def make_settings(webhook_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "whatsapp_token": TOKEN,
        "whatsapp_app_secret": APP_SECRET,
        "whatsapp_phone_number_id": PHONE_NUMBER_ID,
        "sandbox_webhook_url": webhook_url,
        "sandbox_status_callbacks": True,
        "sandbox_status_delay_seconds": 0,
        "sandbox_callback_backoff_seconds": 0.01,
        "sandbox_callback_attempts": 4,
    }
    return Settings(**{**values, **overrides})


@contextlib.asynccontextmanager
async def sandbox_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, clock=FixedClock(NOW))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://wa-sandbox") as client:
            yield client


# Nothing listens there: tests of the Graph API alone need no webhook, and skip its start-up cost.
UNUSED_WEBHOOK = "http://127.0.0.1:9/webhooks/whatsapp"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """The sandbox without status callbacks, for tests of what it accepts and records."""
    async with sandbox_client(make_settings(UNUSED_WEBHOOK, sandbox_status_callbacks=False)) as client:
        yield client


@pytest.fixture
async def wired_client(receiver: Receiver) -> AsyncIterator[httpx.AsyncClient]:
    """The sandbox calling the receiver as its webhook, status callbacks on."""
    async with sandbox_client(make_settings(receiver.url)) as client:
        yield client


async def _eventually(condition: Callable[[], bool | Awaitable[bool]], within: float = 5.0) -> None:
    """Wait for something that happens in the background; fail clearly if it never does."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        met = condition()
        if met if isinstance(met, bool) else await met:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(0.01)


Eventually = Callable[..., Any]


@pytest.fixture
def eventually() -> Eventually:
    return _eventually


class Graph:
    """Notify's side of the Graph API: send bodies as notify builds them, with its token."""

    token = TOKEN
    phone_number_id = PHONE_NUMBER_ID
    messages_url = f"/v21.0/{PHONE_NUMBER_ID}/messages"
    now = NOW

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def send(self, body: Any, *, token: str | None = TOKEN,
                   headers: dict[str, str] | None = None) -> httpx.Response:
        all_headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return await self.client.post(self.messages_url, json=body,
                                      headers={**all_headers, **(headers or {})})

    async def sent_to(self, phone: str) -> list[dict[str, Any]]:
        response = await self.client.get("/sandbox/messages", params={"to": phone})
        assert response.status_code == 200, response.text
        result: list[dict[str, Any]] = response.json()
        return result

    @staticmethod
    def text(to: str = "6281234567890", body: str = "Nomor antrean Anda A-023.") -> dict[str, Any]:
        return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "text",
                "text": {"preview_url": False, "body": body}}

    @staticmethod
    def buttons(to: str = "6281234567890", titles: tuple[str, ...] = ("Ya", "Tidak")) -> dict[str, Any]:
        buttons = [{"type": "reply", "reply": {"id": f"btn-{i}", "title": title}}
                   for i, title in enumerate(titles)]
        return {"messaging_product": "whatsapp", "to": to, "type": "interactive",
                "interactive": {"type": "button", "body": {"text": "Batalkan nomor A-023?"},
                                "action": {"buttons": buttons}}}

    @staticmethod
    def list(to: str = "6281234567890", rows: int = 3) -> dict[str, Any]:
        return {"messaging_product": "whatsapp", "to": to, "type": "interactive",
                "interactive": {"type": "list", "header": {"type": "text", "text": "MPP Kota Kupang"},
                                "body": {"text": "Pilih layanan:"}, "footer": {"text": "Antre"},
                                "action": {"button": "Layanan", "sections": [{"title": "SAMSAT", "rows": [
                                    {"id": f"svc-{i}", "title": f"Layanan {i}",
                                     "description": f"tunggu ~{i} mnt"}
                                    for i in range(rows)]}]}}}


@pytest.fixture
def graph(client: httpx.AsyncClient) -> Graph:
    return Graph(client)


@pytest.fixture
def wired_graph(wired_client: httpx.AsyncClient) -> Graph:
    return Graph(wired_client)


OpenSandbox = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def open_sandbox() -> OpenSandbox:
    """Another sandbox with its own settings: ``async with open_sandbox(webhook_url, **overrides)``."""
    return lambda webhook_url, **overrides: sandbox_client(make_settings(webhook_url, **overrides))
