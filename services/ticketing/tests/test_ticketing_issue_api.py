"""POST /v1/tickets and GET /v1/tickets/{id} on real PostgreSQL, through the app."""

import asyncio
import json
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from antre_contracts import CloudEvent, parse_event
from antre_contracts.events import TicketIssued as TicketIssuedData
from ticketing.adapters.postgres import PostgresUnitOfWork
from ticketing.app.issuing import IssueTicket, issue_ticket

Harness = Any  # the conftest fixture's type; conftest modules are not importable here


async def outbox_events(h: Harness) -> list[dict[str, Any]]:
    rows = await h.pool.fetch("SELECT record_key, event_type, payload FROM outbox ORDER BY id")
    return [
        {"key": r["record_key"], "type": r["event_type"], "event": parse_event(bytes(r["payload"]))}
        for r in rows
    ]


async def test_tickets_are_numbered_per_service_and_day(harness: Harness) -> None:
    first = await harness.issue()
    second = await harness.issue()
    other = await harness.issue(service_id=harness.kupang.stnk_id)
    assert first.status_code == 201, first.text
    assert [r.json()["number"] for r in (first, second, other)] == ["A-001", "A-002", "AB-001"]
    body = second.json()
    assert body["status"] == "waiting" and body["position"] == 2
    assert body["site_id"] == str(harness.kupang.site_id) and body["agency_id"] == str(
        harness.kupang.samsat_id
    )
    assert body["issued_at"] == "2026-03-02T01:00:00Z"
    assert body["status_url"] == f"https://antre.example.id/t/{body['access_token']}"
    assert len(body["access_token"]) >= 32


async def test_concurrent_issues_never_share_or_skip_a_number(harness: Harness) -> None:
    responses = await asyncio.gather(*(harness.issue() for _ in range(12)))
    assert sorted(r.json()["number"] for r in responses) == [f"A-{n:03d}" for n in range(1, 13)]


async def test_a_retry_with_the_same_key_returns_the_same_ticket(harness: Harness) -> None:
    body = {"channel": "whatsapp", "phone": "081234567890", "travel_minutes": 30}
    first = await harness.issue(key="wa-msg-1", **body)
    retry = await harness.issue(key="wa-msg-1", **body)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json() == first.json() and retry.headers["Idempotent-Replayed"] == "true"
    # Another citizen: one phone holds one waiting ticket per service (anti-tout).
    other_citizen = {**body, "phone": "081298765432"}
    concurrent = await asyncio.gather(*(harness.issue(key="wa-msg-2", **other_citizen) for _ in range(4)))
    assert len({r.json()["id"] for r in concurrent}) == 1
    assert sorted(r.status_code for r in concurrent) == [200, 200, 200, 201]
    assert [e["type"] for e in await outbox_events(harness)] == ["ticket.issued", "ticket.issued"]
    assert await harness.pool.fetchval("SELECT count(*) FROM recipient_handoff") == 2


async def test_an_idempotency_key_replays_only_to_the_caller_that_sent_it(harness: Harness) -> None:
    body = {"channel": "web", "travel_minutes": 20}
    citizen = await harness.issue(key="shared-key", **body)
    # Another caller with the same key and body is another request: it never gets the
    # citizen's ticket and its access token, nor the citizen the admin's.
    admin = await harness.issue(key="shared-key", headers=harness.admin, **body)
    assert (citizen.status_code, admin.status_code) == (201, 201)
    assert admin.json()["id"] != citizen.json()["id"]
    assert admin.json()["access_token"] != citizen.json()["access_token"]
    citizen_again = await harness.issue(key="shared-key", **body)
    admin_again = await harness.issue(key="shared-key", headers=harness.admin, **body)
    assert (citizen_again.status_code, citizen_again.json()) == (200, citizen.json())
    assert (admin_again.status_code, admin_again.json()) == (200, admin.json())
    # An unknown bearer secret is no credential: it is answered like any anonymous caller.
    made_up = await harness.issue(key="shared-key", headers={"Authorization": "Bearer made-up"}, **body)
    assert (made_up.status_code, made_up.json()["id"]) == (200, citizen.json()["id"])


async def test_an_idempotency_key_expires_after_its_ttl_and_old_keys_are_deleted(harness: Harness) -> None:
    first = await harness.issue(key="wa-1", channel="whatsapp")
    await harness.issue(key="wa-2", channel="whatsapp")
    harness.clock.advance(timedelta(hours=47))
    replay = await harness.issue(key="wa-1", channel="whatsapp")
    assert (replay.status_code, replay.json()["id"]) == (200, first.json()["id"])
    # A week later (ANTRE_IDEMPOTENCY_KEY_TTL_HOURS is 48): the same key takes a new number.
    harness.clock.advance(timedelta(days=7) - timedelta(hours=47))
    later = await harness.issue(key="wa-1", channel="whatsapp")
    assert later.status_code == 201 and later.json()["id"] != first.json()["id"]
    assert (await harness.issue(key="wa-1", channel="whatsapp")).json()["id"] == later.json()["id"]

    purged = await harness.ticketing.idempotency_cleanup().purge_expired()
    assert purged == 1
    kept = await harness.pool.fetch("SELECT key, ticket_id FROM idempotency_keys")
    assert [(r["key"], str(r["ticket_id"])) for r in kept] == [("wa-1", later.json()["id"])]


async def test_reusing_a_key_for_another_request_is_refused(harness: Harness) -> None:
    await harness.issue(key="agency-req-7", channel="agency_api", headers=harness.admin)
    reused = await harness.issue(
        key="agency-req-7", channel="agency_api", priority="elderly", headers=harness.admin
    )
    assert reused.status_code == 422
    assert reused.json()["errors"][0]["field"] == "Idempotency-Key"
    assert "different request" in reused.json()["detail"]


async def test_channels_that_retry_must_send_an_idempotency_key(harness: Harness) -> None:
    refused = await harness.issue(channel="whatsapp")
    assert refused.status_code == 400
    assert refused.headers["content-type"] == "application/problem+json"
    assert "Idempotency-Key" in refused.json()["detail"]
    assert (await harness.issue(channel="walk_in")).status_code == 201


async def test_bad_input_gets_a_problem_that_names_what_to_fix(harness: Harness) -> None:
    unknown = await harness.issue(service_id=uuid4())
    assert unknown.status_code == 422
    assert (
        unknown.json()["errors"][0]["field"] == "service_id" and unknown.json()["code"] == "unknown_service"
    )
    phone = await harness.issue(phone="12345")
    assert phone.status_code == 422 and phone.json()["errors"][0]["field"] == "phone"
    assert "12345" not in phone.text
    invalid: list[tuple[dict[str, Any], str]] = [
        ({"channel": "fax"}, "channel"),
        ({"priority": "vip"}, "priority"),
        ({"travel_minutes": -5}, "travel_minutes"),
        ({"journey_id": str(uuid4())}, "journey_id"),
    ]
    for body, field in invalid:
        answer = await harness.issue(**body)
        assert answer.status_code == 422, body
        assert answer.json()["errors"][0]["field"] == field
    not_json = await harness.client.post(
        "/v1/tickets", content=b"{", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422 and not_json.headers["content-type"] == "application/problem+json"
    bad_key = await harness.issue(key="has space")
    assert bad_key.status_code == 422 and bad_key.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_inactive_service_is_refused_with_its_reason(harness: Harness) -> None:
    await harness.change_service(active=False)
    refused = await harness.issue()
    assert refused.status_code == 409
    assert refused.json()["code"] == "service_inactive" and "not active" in refused.json()["detail"]
    assert "tidak aktif" in refused.json()["detail_id"]


async def test_ticket_and_its_event_commit_together_and_a_refusal_writes_nothing(harness: Harness) -> None:
    await harness.change_service(daily_quota=1)
    issued = await harness.issue(key="kiosk-1", phone="0812 3456 7890")
    [row] = await outbox_events(harness)
    assert row["type"] == "ticket.issued" and row["key"] == str(harness.kupang.site_id)
    event = row["event"]
    assert event.data["ticket_id"] == issued.json()["id"] and event.data["number"] == "A-001"
    assert event.source == "antre/ticketing" and event.subject == issued.json()["id"]

    refused = await harness.issue(key="kiosk-2", phone="0812 0000 1111")
    assert refused.status_code == 409 and refused.json()["code"] == "daily_quota_reached"
    assert "kuota harian 1 nomor" in refused.json()["detail_id"].lower()
    counts = await harness.pool.fetchrow(
        "SELECT (SELECT count(*) FROM tickets) AS tickets, (SELECT count(*) FROM outbox) AS events, "
        "(SELECT count(*) FROM recipient_handoff) AS handoffs, "
        "(SELECT count(*) FROM idempotency_keys WHERE key = 'kiosk-2') AS refused_key, "
        "(SELECT last_seq FROM daily_sequences) AS last_seq"
    )
    assert dict(counts) == {"tickets": 1, "events": 1, "handoffs": 1, "refused_key": 0, "last_seq": 1}


class OutboxDownUnitOfWork(PostgresUnitOfWork):
    """The real unit of work, except that writing an event fails (after the ticket row is in)."""

    async def emit(self, event: CloudEvent) -> None:
        assert await self.tickets.get(event.data_as(TicketIssuedData).ticket_id) is not None
        raise ConnectionError("outbox write lost")


async def test_a_failure_after_the_ticket_insert_rolls_everything_back(harness: Harness) -> None:
    command = IssueTicket(service_id=harness.kupang.vehicle_tax_id, channel="kiosk", idempotency_key="k")
    with pytest.raises(ConnectionError):
        await issue_ticket(
            command,
            uow=OutboxDownUnitOfWork(harness.pool),
            clock=harness.clock,
            seal_phone=harness.ticketing.seal_phone,
            fingerprint=harness.ticketing.fingerprint,
            hash_phone=harness.ticketing.hash_phone,
        )
    assert (
        await harness.pool.fetchval(
            "SELECT (SELECT count(*) FROM tickets) + (SELECT count(*) FROM outbox) "
            "+ (SELECT count(*) FROM idempotency_keys) + (SELECT count(*) FROM daily_sequences)"
        )
        == 0
    )
    assert (await harness.issue()).json()["number"] == "A-001"


async def test_a_ticket_is_visible_to_its_holder_and_staff_only(harness: Harness) -> None:
    ticket = (await harness.issue()).json()
    url = f"/v1/tickets/{ticket['id']}"
    mine = await harness.client.get(url, params={"token": ticket["access_token"]})
    assert mine.status_code == 200 and mine.json()["number"] == "A-001" and mine.json()["position"] == 1
    staff = await harness.client.get(url, headers=harness.admin)
    assert staff.status_code == 200 and staff.json()["id"] == ticket["id"]
    for params, headers in [
        ({"token": "guess"}, {}),
        ({}, {}),
        ({"token": "ünïcode"}, {}),
        ({}, {"Authorization": "Bearer wrong"}),
    ]:
        hidden = await harness.client.get(url, params=params, headers=headers)
        assert hidden.status_code == 404, (params, headers)
    missing = await harness.client.get(f"/v1/tickets/{uuid4()}", params={"token": ticket["access_token"]})
    assert missing.status_code == 404 and missing.json()["detail"] == hidden.json()["detail"]
    assert json.loads(missing.text)["status"] == 404
