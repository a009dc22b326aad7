"""The full counter flow on real PostgreSQL, through the app: pause, recall, no-show and
rejoin (TUNDA), cancel (BATAL), transfer, and who may do what (agency keys, staff tokens)."""

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from antre_contracts import CloudEvent, new_event
from antre_contracts.events import RegistryChanged
from ticketing.adapters.postgres import PostgresUnitOfWork
from ticketing.app import counter_actions
from ticketing.app.access import ADMIN

Harness = Any  # the conftest fixture's type; conftest modules are not importable here


async def events_of(h: Harness, *types: str) -> list[dict[str, Any]]:
    rows = await h.pool.fetch(
        "SELECT convert_from(payload, 'UTF8')::jsonb AS event FROM outbox "
        "WHERE event_type = ANY($1::text[]) ORDER BY id",
        list(types),
    )
    return [json.loads(r["event"]) for r in rows]


def credential_event(
    secret: str, *, kind: str, agency_id: UUID, site_id: UUID, counter_id: UUID | None = None
) -> CloudEvent:
    """registry.changed for a credential, built as the registry (issue #3) sends it."""
    cred_id = uuid4()
    state = {
        "id": str(cred_id),
        "kind": kind,
        "agency_id": str(agency_id),
        "counter_id": str(counter_id) if counter_id else None,
        "prefix": secret[:6],
        "sha256": hashlib.sha256(secret.encode()).hexdigest(),
        "active": True,
        "created_at": datetime.now(UTC).isoformat(),
        "revoked_at": None,
    }
    # "credential" is not in the contracts' RegistryEntity yet: build the data unvalidated.
    data = RegistryChanged.model_construct(entity="credential", id=cred_id, op="upsert", state=state)  # type: ignore[arg-type]
    return new_event(
        type="registry.changed",
        source="antre/registry",
        site_id=site_id,
        data=data,
        time=datetime.now(UTC),
        subject=cred_id,
    )


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def test_a_paused_counter_says_why_and_calls_nobody_until_it_opens_again(harness: Harness) -> None:
    await harness.issue()
    await harness.counter(0, "open")
    url = f"/v1/counters/{harness.kupang.counter_ids[0]}/pause"
    paused = await harness.client.post(url, json={"reason": "istirahat siang"}, headers=harness.admin)
    assert paused.status_code == 200
    assert (paused.json()["status"], paused.json()["pause_reason"]) == ("paused", "istirahat siang")
    refused = await harness.counter(0, "call-next")
    assert refused.status_code == 409 and refused.json()["code"] == "counter_paused"
    assert "istirahat siang" in refused.json()["detail"]
    assert (await harness.client.post(url, json={"reason": "  "}, headers=harness.admin)).status_code == 422
    assert (await harness.client.post(url, json={}, headers=harness.admin)).status_code == 422
    assert (await harness.counter(0, "open")).json()["status"] == "open"
    assert (await harness.counter(0, "call-next")).json()["number"] == "A-001"
    [event] = await events_of(harness, "counter.paused")
    assert event["data"]["reason"] == "istirahat siang"
    assert [e["type"] for e in await events_of(harness, "counter.opened", "counter.paused")] == [
        "counter.opened",
        "counter.paused",
        "counter.opened",
    ]


async def test_recall_calls_the_same_ticket_again_with_a_count(harness: Harness) -> None:
    await harness.issue()
    await harness.counter(0, "open")
    await harness.counter(0, "call-next")
    harness.clock.advance(timedelta(minutes=1))
    again = await harness.counter(0, "recall")
    assert again.status_code == 200 and again.json()["recalls"] == 1
    await harness.counter(0, "recall")
    calls = await events_of(harness, "counter.called")
    assert [e["data"]["recall"] for e in calls] == [0, 1, 2]
    assert calls[1]["data"]["called_at"] > calls[0]["data"]["called_at"]
    await harness.counter(0, "start")
    serving = await harness.counter(0, "recall")
    assert serving.status_code == 409 and "already serving A-001" in serving.json()["detail"]


async def test_a_no_show_frees_the_counter_and_may_rejoin_once_within_the_grace(harness: Harness) -> None:
    a1 = (await harness.issue()).json()
    await harness.issue()
    await harness.counter(0, "open")
    await harness.counter(0, "call-next")
    missed = await harness.counter(0, "no-show")
    assert missed.status_code == 200 and missed.json()["status"] == "no_show"
    [event] = await events_of(harness, "ticket.no_show")
    assert event["data"]["counter_id"] == str(harness.kupang.counter_ids[0])
    assert (await harness.counter(0, "call-next")).json()["number"] == "A-002"
    third = (await harness.issue()).json()

    harness.clock.advance(timedelta(minutes=29))
    rejoin_url = f"/v1/tickets/{a1['id']}/rejoin"
    back = await harness.client.post(rejoin_url, params={"token": a1["access_token"]})
    assert back.status_code == 200, back.text
    assert (back.json()["status"], back.json()["position"], back.json()["rejoined"]) == ("waiting", 2, True)
    assert (await harness.client.get(f"/v1/services/{harness.kupang.vehicle_tax_id}/queue")).json()[
        "waiting"
    ][0]["id"] == third["id"], "a rejoined ticket goes to the end of the line"
    [rejoined] = await events_of(harness, "ticket.rejoined")
    assert (rejoined["subject"], rejoined["data"]["number"], rejoined["data"]["priority"]) == (
        a1["id"],
        "A-001",
        "regular",
    )
    assert datetime.fromisoformat(rejoined["data"]["at"]) == harness.clock.now(), (
        "placed in line at the rejoin"
    )
    assert [e["data"]["ticket_id"] for e in await events_of(harness, "ticket.issued")].count(a1["id"]) == 1, (
        "a rejoin is not a second issue: consumers would drop it as a duplicate"
    )

    await harness.counter(0, "start")
    await harness.counter(0, "finish")
    await harness.counter(0, "call-next")
    await harness.counter(0, "start")
    await harness.counter(0, "finish")
    assert (await harness.counter(0, "call-next")).json()["id"] == a1["id"]
    await harness.counter(0, "no-show")
    twice = await harness.client.post(rejoin_url, params={"token": a1["access_token"]})
    assert twice.status_code == 409 and "already rejoined" in twice.json()["detail"]
    assert "sudah pernah ditunda" in twice.json()["detail_id"]
    assert (await harness.client.post(rejoin_url)).status_code == 404


async def test_rejoin_after_the_grace_window_is_refused_and_says_so(harness: Harness) -> None:
    a1 = (await harness.issue()).json()
    waiting = await harness.client.post(
        f"/v1/tickets/{a1['id']}/rejoin", params={"token": a1["access_token"]}
    )
    assert waiting.status_code == 409 and "only a ticket marked as a no-show" in waiting.json()["detail"]
    await harness.counter(0, "open")
    await harness.counter(0, "call-next")
    await harness.counter(0, "no-show")
    harness.clock.advance(timedelta(minutes=31))
    late = await harness.client.post(f"/v1/tickets/{a1['id']}/rejoin", headers=harness.admin)
    assert late.status_code == 409 and "within 30 minutes" in late.json()["detail"]


async def test_the_citizen_cancels_with_the_access_token_and_staff_with_theirs(harness: Harness) -> None:
    a1 = (await harness.issue()).json()
    a2 = (await harness.issue()).json()
    cancel = f"/v1/tickets/{a1['id']}/cancel"
    assert (await harness.client.post(cancel)).status_code == 404
    assert (await harness.client.post(cancel, params={"token": "guess"})).status_code == 404
    mine = await harness.client.post(cancel, params={"token": a1["access_token"]})
    assert mine.status_code == 200 and mine.json()["status"] == "cancelled"
    again = await harness.client.post(cancel, params={"token": a1["access_token"]})
    assert again.status_code == 409 and "only a waiting or called ticket" in again.json()["detail"]
    by_staff = await harness.client.post(f"/v1/tickets/{a2['id']}/cancel", headers=harness.admin)
    assert by_staff.status_code == 200
    assert [
        (e["data"]["ticket_id"], e["data"]["by"]) for e in await events_of(harness, "ticket.cancelled")
    ] == [
        (a1["id"], "citizen"),
        (a2["id"], "staff"),
    ]
    await harness.counter(0, "open")
    assert (await harness.counter(0, "call-next")).status_code == 204, "cancelled tickets are never called"


async def test_a_called_ticket_cancelled_frees_its_counter(harness: Harness) -> None:
    a1 = (await harness.issue()).json()
    await harness.issue()
    await harness.counter(0, "open")
    await harness.counter(0, "call-next")
    await harness.client.post(f"/v1/tickets/{a1['id']}/cancel", params={"token": a1["access_token"]})
    assert (await harness.counter(0, "call-next")).json()["number"] == "A-002"


async def test_transfer_issues_a_ticket_in_the_target_service_by_the_place_policy(harness: Harness) -> None:
    k = harness.kupang
    for _ in range(2):
        await harness.issue(service_id=k.stnk_id)  # AB-001, AB-002 wait at 09:00
    a1 = (await harness.issue()).json()
    harness.clock.advance(timedelta(minutes=10))
    await harness.issue(service_id=k.stnk_id)  # AB-003 came after A-001
    await harness.counter(1, "open")
    await harness.counter(1, "call-next")
    url = f"/v1/counters/{k.counter_ids[1]}/transfer"
    kept = await harness.client.post(url, json={"to_service_id": str(k.stnk_id)}, headers=harness.admin)
    assert kept.status_code == 200, kept.text
    new = kept.json()["new_ticket"]
    assert (kept.json()["transferred"]["status"], new["number"], new["status"]) == (
        "transferred",
        "AB-004",
        "waiting",
    )
    # keep_place (the default): ahead of AB-003 who came later, behind AB-001 and AB-002.
    followed = await harness.client.get(f"/v1/tickets/{new['id']}", params={"token": a1["access_token"]})
    assert followed.status_code == 200 and followed.json()["position"] == 3, "the citizen's link follows them"
    [moved] = await events_of(harness, "ticket.transferred")
    assert moved["data"] | {"at": None} == {
        "ticket_id": a1["id"],
        "from_service_id": str(k.vehicle_tax_id),
        "to_service_id": str(k.stnk_id),
        "new_ticket_id": new["id"],
        "at": None,
    }
    assert (await events_of(harness, "ticket.issued"))[-1]["data"]["ticket_id"] == new["id"]

    await harness.counter(0, "open")
    await harness.counter(0, "call-next")  # AB-001 (counter 1 serves both services)
    back = await harness.client.post(
        f"/v1/counters/{k.counter_ids[0]}/transfer",
        json={"to_service_id": str(k.vehicle_tax_id), "keep_place": False},
        headers=harness.admin,
    )
    assert back.json()["new_ticket"]["number"] == "A-002"
    idle = await harness.client.post(url, json={"to_service_id": str(k.stnk_id)}, headers=harness.admin)
    assert idle.status_code == 409 and "call the next one first" in idle.json()["detail"]
    nowhere = await harness.client.post(url, json={"to_service_id": str(uuid4())}, headers=harness.admin)
    assert nowhere.status_code == 422 and nowhere.json()["errors"][0]["field"] == "to_service_id"


async def test_staff_tokens_and_agency_keys_reach_their_own_counters_only(harness: Harness) -> None:
    k = harness.kupang
    other_agency = uuid4()
    for event in (
        credential_event(
            "staff-loket-1",
            kind="staff_token",
            agency_id=k.samsat_id,
            site_id=k.site_id,
            counter_id=k.counter_ids[0],
        ),
        credential_event("samsat-key", kind="agency_key", agency_id=k.samsat_id, site_id=k.site_id),
        credential_event("bpjs-key", kind="agency_key", agency_id=other_agency, site_id=k.site_id),
    ):
        await harness.ticketing.on_registry_event(event)
    counter = f"/v1/counters/{k.counter_ids[0]}"
    assert (await harness.client.post(f"{counter}/open", headers=bearer("staff-loket-1"))).status_code == 200
    elsewhere = await harness.client.post(
        f"/v1/counters/{k.counter_ids[1]}/open", headers=bearer("staff-loket-1")
    )
    assert elsewhere.status_code == 403 and "another counter" in elsewhere.json()["detail"]
    foreign = await harness.client.post(f"{counter}/close", headers=bearer("bpjs-key"))
    assert foreign.status_code == 403 and "another agency's counter" in foreign.json()["detail"]
    assert (await harness.client.post(f"{counter}/close", headers=bearer("samsat-key"))).status_code == 200
    assert (await harness.client.post(f"{counter}/open", headers=bearer("made-up"))).status_code == 401

    issued = await harness.issue(channel="agency_api", key="samsat-1", headers=bearer("samsat-key"))
    assert issued.status_code == 201
    refused = await harness.issue(channel="agency_api", key="bpjs-1", headers=bearer("bpjs-key"))
    assert refused.status_code == 403 and "API key of the agency" in refused.json()["detail"]
    assert (await harness.issue(channel="agency_api", key="anon-1")).status_code == 401
    ticket_url = f"/v1/tickets/{issued.json()['id']}"
    assert (await harness.client.get(ticket_url, headers=bearer("samsat-key"))).status_code == 200
    assert (await harness.client.get(ticket_url, headers=bearer("staff-loket-1"))).status_code == 200
    assert (await harness.client.get(ticket_url, headers=bearer("bpjs-key"))).status_code == 404


async def test_the_holder_may_send_the_access_token_as_a_bearer_header(harness: Harness) -> None:
    ticket = (await harness.issue()).json()
    url = f"/v1/tickets/{ticket['id']}"
    mine = await harness.client.get(url, headers={"Authorization": f"Bearer {ticket['access_token']}"})
    assert mine.status_code == 200 and mine.json()["number"] == ticket["number"]
    guessed = await harness.client.get(url, headers={"Authorization": "Bearer not-the-token"})
    assert guessed.status_code == 404
    cancelled = await harness.client.post(
        f"{url}/cancel", headers={"Authorization": f"Bearer {ticket['access_token']}"}
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


async def test_text_postgresql_cannot_store_is_refused_with_a_422(harness: Harness) -> None:
    await harness.counter(0, "open")
    url = f"/v1/counters/{harness.kupang.counter_ids[0]}/pause"
    nul = await harness.client.post(url, json={"reason": "istirahat\x00"}, headers=harness.admin)
    assert nul.status_code == 422 and "NUL" in nul.json()["detail"]
    status_page = await harness.client.get("/t/abc%00def/state")
    assert status_page.status_code in (404, 422)


def credential_deleted(event: CloudEvent) -> CloudEvent:
    """registry.changed deleting the credential that ``event`` announced (a revoked key)."""
    data = RegistryChanged.model_construct(  # type: ignore[arg-type]
        entity="credential", id=UUID(str(event.data["id"])), op="delete", state=event.data["state"]
    )
    return new_event(
        type="registry.changed",
        source="antre/registry",
        site_id=event.siteid,
        data=data,
        time=datetime.now(UTC),
        subject=UUID(str(event.data["id"])),
    )


async def test_an_agency_key_replays_only_its_own_idempotency_keys(harness: Harness) -> None:
    k = harness.kupang
    for event in (
        credential_event("samsat-key", kind="agency_key", agency_id=k.samsat_id, site_id=k.site_id),
        credential_event("bpjs-key", kind="agency_key", agency_id=uuid4(), site_id=k.site_id),
    ):
        await harness.ticketing.on_registry_event(event)
    issued = await harness.issue(channel="agency_api", key="order-7", headers=bearer("samsat-key"))
    assert issued.status_code == 201
    # Another agency, or a caller without a key, sending the same key and body gets no replay
    # of SAMSAT's ticket: they are refused as any new request of theirs would be.
    foreign = await harness.issue(channel="agency_api", key="order-7", headers=bearer("bpjs-key"))
    assert foreign.status_code == 403 and "access_token" not in foreign.text
    anonymous = await harness.issue(channel="agency_api", key="order-7")
    assert anonymous.status_code == 401 and "access_token" not in anonymous.text
    again = await harness.issue(channel="agency_api", key="order-7", headers=bearer("samsat-key"))
    assert (again.status_code, again.json()) == (200, issued.json())


async def test_a_revoked_credential_is_refused_as_soon_as_the_revocation_is_processed(
    harness: Harness,
) -> None:
    k = harness.kupang
    granted = credential_event("samsat-key", kind="agency_key", agency_id=k.samsat_id, site_id=k.site_id)
    # Unknown yet: refused, and a credential announced afterwards opens at once all the same.
    counter = f"/v1/counters/{k.counter_ids[0]}"
    assert (await harness.client.post(f"{counter}/open", headers=bearer("samsat-key"))).status_code == 401
    await harness.ticketing.on_registry_event(granted)
    assert (await harness.client.post(f"{counter}/open", headers=bearer("samsat-key"))).status_code == 200
    assert (await harness.client.post(f"{counter}/close", headers=bearer("samsat-key"))).status_code == 200
    await harness.ticketing.on_registry_event(credential_deleted(granted))
    revoked = await harness.client.post(f"{counter}/open", headers=bearer("samsat-key"))
    assert revoked.status_code == 401 and revoked.headers["content-type"] == "application/problem+json"


async def test_a_credential_is_looked_up_once_not_on_every_request(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    k = harness.kupang
    await harness.ticketing.on_registry_event(
        credential_event("samsat-key", kind="agency_key", agency_id=k.samsat_id, site_id=k.site_id)
    )
    ticket = (await harness.issue()).json()
    transactions = 0
    unit_of_work = harness.ticketing.uow

    def counted() -> Any:
        nonlocal transactions
        transactions += 1
        return unit_of_work()

    monkeypatch.setattr(harness.ticketing, "uow", counted)
    for _ in range(5):
        seen = await harness.client.get(f"/v1/tickets/{ticket['id']}", headers=bearer("samsat-key"))
        assert seen.status_code == 200
    # One transaction per read of the ticket, plus a single look-up of the agency key.
    assert transactions == 5 + 1


class CountingUnitOfWork(PostgresUnitOfWork):
    """The real unit of work, recording every SQL statement it sends."""

    def __init__(self, pool: Any, statements: list[str]) -> None:
        super().__init__(pool)
        self.statements = statements

    async def __aenter__(self) -> "CountingUnitOfWork":
        await super().__aenter__()
        self._connection.add_query_logger(self._record)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self._connection.remove_query_logger(self._record)
        await super().__aexit__(*exc)

    def _record(self, query: Any) -> None:
        self.statements.append(query.query)


async def test_call_next_reads_the_line_in_one_statement_however_many_services_a_counter_serves(
    harness: Harness,
) -> None:
    k = harness.kupang
    for service_id, priority in [(k.vehicle_tax_id, "regular"), (k.stnk_id, "elderly")] * 2:
        await harness.issue(service_id=service_id, priority=priority)
    await harness.counter(0, "open")  # Loket 1 serves vehicle tax and STNK
    await harness.counter(1, "open")  # Loket 2 vehicle tax only

    async def statements_of_call_next(counter_id: UUID) -> list[str]:
        statements: list[str] = []
        _, ticket = await counter_actions.call_next(
            counter_id,
            uow=CountingUnitOfWork(harness.pool, statements),
            clock=harness.clock,
            actor=ADMIN,
            policy=harness.ticketing.policy,
        )
        assert ticket is not None
        return statements

    two_services = await statements_of_call_next(k.counter_ids[0])
    one_service = await statements_of_call_next(k.counter_ids[1])
    assert len(two_services) == len(one_service)
    assert sum("FROM tickets" in s and "SKIP LOCKED" in s for s in two_services) == 1
    # The policy's pick all the same: STNK's elderly ticket first, then the first vehicle tax ticket.
    line = await harness.pool.fetch("SELECT number, counter_id FROM tickets WHERE status = 'called'")
    assert {(r["number"], r["counter_id"]) for r in line} == {
        ("AB-001", k.counter_ids[0]),
        ("A-001", k.counter_ids[1]),
    }
