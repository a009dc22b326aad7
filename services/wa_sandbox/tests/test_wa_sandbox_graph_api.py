"""The Graph API look-alike: notify's sends are accepted or refused as Meta would, and recorded."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import httpx

    from conftest import Graph

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def test_a_text_send_is_answered_with_a_wamid_and_listed_for_the_phone(graph: Graph) -> None:
    body = graph.text(to="+6281234567890", body="Nomor antrean Anda A-023. Perkiraan dipanggil 10.15 WITA.")

    response = await graph.send(body, headers={"traceparent": TRACEPARENT})

    assert response.status_code == 200
    answer = response.json()
    wamid = answer["messages"][0]["id"]
    assert wamid.startswith("wamid.")
    assert answer == {"messaging_product": "whatsapp",
                      "contacts": [{"input": "+6281234567890", "wa_id": "6281234567890"}],
                      "messages": [{"id": wamid}]}
    [listed] = await graph.sent_to("6281234567890")
    assert listed["id"] == wamid
    assert listed["to"] == "6281234567890"
    assert listed["type"] == "text"
    assert listed["text"] == "Nomor antrean Anda A-023. Perkiraan dipanggil 10.15 WITA."
    assert listed["body"] == body
    assert listed["headers"] == {"traceparent": TRACEPARENT}
    assert listed["received_at"].startswith("2026-03-02T01:30:00")
    assert [m["id"] for m in await graph.sent_to("+6281234567890")] == [wamid]


async def test_each_send_gets_its_own_wamid(graph: Graph) -> None:
    first = (await graph.send(graph.text())).json()["messages"][0]["id"]
    second = (await graph.send(graph.text())).json()["messages"][0]["id"]

    assert first != second


async def test_interactive_and_template_sends_read_as_the_phone_shows_them(graph: Graph) -> None:
    template = {"messaging_product": "whatsapp", "to": "6281234567890", "type": "template",
                "template": {"name": "antrean_dipanggil", "language": {"code": "id"}, "components": [
                    {"type": "body", "parameters": [{"type": "text", "text": "A-023"},
                                                    {"type": "text", "text": "Loket 3"}]}]}}

    for body in (graph.buttons(titles=("Ya, batalkan", "Tidak")), graph.list(rows=2), template):
        assert (await graph.send(body)).status_code == 200

    buttons, choices, notice = await graph.sent_to("6281234567890")
    assert buttons["text"] == "Batalkan nomor A-023?\n[Ya, batalkan] [Tidak]"
    assert choices["text"] == "MPP Kota Kupang\nPilih layanan:\nAntre\n[Layanan]\n- Layanan 0\n- Layanan 1"
    assert notice["type"] == "template"
    assert notice["text"] == "antrean_dipanggil (id): A-023 | Loket 3"


async def test_the_issued_template_shows_the_status_link_on_its_own_line(graph: Graph) -> None:
    values = ["A-023", "Pajak", "pukul 10:15 WITA", "Berangkat 09:50 WITA.", "Bawa: KTP.",
              "http://127.0.0.1:8002/t/tok123"]
    template = {"messaging_product": "whatsapp", "to": "6281234567890", "type": "template",
                "template": {"name": "antre_nomor_antrean_v2", "language": {"code": "en"}, "components": [
                    {"type": "body", "parameters": [{"type": "text", "text": v} for v in values]}]}}

    assert (await graph.send(template)).status_code == 200

    [shown] = await graph.sent_to("6281234567890")
    assert shown["text"] == ("Your queue number is *A-023* for Pajak. "
                             "Expected to be called pukul 10:15 WITA. Berangkat 09:50 WITA. Bawa: KTP.\n"
                             "Follow your place in line: http://127.0.0.1:8002/t/tok123")


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in body.items() if name != key}


@pytest.mark.parametrize(("case", "details_mention"), [
    ("missing to", "to"),
    ("unknown type", "type"),
    ("text over 4096", "4096"),
    ("four reply buttons", "at most 3"),
    ("eleven list rows", "at most 10"),
    ("missing messaging_product", "messaging_product"),
    ("button title over 20", "20"),
])
async def test_a_send_meta_would_refuse_is_answered_with_code_100_and_not_delivered(
        graph: Graph, case: str, details_mention: str) -> None:
    bodies = {
        "missing to": _without(graph.text(), "to"),
        "unknown type": {**graph.text(), "type": "fax"},
        "text over 4096": graph.text(body="x" * 4097),
        "four reply buttons": graph.buttons(titles=("Satu", "Dua", "Tiga", "Empat")),
        "eleven list rows": graph.list(rows=11),
        "missing messaging_product": _without(graph.text(), "messaging_product"),
        "button title over 20": graph.buttons(titles=("Ya, batalkan nomor saya",)),
    }

    response = await graph.send(bodies[case])

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 100
    assert error["type"] == "OAuthException"
    assert error["message"].startswith("(#100)")
    assert error["fbtrace_id"]
    assert details_mention in error["message"] + error["error_data"]["details"]
    assert error["error_data"]["messaging_product"] == "whatsapp"
    assert (await graph.client.get("/sandbox/messages")).json() == []


async def test_a_text_of_exactly_4096_characters_is_accepted(graph: Graph) -> None:
    assert (await graph.send(graph.text(body="x" * 4096))).status_code == 200


async def test_a_body_that_is_not_json_is_refused_with_code_100(graph: Graph) -> None:
    response = await graph.client.post(graph.messages_url, content=b"to=628123",
                                       headers={"Authorization": f"Bearer {graph.token}"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100


@pytest.mark.parametrize("token", ["wrong-token", None])
async def test_a_wrong_or_missing_token_is_refused_like_graph_does(graph: Graph, token: str | None) -> None:
    response = await graph.send(graph.text(), token=token)

    assert response.status_code == 401
    error = response.json()["error"]
    assert (error["type"], error["code"]) == ("OAuthException", 190)
    assert error["message"] and error["fbtrace_id"]
    assert (await graph.client.get("/sandbox/messages")).json() == []


async def test_a_phone_number_id_the_account_does_not_have_is_refused(graph: Graph) -> None:
    response = await graph.client.post("/v21.0/999/messages", json=graph.text(),
                                       headers={"Authorization": f"Bearer {graph.token}"})

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["error_subcode"]) == (100, 33)
    assert "'999'" in error["message"]


async def test_the_phone_number_object_can_be_read_with_the_token(graph: Graph) -> None:
    response = await graph.client.get(f"/v21.0/{graph.phone_number_id}",
                                      headers={"Authorization": f"Bearer {graph.token}"})

    assert response.status_code == 200
    phone = response.json()
    assert phone["id"] == graph.phone_number_id
    assert phone["display_phone_number"].startswith("+")
    assert phone["verified_name"]
    unauthorised = await graph.client.get(f"/v21.0/{graph.phone_number_id}")
    assert unauthorised.json()["error"]["code"] == 190


async def test_messages_are_listed_per_phone_oldest_first_and_can_be_reset(graph: Graph) -> None:
    for to, body in [("6281111111111", "satu"), ("6282222222222", "lain"), ("6281111111111", "dua")]:
        assert (await graph.send(graph.text(to=to, body=body))).status_code == 200

    assert [m["text"] for m in await graph.sent_to("+6281111111111")] == ["satu", "dua"]
    everything = (await graph.client.get("/sandbox/messages")).json()
    assert [m["text"] for m in everything] == ["satu", "lain", "dua"]

    assert (await graph.client.delete("/sandbox/messages")).status_code == 204
    assert (await graph.client.get("/sandbox/messages")).json() == []


async def test_listing_by_a_phone_that_is_not_one_says_what_to_fix(client: httpx.AsyncClient) -> None:
    response = await client.get("/sandbox/messages", params={"to": "0812-abc"})

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "international format" in response.json()["detail"]
