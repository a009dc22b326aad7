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
