"""The phone hand-off: sealed in ticketing's database, delivered to notify over HTTP, then gone."""

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
import uvicorn
from antre_platform.sealed import unseal
from fastapi import FastAPI, Header, Response

Harness = Any  # the conftest fixture's type; conftest modules are not importable here
PHONE_DIGITS = "81234567890"


class FakeNotify:
    """Notify's recipient endpoint as agreed: 204, 401 for a bad token, 422 for a box it cannot open."""

    def __init__(self, private_key: str, token: str, *, fail_first: int = 0) -> None:
        self.received: list[dict[str, Any]] = []
        self.attempts = 0
        self._fail_first = fail_first
        self.app = FastAPI()

        @self.app.put("/internal/v1/recipients/{ticket_id}", status_code=204)
        async def put_recipient(
            ticket_id: str, body: dict[str, Any], authorization: str | None = Header(None)
        ) -> Response:
            self.attempts += 1
            if self.attempts <= self._fail_first:
                return Response(status_code=503)
            if authorization != f"Bearer {token}":
                return Response(status_code=401)
            try:
                phone = unseal(private_key, body["sealed_phone"]).decode()
            except Exception:
                return Response(status_code=422)
            self.received.append({"ticket_id": ticket_id, "phone": phone, **body})
            return Response(status_code=204)


@contextlib.asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110  (uvicorn offers no event to wait on)
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def eventually(check: Callable[[], Awaitable[bool]], *, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def database_text(h: Harness) -> str:
    """Every row of every table of ticketing's database, as text (event payloads decoded)."""
    tables = await h.pool.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    )
    dumped = []
    for table in tables:
        rows = await h.pool.fetch(f'SELECT row_to_json(t)::text AS row FROM "{table["table_name"]}" t')
        dumped += [r["row"] for r in rows]
    dumped += [
        bytes(p).decode() for p in await h.pool.fetchval("SELECT array_agg(payload) FROM outbox") or []
    ]
    return "\n".join(dumped)


async def test_the_phone_is_sealed_delivered_to_notify_and_then_forgotten(
    make_harness: Any, notify_keys: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    private, _ = notify_keys
    notify = FakeNotify(private, "test-internal-token", fail_first=1)
    async with serve(notify.app) as notify_url, make_harness(notify_url=notify_url) as harness:
        await harness.seed()
        issued = await harness.issue(
            channel="whatsapp", key="wamid.HBgM", phone="0812-3456-7890", locale="en"
        )
        assert issued.status_code == 201
        ticket = issued.json()

        await eventually(lambda: _attempted(harness))  # notify answered 503: kept for a retry
        row = await harness.pool.fetchrow(
            "SELECT * FROM recipient_handoff WHERE ticket_id = $1", UUID(ticket["id"])
        )
        assert row is not None and row["attempts"] == 1 and row["last_error"] == "notify answered 503"
        assert unseal(private, row["sealed_phone"]) == b"+6281234567890"
        everything = await database_text(harness)
        # The number in every form it could be stored in (a bare "0812" also occurs by
        # chance in timestamps and checksums, so it is not searched for on its own).
        for form in (PHONE_DIGITS, "0812-3456-7890", "+6281234567890"):
            assert form not in everything

        harness.clock.advance(timedelta(seconds=2))  # past the first backoff
        harness.ticketing.handoff_wakeup.set()
        await eventually(lambda: _none_left(harness))
        assert notify.received == [
            {
                "ticket_id": ticket["id"],
                "phone": "+6281234567890",
                "locale": "en",
                "site_id": str(harness.kupang.site_id),
                "sealed_phone": row["sealed_phone"],
                # Built at delivery from the ticket's access token: the link the citizen got.
                "status_url": ticket["status_url"],
            }
        ]
    assert PHONE_DIGITS not in caplog.text
    assert ticket["access_token"] not in caplog.text  # the link is a bearer secret


async def test_a_handoff_survives_a_restart_while_notify_is_down(
    make_harness: Any, notify_keys: tuple[str, str]
) -> None:
    private, _ = notify_keys
    async with make_harness(notify_url="http://127.0.0.1:9") as first_run:  # nothing listens on port 9
        await first_run.seed()
        ticket = (await first_run.issue(phone="081234567890")).json()
        await eventually(lambda: _attempted(first_run))
    notify = FakeNotify(private, "test-internal-token")
    async with serve(notify.app) as notify_url, make_harness(notify_url=notify_url) as second_run:
        second_run.clock.advance(timedelta(minutes=10))
        await eventually(lambda: _none_left(second_run))
    assert [(r["ticket_id"], r["phone"]) for r in notify.received] == [(ticket["id"], "+6281234567890")]


async def test_a_wrong_internal_token_keeps_the_handoff_for_later(
    make_harness: Any, notify_keys: tuple[str, str]
) -> None:
    private, _ = notify_keys
    notify = FakeNotify(private, "the-real-token")
    async with serve(notify.app) as notify_url, make_harness(notify_url=notify_url) as harness:
        await harness.seed()
        await harness.issue(phone="081234567890")
        await eventually(lambda: _attempted(harness))
        assert (
            await harness.pool.fetchval("SELECT last_error FROM recipient_handoff") == "notify answered 401"
        )
    assert notify.received == []


async def test_without_notify_key_a_phone_is_refused_but_a_ticket_without_one_is_not(
    make_harness: Any,
) -> None:
    async with make_harness(notify_public_key="") as harness:
        await harness.seed()
        refused = await harness.issue(phone="081234567890")
        assert refused.status_code == 503 and "ANTRE_NOTIFY_PUBLIC_KEY" in refused.json()["detail"]
        assert await harness.pool.fetchval("SELECT count(*) FROM tickets") == 0
        assert (await harness.issue()).status_code == 201


async def _none_left(h: Harness) -> bool:
    return bool(await h.pool.fetchval("SELECT count(*) FROM recipient_handoff") == 0)


async def _attempted(h: Harness) -> bool:
    """Notify was tried and refused (or unreachable), and the row is kept for a retry."""
    return bool(await h.pool.fetchval("SELECT count(*) FROM recipient_handoff WHERE last_error IS NOT NULL"))
