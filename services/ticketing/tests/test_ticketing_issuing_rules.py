"""Issuing refusals (hours, anti-tout limits), journeys and the board, on real PostgreSQL."""

import json
from datetime import timedelta
from typing import Any
from uuid import uuid4

from antre_platform.sealed import unseal

Harness = Any  # the conftest fixture's type; conftest modules are not importable here
HarnessFactory = Any


async def issued_events(h: Harness) -> list[dict[str, Any]]:
    rows = await h.pool.fetch(
        "SELECT convert_from(payload, 'UTF8')::jsonb AS e FROM outbox "
        "WHERE event_type = 'ticket.issued' ORDER BY id"
    )
    return [json.loads(r["e"])["data"] for r in rows]


async def test_outside_hours_the_refusal_names_the_next_opening(harness: Harness) -> None:
    harness.clock.advance(timedelta(hours=7))  # Monday 16:00 WITA; the site closes at 15:00
    closed = await harness.issue()
    assert closed.status_code == 409 and closed.json()["code"] == "outside_hours"
    assert "opens again on Monday 09 March 2026 at 08:00 (Asia/Makassar)" in closed.json()["detail"]
    assert "buka kembali hari Senin 09-03-2026 pukul 08:00" in closed.json()["detail_id"]
    assert closed.json()["opens_at"] == "2026-03-09T08:00:00+08:00"
    assert await harness.pool.fetchval("SELECT count(*) FROM tickets") == 0


async def test_service_hours_override_the_sites_and_closed_dates_close_the_day(harness: Harness) -> None:
    await harness.change_service(hours={"mon": [["10:00", "12:00"]]})
    early = await harness.issue()
    assert early.status_code == 409 and early.json()["opens_at"] == "2026-03-02T10:00:00+08:00"
    assert (await harness.issue(service_id=harness.kupang.stnk_id)).status_code == 201  # site hours
    await harness.change_site(
        closed_dates=["2026-03-02"], hours={"mon": [["08:00", "15:00"]], "tue": [["08:00", "12:00"]]}
    )
    holiday = await harness.issue(service_id=harness.kupang.stnk_id)
    assert holiday.status_code == 409 and holiday.json()["opens_at"] == "2026-03-03T08:00:00+08:00"


async def test_the_e2e_stack_can_switch_the_hours_check_off(make_harness: HarnessFactory) -> None:
    async with make_harness(enforce_hours=False) as h:
        await h.seed()
        h.clock.advance(timedelta(hours=15))  # 00:00 WITA on Tuesday
        assert (await h.issue()).status_code == 201


async def test_one_waiting_ticket_per_phone_and_service_and_a_daily_cap(make_harness: HarnessFactory) -> None:
    async with make_harness(max_tickets_per_phone_per_day=2) as h:
        await h.seed()
        phone = {"channel": "whatsapp", "phone": "0812-3456-7890"}
        first = await h.issue(key="m1", **phone)
        assert first.status_code == 201
        same_line = await h.issue(key="m2", **{**phone, "phone": "+62 812 3456 7890"})
        assert same_line.status_code == 409 and same_line.json()["code"] == "phone_limit_reached"
        assert "already has a ticket waiting" in same_line.json()["detail"]
        assert "34567890" not in same_line.text and "3456 7890" not in same_line.text
        assert (await h.issue(key="m3", service_id=h.kupang.stnk_id, **phone)).status_code == 201
        await h.client.post(
            f"/v1/tickets/{first.json()['id']}/cancel", params={"token": first.json()["access_token"]}
        )
        capped = await h.issue(key="m4", **phone)
        assert capped.status_code == 409 and "daily limit" in capped.json()["detail"]
        assert (await h.issue(key="m5", **{**phone, "phone": "081211112222"})).status_code == 201
        stored = await h.pool.fetch("SELECT phone_hash FROM tickets WHERE phone_hash IS NOT NULL")
        assert len(stored) == 3 and all("812" not in r["phone_hash"] for r in stored)


async def test_finishing_a_journey_step_issues_the_next_step_for_the_same_citizen(harness: Harness) -> None:
    k = harness.kupang
    journey = await harness.add_journey([k.stnk_id, k.vehicle_tax_id])
    first = await harness.issue(journey_id=journey["id"], channel="whatsapp", key="j1", phone="081234567890")
    assert first.status_code == 201, first.text
    assert (first.json()["number"], first.json()["journey_step"]) == ("AB-001", 1)
    await harness.counter(0, "open")  # Loket 1 serves both services
    await harness.counter(0, "call-next")
    await harness.counter(0, "start")
    await harness.counter(0, "finish")
    step1, step2 = await issued_events(harness)
    assert (step1["journey_id"], step1["journey_step"]) == (journey["id"], 1)
    assert (step2["journey_id"], step2["journey_step"], step2["number"]) == (journey["id"], 2, "A-001")
    followed = await harness.client.get(
        f"/v1/tickets/{step2['ticket_id']}", params={"token": first.json()["access_token"]}
    )
    assert followed.json()["status"] == "waiting", "the citizen's link follows the journey"
    boxes = await harness.pool.fetch(
        "SELECT ticket_id, sealed_phone FROM recipient_handoff ORDER BY created_at"
    )
    # Both tickets are handed to notify (it is not reachable in this test, so both rows wait).
    assert {str(r["ticket_id"]) for r in boxes} == {first.json()["id"], step2["ticket_id"]}
    assert all(unseal(harness.notify_private_key, r["sealed_phone"]) == b"+6281234567890" for r in boxes)
    await harness.counter(0, "call-next")
    await harness.counter(0, "start")
    await harness.counter(0, "finish")
    assert len(await issued_events(harness)) == 2, "the last step ends the journey"
    assert (await harness.issue(journey_id=str(uuid4()))).json()["errors"][0]["field"] == "journey_id"


async def test_the_board_snapshot_shows_latest_calls_and_who_waits(harness: Harness) -> None:
    k = harness.kupang
    for _ in range(3):
        await harness.issue()
    await harness.issue(service_id=k.stnk_id)
    await harness.counter(1, "open")
    await harness.counter(1, "call-next")
    harness.clock.advance(timedelta(minutes=2))
    await harness.counter(2, "open")
    await harness.counter(2, "call-next")
    board = await harness.client.get(f"/v1/sites/{k.site_id}/snapshot")
    assert board.status_code == 200
    body = board.json()
    assert [(c["number"], c["counter_name"]) for c in body["latest_calls"]] == [
        ("A-002", "Loket 3"),
        ("A-001", "Loket 2"),
    ]
    assert {s["prefix"]: s["waiting"] for s in body["waiting_by_service"]} == {"A": 1, "AB": 1}
    assert body["waiting_by_agency"] == [{"agency_id": str(k.samsat_id), "waiting": 2}]
    assert (await harness.client.get(f"/v1/sites/{uuid4()}/snapshot")).status_code == 404
