"""The citizen's status page link in the 'issued' message: shown in both languages and in the
template, accepted from ticketing's hand-off (old hand-offs without it still work), stored
encrypted, and the template texts notify submits match the sandbox's approved copy."""

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
from notify.domain import templates
from notify.domain.texts import Eta, IssuedFacts, issued_template_values, render_ticket_issued

ADMIN = {"Authorization": "Bearer test-admin-token"}
URL = "http://127.0.0.1:8002/t/Zx9-secret_Token"
NOW = datetime(2026, 6, 11, 1, 0, tzinfo=UTC)  # 09:00 WITA
ETA = Eta(
    call_p10=NOW + timedelta(minutes=30),
    call_p50=NOW + timedelta(minutes=40),
    call_p90=NOW + timedelta(minutes=55),
    arrive_by=NOW + timedelta(minutes=25),
)
FACTS = IssuedFacts(number="A-001", timezone="Asia/Makassar", service_name="Pajak", eta=ETA, status_url=URL)
SANDBOX_TEMPLATES = (
    Path(__file__).resolve().parents[2] / "wa_sandbox/src/wa_sandbox/domain/approved_templates.py"
)


def test_the_issued_message_ends_with_the_status_link_in_the_citizens_language() -> None:
    assert render_ticket_issued(FACTS, locale="id", now=NOW).endswith(f"\nPantau antrean Anda: {URL}")
    assert render_ticket_issued(FACTS, locale="en", now=NOW).endswith(f"\nFollow your place in line: {URL}")


def test_without_a_link_the_message_has_no_link_line() -> None:
    facts = IssuedFacts(**{**FACTS.__dict__, "status_url": None})
    text = render_ticket_issued(facts, locale="id", now=NOW)
    assert "Pantau" not in text and "\n" not in text


def test_the_template_carries_the_link_as_its_last_parameter() -> None:
    message = templates.template_message(
        templates.TICKET_ISSUED, locale="id", values=issued_template_values(FACTS, locale="id", now=NOW)
    )
    parameters = [p["text"] for p in message["components"][0]["parameters"]]
    assert len(parameters) == 6 and parameters[-1] == URL
    assert templates.TICKET_ISSUED.example.endswith("Pantau antrean Anda: {{6}}")


def _sandbox_approved() -> dict[tuple[str, str], str]:
    """The sandbox's APPROVED dict, read as text: notify never imports wa_sandbox."""
    tree = ast.parse(SANDBOX_TEMPLATES.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "APPROVED":
            assert node.value is not None
            approved: dict[tuple[str, str], str] = ast.literal_eval(node.value)
            return approved
    raise AssertionError(f"no APPROVED dict in {SANDBOX_TEMPLATES}")


def test_every_template_notify_sends_is_approved_in_the_sandbox_with_the_same_text() -> None:
    approved = _sandbox_approved()
    for template in templates.ALL:
        assert approved.get((template.name, "id")) == template.example, template.name
        assert approved.get((template.name, "en")) == template.example_en, template.name
        for text in (template.example, template.example_en):
            # Exactly {{1}}..{{n}} for n parameters: Meta refuses a send with a count mismatch.
            for index in range(1, len(template.parameters) + 1):
                assert f"{{{{{index}}}}}" in text, (template.name, index)
            assert f"{{{{{len(template.parameters) + 1}}}}}" not in text, template.name


# Through the hand-off, on a real PostgreSQL -------------------------------------------------


async def test_a_hand_off_with_the_link_gets_it_into_the_message_and_stores_it_encrypted(
    notify: Any, hall: Any, fake_graph: Any
) -> None:
    ticket_id = uuid4()
    response = await notify.hand_off(ticket_id, hall.site_id, locale="en", status_url=URL)
    assert response.status_code == 204, response.text
    await notify.deliver(*hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id))
    await notify.eventually(lambda: len(fake_graph.requests) == 1)
    assert fake_graph.bodies()[0].endswith(f"\nFollow your place in line: {URL}")
    conn = await asyncpg.connect(notify.settings.database_url)
    try:
        stored = await conn.fetchval("SELECT status_url FROM recipients WHERE ticket_id = $1", ticket_id)
        messages = await conn.fetch("SELECT row_to_json(m)::text AS row FROM outbound_messages m")
    finally:
        await conn.close()
    assert stored is not None and b"secret_Token" not in stored
    # The sent message was rebuilt from an encrypted copy: no row holds the link in clear.
    assert messages and all("secret_Token" not in m["row"] for m in messages)
    listed = await notify.http.get(
        "/v1/notifications", params={"ticket_id": str(ticket_id)}, headers=ADMIN
    )
    [shown] = listed.json()["notifications"]
    assert shown["body"].endswith("Follow your place in line: [tautan status]")


async def test_outside_the_window_the_template_sent_carries_the_link(
    start_notify: Any, hall: Any, fake_graph: Any
) -> None:
    async with start_notify(window_open=False) as notify:
        ticket_id = uuid4()
        await notify.deliver(*hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id))
        await notify.hand_off(ticket_id, hall.site_id, status_url=URL)
        await notify.eventually(lambda: len(fake_graph.requests) == 1)
        [request] = fake_graph.requests
        assert request["template"]["name"] == "antre_nomor_antrean_v2"
        assert request["template"]["components"][0]["parameters"][-1] == {"type": "text", "text": URL}


async def test_an_old_hand_off_without_the_link_still_sends_the_message(
    notify: Any, hall: Any, fake_graph: Any
) -> None:
    ticket_id = uuid4()
    assert (await notify.hand_off(ticket_id, hall.site_id)).status_code == 204
    await notify.deliver(*hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id))
    await notify.eventually(lambda: len(fake_graph.requests) == 1)
    body = fake_graph.bodies()[0]
    assert body.startswith("Nomor antrean Anda *A-001*") and "Pantau" not in body


async def test_a_link_that_is_not_a_web_address_is_a_problem_naming_status_url(
    notify: Any, hall: Any
) -> None:
    response = await notify.hand_off(uuid4(), hall.site_id, status_url="javascript:alert(1)")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "status_url" in response.json()["detail"]
