"""Fault injection: the next N sends fail with the Graph error a test asked for, then sending works again."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import Graph

CITIZEN = "6281234567890"
OTHER = "6285555555555"


async def test_a_fault_fails_exactly_the_next_n_sends(graph: Graph) -> None:
    created = await graph.client.post("/sandbox/faults", json={"status": 429, "code": 130429, "count": 2})
    assert created.status_code == 201

    failures = [await graph.send(graph.text(body=f"percobaan {i}")) for i in range(2)]
    success = await graph.send(graph.text(body="percobaan 3"))

    for failure in failures:
        assert failure.status_code == 429
        error = failure.json()["error"]
        assert (error["code"], error["type"]) == (130429, "OAuthException")
        assert error["message"] == "(#130429) Rate limit hit"
        assert error["error_data"]["details"]
    assert success.status_code == 200
    assert [m["text"] for m in await graph.sent_to(CITIZEN)] == ["percobaan 3"]
    assert (await graph.client.get("/sandbox/faults")).json() == []


async def test_a_fault_for_one_phone_leaves_other_phones_alone(graph: Graph) -> None:
    await graph.client.post("/sandbox/faults",
                            json={"status": 400, "code": 131056, "count": 1, "to": "+" + CITIZEN})

    other = await graph.send(graph.text(to=OTHER))
    paired = await graph.send(graph.text(to=CITIZEN))
    again = await graph.send(graph.text(to=CITIZEN))

    assert other.status_code == 200
    assert paired.status_code == 400
    assert paired.json()["error"]["code"] == 131056
    assert "pair rate limit" in paired.json()["error"]["message"]
    assert again.status_code == 200


async def test_pending_faults_are_listed_and_can_be_dropped(graph: Graph) -> None:
    await graph.client.post("/sandbox/faults", json={"status": 500, "code": 131000, "count": 3})
    await graph.send(graph.text())

    [pending] = (await graph.client.get("/sandbox/faults")).json()
    assert (pending["status"], pending["code"], pending["remaining"]) == (500, 131000, 2)

    assert (await graph.client.delete("/sandbox/faults")).status_code == 204
    assert (await graph.send(graph.text())).status_code == 200


async def test_a_send_meta_refuses_does_not_use_up_a_fault(graph: Graph) -> None:
    await graph.client.post("/sandbox/faults", json={"status": 429, "code": 130429, "count": 1})

    without_to = {"messaging_product": "whatsapp", "type": "text", "text": {"body": "tanpa to"}}
    refused = await graph.send(without_to)
    throttled = await graph.send(graph.text())

    assert refused.json()["error"]["code"] == 100
    assert throttled.json()["error"]["code"] == 130429


async def test_a_fault_that_is_not_an_error_says_what_to_fix(graph: Graph) -> None:
    response = await graph.client.post("/sandbox/faults", json={"status": 200, "code": 130429})

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "status" in response.json()["detail"]


async def test_a_delay_fault_answers_late_then_accepts_the_message(graph: Graph) -> None:
    import asyncio
    import time

    created = await graph.client.post("/sandbox/faults",
                                      json={"delay_seconds": 0.6, "count": 1, "to": CITIZEN})
    assert created.status_code == 201
    fault = created.json()
    assert (fault["delay_seconds"], fault["status"], fault["code"]) == (0.6, None, None)

    started = time.monotonic()
    slow_task = asyncio.create_task(graph.send(graph.text(body="lambat")))
    await asyncio.sleep(0.05)
    other = await graph.send(graph.text(to=OTHER, body="cepat"))
    other_took = time.monotonic() - started
    slow = await slow_task
    slow_took = time.monotonic() - started
    then = await graph.send(graph.text(body="normal"))

    assert other.status_code == 200 and other_took < 0.5, "a slow send to one phone holds up no other"
    assert slow.status_code == 200 and slow_took >= 0.6
    assert slow.json()["messages"][0]["id"].startswith("wamid.")
    assert then.status_code == 200
    assert [m["text"] for m in await graph.sent_to(CITIZEN)] == ["lambat", "normal"]
    assert (await graph.client.get("/sandbox/faults")).json() == []


async def test_a_delay_with_an_error_answers_the_error_late(graph: Graph) -> None:
    import time

    await graph.client.post("/sandbox/faults",
                            json={"delay_seconds": 0.3, "status": 503, "code": 131000, "count": 1})

    started = time.monotonic()
    failed = await graph.send(graph.text())

    assert time.monotonic() - started >= 0.3
    assert failed.status_code == 503 and failed.json()["error"]["code"] == 131000
    assert await graph.sent_to(CITIZEN) == []


async def test_a_fault_without_error_or_delay_says_what_to_fix(graph: Graph) -> None:
    for body in ({"count": 1}, {"delay_seconds": 0}, {"status": 429, "delay_seconds": 1},
                 {"delay_seconds": -1}, {"delay_seconds": 1000}):
        response = await graph.client.post("/sandbox/faults", json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "delay_seconds" in response.json()["detail"] or "status" in response.json()["detail"], body
