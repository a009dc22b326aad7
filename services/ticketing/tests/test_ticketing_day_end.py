"""Tickets left waiting when their site's local day ends are cancelled by the system, on real
PostgreSQL with a fixed clock: one ``ticket.cancelled`` (``by: "system"``) each, never twice."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from ticketing.app.day_end import DayEndClosure
from ticketing.domain.tickets import Ticket

from .conftest import MONDAY_9AM_WITA, Harness, HarnessFactory, Kupang, registry_changed

# Monday 2 March 2026 in Kupang (WITA, UTC+8): 23:59 is 15:59 UTC, midnight is 16:00 UTC.
MONDAY_2359_WITA = datetime(2026, 3, 2, 15, 59, tzinfo=UTC)
TUESDAY_0001_WITA = datetime(2026, 3, 2, 16, 1, tzinfo=UTC)


@pytest.fixture
async def anytime(make_harness: HarnessFactory, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    """Opening hours off (tickets are taken around midnight); the neighbours of the pages down;
    the background pass far away, so only the test's own passes run."""
    monkeypatch.setenv("ANTRE_REGISTRY_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("ANTRE_ESTIMATION_URL", "http://127.0.0.1:9")
    async with make_harness(enforce_hours=False, day_end_check_seconds=3600) as running:
        await running.seed()
        yield running


def closure(h: Harness, *, batch_size: int = 500) -> DayEndClosure:
    return DayEndClosure(uow=h.ticketing.uow, clock=h.clock, every_seconds=3600, batch_size=batch_size)


def move_to(h: Harness, at: datetime) -> None:
    h.clock.advance(at - h.clock.now())


async def cancellations(h: Harness) -> list[dict[str, Any]]:
    rows = await h.pool.fetch(
        "SELECT convert_from(payload, 'UTF8')::jsonb AS e FROM outbox "
        "WHERE event_type = 'ticket.cancelled' ORDER BY id"
    )
    return [json.loads(row["e"]) for row in rows]


async def status_of(h: Harness, ticket_id: str) -> str:
    status: str = await h.pool.fetchval("SELECT status FROM tickets WHERE id = $1", UUID(ticket_id))
    return status


async def issue(h: Harness, **options: Any) -> dict[str, Any]:
    response = await h.issue(**options)
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()
    return ticket


async def test_a_ticket_left_waiting_from_yesterday_is_cancelled_by_one_pass(anytime: Harness) -> None:
    h = anytime
    move_to(h, MONDAY_2359_WITA - timedelta(minutes=30))
    yesterday = await issue(h)

    move_to(h, MONDAY_2359_WITA)
    assert await closure(h).close_past_days() == 0, "Monday 23:59 WITA is still the ticket's day"
    assert await status_of(h, yesterday["id"]) == "waiting"

    move_to(h, TUESDAY_0001_WITA)
    today = await issue(h)
    assert today["number"] == "A-001", "Tuesday numbers start again"

    assert await closure(h).close_past_days() == 1
    assert await status_of(h, yesterday["id"]) == "cancelled"
    assert await status_of(h, today["id"]) == "waiting", "today's waiting tickets are untouched"

    [event] = await cancellations(h)
    assert event["subject"] == yesterday["id"] and event["siteid"] == str(h.kupang.site_id)
    assert event["data"]["ticket_id"] == yesterday["id"]
    assert event["data"]["service_id"] == str(h.kupang.vehicle_tax_id)
    assert event["data"]["by"] == "system"
    assert datetime.fromisoformat(event["data"]["at"]) == TUESDAY_0001_WITA

    # A second pass changes nothing and writes nothing.
    assert await closure(h).close_past_days() == 0
    assert len(await cancellations(h)) == 1
    assert await status_of(h, today["id"]) == "waiting"


async def test_the_holder_and_staff_see_the_ticket_cancelled_because_the_day_ended(anytime: Harness) -> None:
    h = anytime
    move_to(h, MONDAY_2359_WITA)
    ticket = await issue(h)
    move_to(h, TUESDAY_0001_WITA)
    await closure(h).close_past_days()

    public = await h.client.get(f"/v1/tickets/{ticket['id']}", headers=h.admin)
    assert public.status_code == 200
    body = public.json()
    assert body["status"] == "cancelled" and body["position"] is None
    assert body["cancelled_by"] == "system"
    assert datetime.fromisoformat(body["cancelled_at"]) == TUESDAY_0001_WITA

    state = (await h.client.get(f"/t/{ticket['access_token']}/state")).json()
    assert state["status"] == "cancelled" and state["reason"] == "day_ended"
    assert state["cancellable"] is False and state["position"] is None
    page = await h.client.get(f"/t/{ticket['access_token']}")
    assert "hari layanan telah berakhir" in page.text
    english = await h.client.get(f"/t/{ticket['access_token']}", params={"lang": "en"})
    assert "the service day has ended" in english.text


async def test_a_citizen_cancellation_keeps_its_own_reason(anytime: Harness) -> None:
    h = anytime
    ticket = await issue(h)
    cancelled = await h.client.post(
        f"/v1/tickets/{ticket['id']}/cancel", params={"token": ticket["access_token"]}
    )
    assert cancelled.status_code == 200 and cancelled.json()["cancelled_by"] == "citizen"
    state = (await h.client.get(f"/t/{ticket['access_token']}/state")).json()
    assert state["status"] == "cancelled" and state["reason"] is None
    move_to(h, TUESDAY_0001_WITA)
    assert await closure(h).close_past_days() == 0
    [event] = await cancellations(h)
    assert event["data"]["by"] == "citizen"


async def test_called_and_serving_tickets_of_yesterday_stay_with_their_counter(anytime: Harness) -> None:
    h = anytime
    called = await issue(h)
    serving = await issue(h)
    waiting = await issue(h)
    for counter in (0, 1):
        assert (await h.counter(counter, "open")).status_code == 200
        assert (await h.counter(counter, "call-next")).status_code == 200
    assert (await h.counter(1, "start")).status_code == 200

    move_to(h, TUESDAY_0001_WITA)
    assert await closure(h).close_past_days() == 1
    assert await status_of(h, called["id"]) == "called"
    assert await status_of(h, serving["id"]) == "serving"
    assert await status_of(h, waiting["id"]) == "cancelled"
    # The counter still finishes what it holds.
    assert (await h.counter(0, "no-show")).status_code == 200
    assert (await h.counter(1, "finish")).status_code == 200


async def test_each_site_ends_its_day_at_its_own_local_midnight(anytime: Harness) -> None:
    h = anytime
    # A stall in Jakarta (WIB, UTC+7): its midnight comes an hour after Kupang's.
    jakarta = Kupang()
    events = jakarta.registry_events()
    site_state = {
        **events[0].data["state"],
        "code": "CFD-JKT",
        "name": "Car Free Day Jakarta",
        "timezone": "Asia/Jakarta",
    }
    for event in [registry_changed("site", jakarta.site_id, site_state), *events[1:]]:
        await h.ticketing.on_registry_event(event)

    move_to(h, MONDAY_2359_WITA - timedelta(minutes=30))  # 23:29 WITA, 22:29 WIB on Monday
    kupang_ticket = await issue(h)
    jakarta_ticket = await issue(h, service_id=jakarta.vehicle_tax_id)

    move_to(h, TUESDAY_0001_WITA)  # Tuesday 00:01 WITA, still Monday 23:01 WIB
    assert await closure(h).close_past_days() == 1
    assert await status_of(h, kupang_ticket["id"]) == "cancelled"
    assert await status_of(h, jakarta_ticket["id"]) == "waiting", "Jakarta's Monday is not over"

    move_to(h, TUESDAY_0001_WITA + timedelta(hours=1))  # 00:01 WIB on Tuesday
    assert await closure(h).close_past_days() == 1
    assert await status_of(h, jakarta_ticket["id"]) == "cancelled"
    events_out = await cancellations(h)
    assert [e["data"]["ticket_id"] for e in events_out] == [kupang_ticket["id"], jakarta_ticket["id"]]
    assert [e["siteid"] for e in events_out] == [str(h.kupang.site_id), str(jakarta.site_id)]
    assert all(e["data"]["by"] == "system" for e in events_out)


async def test_batches_and_two_replicas_close_each_ticket_once(anytime: Harness) -> None:
    h = anytime
    issued = [await issue(h) for _ in range(7)] + [
        await issue(h, service_id=h.kupang.stnk_id) for _ in range(4)
    ]
    move_to(h, TUESDAY_0001_WITA)

    # Two replicas at once, in batches of 3: every ticket closed exactly once between them.
    first, second = await asyncio.gather(
        closure(h, batch_size=3).close_past_days(), closure(h, batch_size=3).close_past_days()
    )
    closed_once = first + second
    # A replica skips the rows the other holds; whatever either left is closed by the next pass.
    closed_later = await closure(h, batch_size=3).close_past_days()
    assert closed_once + closed_later == len(issued)
    events_out = await cancellations(h)
    assert sorted(e["data"]["ticket_id"] for e in events_out) == sorted(t["id"] for t in issued)
    assert await h.pool.fetchval("SELECT count(*) FROM tickets WHERE status = 'waiting'") == 0
    assert await closure(h).close_past_days() == 0


async def test_the_service_runs_the_pass_in_the_background(
    make_harness: HarnessFactory,
) -> None:
    async with make_harness(enforce_hours=False, day_end_check_seconds=0.05) as h:
        await h.seed()
        ticket = await issue(h)
        move_to(h, TUESDAY_0001_WITA)
        for _ in range(200):
            if await status_of(h, ticket["id"]) == "cancelled":
                break
            await asyncio.sleep(0.05)
        assert await status_of(h, ticket["id"]) == "cancelled"
        [event] = await cancellations(h)
        assert event["data"]["by"] == "system"


def test_the_domain_closes_only_waiting_tickets_of_an_earlier_day() -> None:
    monday = MONDAY_9AM_WITA.date()
    ticket = Ticket(
        id=UUID(int=1),
        site_id=UUID(int=2),
        service_id=UUID(int=3),
        agency_id=UUID(int=4),
        day=monday,
        seq=1,
        number="A-001",
        channel="kiosk",
        priority="regular",
        access_token="token",
        issued_at=MONDAY_9AM_WITA,
    )
    assert not ticket.outlived_its_day(monday)
    tuesday = monday + timedelta(days=1)
    assert ticket.outlived_its_day(tuesday)
    ticket.close_with_the_day(tuesday, TUESDAY_0001_WITA)
    assert (ticket.status, ticket.cancelled_by, ticket.cancelled_at) == (
        "cancelled",
        "system",
        TUESDAY_0001_WITA,
    )
    assert not ticket.outlived_its_day(tuesday), "closed once, never twice"
