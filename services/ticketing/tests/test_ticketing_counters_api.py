"""Counter (loket) actions and the service queue on real PostgreSQL, through the app."""

import asyncio
import json
from collections import Counter as Tally
from typing import Any
from uuid import uuid4

Harness = Any  # the conftest fixture's type; conftest modules are not importable here


async def events_of(h: Harness, event_type: str) -> list[dict[str, Any]]:
    rows = await h.pool.fetch(
        "SELECT convert_from(payload, 'UTF8')::jsonb AS event FROM outbox WHERE event_type = $1 ORDER BY id",
        event_type,
    )
    return [json.loads(r["event"]) for r in rows]


async def test_a_counter_calls_starts_and_finishes_tickets_in_order(harness: Harness) -> None:
    a1 = (await harness.issue()).json()
    a2 = (await harness.issue()).json()
    elderly = (await harness.issue(priority="elderly")).json()
    opened = await harness.counter(0, "open")
    assert (
        opened.status_code == 200 and opened.json()["status"] == "open" and opened.json()["name"] == "Loket 1"
    )

    called = await harness.counter(0, "call-next")
    assert called.status_code == 200
    assert (called.json()["number"], called.json()["status"]) == (elderly["number"], "called")
    assert called.json()["counter_name"] == "Loket 1" and "access_token" not in called.json()
    assert (await harness.counter(0, "start")).json()["status"] == "serving"
    finished = await harness.counter(0, "finish")
    assert (finished.json()["status"], finished.json()["id"]) == ("done", elderly["id"])

    assert (await harness.counter(0, "call-next")).json()["number"] == a1["number"]
    holder_view = await harness.client.get(f"/v1/tickets/{a1['id']}", params={"token": a1["access_token"]})
    assert holder_view.json()["status"] == "called" and holder_view.json()["counter_name"] == "Loket 1"
    mine = await harness.client.get(f"/v1/tickets/{a2['id']}", params={"token": a2["access_token"]})
    assert mine.json()["position"] == 1

    event = (await events_of(harness, "counter.called"))[-1]
    assert event["subject"] == a1["id"] and event["siteid"] == str(harness.kupang.site_id)
    assert {k: event["data"][k] for k in ("number", "counter_name", "recall")} == {
        "number": "A-001",
        "counter_name": "Loket 1",
        "recall": 0,
    }
    assert event["data"]["counter_id"] == str(harness.kupang.counter_ids[0])
    types = [r["event_type"] for r in await harness.pool.fetch("SELECT event_type FROM outbox ORDER BY id")]
    assert types[3:] == [
        "counter.opened",
        "counter.called",
        "service.started",
        "service.finished",
        "counter.called",
    ]


async def test_illegal_counter_actions_are_conflicts_that_say_why(harness: Harness) -> None:
    await harness.issue()
    closed = await harness.counter(0, "call-next")
    assert closed.status_code == 409 and "open it" in closed.json()["detail"]
    assert closed.json()["code"] == "counter_closed"
    await harness.counter(0, "open")
    assert (await harness.counter(0, "open")).status_code == 409
    nothing_called = await harness.counter(0, "start")
    assert nothing_called.status_code == 409 and "call the next one first" in nothing_called.json()["detail"]
    await harness.counter(0, "call-next")
    busy = await harness.counter(0, "call-next")
    assert busy.status_code == 409 and busy.json()["detail"].startswith("Loket 1 is still calling A-001")
    assert "start it first" in (await harness.counter(0, "finish")).json()["detail"]
    still_serving = await harness.counter(0, "close")
    assert still_serving.status_code == 409 and "finish it before you close" in still_serving.json()["detail"]
    await harness.counter(0, "start")
    await harness.counter(0, "finish")
    assert (await harness.counter(0, "call-next")).status_code == 204
    assert (await harness.counter(0, "close")).json()["status"] == "closed"
    assert len(await events_of(harness, "counter.closed")) == 1


async def test_counter_actions_need_the_admin_token_and_a_known_counter(harness: Harness) -> None:
    counter_url = f"/v1/counters/{harness.kupang.counter_ids[0]}/open"
    anonymous = await harness.client.post(counter_url)
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in anonymous.json()["detail"]
    wrong = await harness.client.post(counter_url, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    unknown = await harness.client.post(f"/v1/counters/{uuid4()}/open", headers=harness.admin)
    assert unknown.status_code == 404
    not_a_uuid = await harness.client.post("/v1/counters/loket-3/open", headers=harness.admin)
    assert not_a_uuid.status_code == 422 and not_a_uuid.json()["errors"][0]["field"] == "counter_id"


async def test_twenty_concurrent_call_next_on_three_counters_call_each_ticket_once(harness: Harness) -> None:
    issued = [(await harness.issue()).json()["id"] for _ in range(30)]
    for index in range(3):
        await harness.counter(index, "open")
    answers: list[tuple[int, int, str | None]] = []

    async def clerk(index: int) -> None:
        """Clicks call-next on its counter; when it gets a ticket, serves it and clicks again."""
        for _ in range(200):  # bounded: 30 tickets need far fewer rounds
            reply = await harness.counter(index, "call-next")
            answers.append(
                (index, reply.status_code, reply.json()["id"] if reply.status_code == 200 else None)
            )
            if reply.status_code == 204:
                return
            if reply.status_code == 200:
                await harness.counter(index, "start")
                await harness.counter(index, "finish")
            else:
                assert reply.status_code == 409, reply.text  # a colleague on this counter is serving
                await asyncio.sleep(0)
        raise AssertionError("clerk never saw an empty queue")

    await asyncio.gather(*(clerk(n % 3) for n in range(20)))
    called = [ticket_id for _, status, ticket_id in answers if status == 200 and ticket_id]
    assert Tally(called).most_common(1)[0][1] == 1, "a ticket was called twice"
    assert sorted(called) == sorted(issued), "a ticket was skipped"
    assert {status for _, status, _ in answers} <= {200, 204, 409}
    assert len(await events_of(harness, "counter.called")) == 30
    assert {i for i, status, _ in answers if status == 200} == {0, 1, 2}, "some counter never called"
    assert await harness.pool.fetchval("SELECT count(*) FROM tickets WHERE status <> 'done'") == 0


async def test_the_service_queue_lists_waiting_in_call_order_and_who_is_called(harness: Harness) -> None:
    a1 = (await harness.issue()).json()
    a2 = (await harness.issue()).json()
    disabled = (await harness.issue(priority="disabled")).json()
    await harness.issue(service_id=harness.kupang.stnk_id)
    await harness.counter(1, "open")
    await harness.counter(1, "call-next")
    queue = await harness.client.get(f"/v1/services/{harness.kupang.vehicle_tax_id}/queue")
    assert queue.status_code == 200
    body = queue.json()
    assert [t["number"] for t in body["waiting"]] == [a1["number"], a2["number"]]
    assert set(body["waiting"][0]) == {"id", "number", "priority", "issued_at"}
    [called] = body["called"]
    assert (called["id"], called["counter_name"], called["status"]) == (disabled["id"], "Loket 2", "called")
    assert (await harness.client.get(f"/v1/services/{uuid4()}/queue")).status_code == 404
