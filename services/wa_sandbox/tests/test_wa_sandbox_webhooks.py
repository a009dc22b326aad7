"""What the sandbox POSTs to notify's webhook: status callbacks and inbound messages, signed like Meta."""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any

from wa_sandbox.domain.notifications import sign

if TYPE_CHECKING:
    import httpx

    from conftest import Eventually, Graph, OpenSandbox, Receiver

SENDER = "6281234567890"


def _value(notification: dict[str, Any]) -> dict[str, Any]:
    assert notification["object"] == "whatsapp_business_account"
    [entry] = notification["entry"]
    [change] = entry["changes"]
    assert change["field"] == "messages"
    value: dict[str, Any] = change["value"]
    assert value["messaging_product"] == "whatsapp"
    return value


async def test_sent_then_delivered_statuses_reach_the_webhook_signed(
        wired_graph: Graph, receiver: Receiver, eventually: Eventually) -> None:
    wamid = (await wired_graph.send(wired_graph.text(to="+62 812-3456-7890"))).json()["messages"][0]["id"]

    await eventually(lambda: len(receiver.deliveries) == 2)

    assert all(delivery.signature_valid for delivery in receiver.deliveries)
    assert all(d.headers["content-type"] == "application/json" for d in receiver.deliveries)
    value = _value(receiver.deliveries[0].json)
    assert value["metadata"]["phone_number_id"] == wired_graph.phone_number_id
    assert value["metadata"]["display_phone_number"].isdigit()
    statuses = receiver.statuses()
    assert [s["status"] for s in statuses] == ["sent", "delivered"]
    assert {s["id"] for s in statuses} == {wamid}
    assert {s["recipient_id"] for s in statuses} == {SENDER}
    assert statuses[0]["timestamp"] == str(int(wired_graph.now.timestamp()))

    async def both_callbacks_reported() -> bool:
        [listed] = await wired_graph.sent_to(SENDER)
        return [(c["status"], c["webhook_status"]) for c in listed["callbacks"]] == [
            ("sent", 200), ("delivered", 200)]

    await eventually(both_callbacks_reported)


async def test_status_callbacks_echo_the_sends_biz_opaque_callback_data(
        wired_graph: Graph, receiver: Receiver, eventually: Eventually) -> None:
    await wired_graph.send({**wired_graph.text(), "biz_opaque_callback_data": "outbound-42"})
    await wired_graph.send(wired_graph.text())  # none given: none echoed

    await eventually(lambda: len(receiver.deliveries) == 4)
    echoed = sorted((s.get("biz_opaque_callback_data") or "-", s["status"]) for s in receiver.statuses())
    assert echoed == [("-", "delivered"), ("-", "sent"), ("outbound-42", "delivered"),
                      ("outbound-42", "sent")]


async def test_status_callbacks_are_retried_while_the_webhook_fails(
        wired_graph: Graph, receiver: Receiver, eventually: Eventually) -> None:
    receiver.failures = 2

    await wired_graph.send(wired_graph.text())

    async def reported_after_retries() -> bool:
        [listed] = await wired_graph.sent_to(SENDER)
        return [(c["status"], c["attempts"]) for c in listed["callbacks"]] == [("sent", 3), ("delivered", 1)]

    await eventually(reported_after_retries)
    assert [s["status"] for s in receiver.statuses()] == ["sent", "delivered"]


async def test_status_callbacks_can_be_switched_off(
        open_sandbox: OpenSandbox, receiver: Receiver, graph: Graph) -> None:
    async with open_sandbox(receiver.url, sandbox_status_callbacks=False) as client:
        graph.client = client
        assert (await graph.send(graph.text())).status_code == 200
        inbound = await client.post("/sandbox/inbound", json={"from": SENDER, "text": "MENU"})

        assert inbound.json()["webhook_status"] == 200
        [only_the_inbound] = receiver.deliveries
        assert "statuses" not in _value(only_the_inbound.json)
        [listed] = await graph.sent_to(SENDER)
        assert listed["callbacks"] == []


async def test_an_inbound_text_reaches_the_webhook_as_meta_sends_it(
        wired_client: httpx.AsyncClient, receiver: Receiver) -> None:
    response = await wired_client.post("/sandbox/inbound",
                                       json={"from": "+" + SENDER, "text": "STATUS", "name": "Maria Bria"})

    assert response.status_code == 200
    answer = response.json()
    assert answer["webhook_status"] == 200
    assert answer["message_id"].startswith("wamid.")
    [delivery] = receiver.deliveries
    assert delivery.signature_valid
    value = _value(delivery.json)
    assert value["contacts"] == [{"profile": {"name": "Maria Bria"}, "wa_id": SENDER}]
    [message] = value["messages"]
    assert message["from"] == SENDER
    assert message["id"] == answer["message_id"]
    assert message["type"] == "text"
    assert message["text"] == {"body": "STATUS"}
    assert message["timestamp"].isdigit()
    [listed] = (await wired_client.get("/sandbox/inbound", params={"from": SENDER})).json()
    assert (listed["from"], listed["text"], listed["webhook_status"]) == (SENDER, "STATUS", 200)
    assert (await wired_client.get("/sandbox/inbound", params={"from": "6289999999999"})).json() == []


async def test_a_tapped_button_answers_the_interactive_message_that_offered_it(
        wired_graph: Graph, receiver: Receiver, eventually: Eventually) -> None:
    sent = await wired_graph.send(wired_graph.buttons(titles=("Ya", "Tidak")))
    offered = sent.json()["messages"][0]["id"]
    await eventually(lambda: len(receiver.deliveries) == 2)

    response = await wired_graph.client.post(
        "/sandbox/inbound", json={"from": SENDER, "button_reply": {"id": "btn-0", "title": "Ya"}})

    assert response.json()["webhook_status"] == 200
    [message] = _value(receiver.deliveries[-1].json)["messages"]
    assert message["type"] == "interactive"
    assert message["interactive"] == {"type": "button_reply", "button_reply": {"id": "btn-0", "title": "Ya"}}
    assert message["context"]["id"] == offered


async def test_a_chosen_list_row_is_delivered_as_a_list_reply(
        wired_client: httpx.AsyncClient, receiver: Receiver) -> None:
    await wired_client.post("/sandbox/inbound",
                            json={"from": SENDER, "list_reply": {"id": "svc-1", "title": "Layanan 1"}})

    [message] = _value(receiver.deliveries[0].json)["messages"]
    assert message["interactive"] == {"type": "list_reply",
                                      "list_reply": {"id": "svc-1", "title": "Layanan 1"}}
    assert "context" not in message  # nothing offered that row: no message to answer


async def test_repeat_delivers_the_very_same_notification_twice(
        wired_client: httpx.AsyncClient, receiver: Receiver) -> None:
    response = await wired_client.post("/sandbox/inbound",
                                       json={"from": SENDER, "text": "BATAL", "repeat": 2})

    assert response.json()["webhook_statuses"] == [200, 200]
    first, second = receiver.deliveries
    assert first.raw == second.raw
    assert first.headers["x-hub-signature-256"] == second.headers["x-hub-signature-256"]
    assert _value(first.json)["messages"][0]["id"] == response.json()["message_id"]


async def test_an_unreachable_webhook_is_reported_not_hidden(open_sandbox: OpenSandbox) -> None:
    async with open_sandbox("http://127.0.0.1:9/webhooks/whatsapp") as client:
        response = await client.post("/sandbox/inbound", json={"from": SENDER, "text": "MENU"})

        assert response.status_code == 200
        assert response.json()["webhook_status"] is None
        assert response.json()["webhook_error"]


async def test_inbound_that_is_not_one_message_says_what_to_fix(client: httpx.AsyncClient) -> None:
    both = await client.post("/sandbox/inbound", json={
        "from": SENDER, "text": "YA", "button_reply": {"id": "btn-0", "title": "Ya"}})
    bad_phone = await client.post("/sandbox/inbound", json={"from": "0812", "text": "MENU"})

    assert both.status_code == 422
    assert "exactly one of text, button_reply or list_reply" in both.json()["detail"]
    assert bad_phone.status_code == 422
    assert "from" in bad_phone.json()["detail"]
    assert "international format" in bad_phone.json()["detail"]


def test_the_signature_is_hmac_sha256_of_the_raw_body_keyed_by_the_app_secret() -> None:
    # RFC 4231-style known answer, so the scheme is pinned independently of our own code.
    raw = b"The quick brown fox jumps over the lazy dog"
    known = "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"

    assert sign("key", raw) == f"sha256={known}"
    assert sign("key", raw) == "sha256=" + hmac.new(b"key", raw, hashlib.sha256).hexdigest()
