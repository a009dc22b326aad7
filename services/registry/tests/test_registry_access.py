"""Agency keys, staff tokens, the audit log and concurrent edits, as their users meet them."""

import hashlib
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from antre_platform.clock import FixedClock
from fastapi import FastAPI

from .support import NOW, Database, created, new_agency, new_service, new_site

pytestmark = pytest.mark.asyncio


def as_bearer(app: FastAPI, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://registry",
        headers={"Authorization": f"Bearer {token}"},
    )


async def samsat_and_bank(admin: httpx.AsyncClient) -> dict[str, Any]:
    site = await new_site(admin)
    samsat, bank = await new_agency(admin), await new_agency(admin, code="BANKNTT", name="Bank NTT")
    return {
        "site": site,
        "samsat": samsat,
        "bank": bank,
        "pkb": await new_service(admin, site, samsat),
        "rekening": await new_service(admin, site, bank, code="REKENING", prefix="R"),
        "samsat_key": (await created(await admin.post(f"/v1/agencies/{samsat['id']}/api-keys")))["key"],
    }


async def test_an_agency_key_manages_its_own_services_and_sees_no_other_agencys(
    app: FastAPI, admin: httpx.AsyncClient, db: Database
) -> None:
    world = await samsat_and_bank(admin)
    async with as_bearer(app, world["samsat_key"]) as samsat:
        listed = (await samsat.get("/v1/services")).json()["items"]
        assert [s["code"] for s in listed] == ["PKB-TAHUNAN"]
        asked_for_bank = await samsat.get("/v1/services", params={"agency_id": world["bank"]["id"]})
        assert asked_for_bank.status_code == 403 and "own entries" in asked_for_bank.json()["detail"]
        hidden = await samsat.patch(f"/v1/services/{world['rekening']['id']}", json={"active": False})
        assert hidden.status_code == 404

        changed = await samsat.patch(f"/v1/services/{world['pkb']['id']}", json={"daily_quota": 250})
        assert changed.status_code == 200 and changed.json()["daily_quota"] == 250

    entry = (await admin.get("/v1/audit", params={"entity": "service", "id": world["pkb"]["id"]})).json()[
        "items"
    ]
    assert [(e["action"], e["actor"]) for e in entry] == [
        ("create", "admin"),
        ("update", world["samsat_key"][:16]),
    ]
    assert (entry[1]["before"]["daily_quota"], entry[1]["after"]["daily_quota"]) == (300, 250)
    assert (await db.outbox())[-1].data["state"]["daily_quota"] == 250


async def test_a_revoked_key_stops_working_and_the_list_never_shows_a_key(
    app: FastAPI, admin: httpx.AsyncClient, db: Database
) -> None:
    world = await samsat_and_bank(admin)
    agency_id = world["samsat"]["id"]
    async with as_bearer(app, world["samsat_key"]) as samsat:
        assert (await samsat.get("/v1/services")).status_code == 200
        listed = (await admin.get(f"/v1/agencies/{agency_id}/api-keys")).json()["items"]
        assert [k["last_used_at"] for k in listed] == [NOW.isoformat().replace("+00:00", "Z")]
        assert world["samsat_key"] not in str(listed) and listed[0]["prefix"] == world["samsat_key"][:16]

        revoked = await admin.delete(f"/v1/agencies/{agency_id}/api-keys/{listed[0]['id']}")
        assert revoked.status_code == 204
        refused = await samsat.get("/v1/services")
        assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
        assert refused.headers["www-authenticate"] == 'Bearer error="invalid_token"'

    assert (await admin.delete(f"/v1/agencies/{agency_id}/api-keys/{listed[0]['id']}")).status_code == 204
    after = (await admin.get(f"/v1/agencies/{agency_id}/api-keys")).json()["items"][0]
    assert after["revoked_at"] is not None
    events = [e for e in await db.outbox() if e.data["entity"] == "credential"]
    assert [(e.siteid, e.data["state"]["active"]) for e in events] == [
        ("platform", True),
        ("platform", False),
    ]
    assert events[0].data["state"]["sha256"] == hashlib.sha256(world["samsat_key"].encode()).hexdigest()
    assert world["samsat_key"] not in str([e.data for e in events])
    trail = (await admin.get("/v1/audit", params={"entity": "credential"})).json()["items"]
    assert [(e["action"], e["actor"], e["entity_id"]) for e in trail] == [
        ("issue", "admin", listed[0]["id"]),
        ("revoke", "admin", listed[0]["id"]),
    ]
    assert (trail[1]["before"]["active"], trail[1]["after"]["active"]) == (True, False)


async def test_a_staff_token_reads_its_counter_and_services_and_changes_nothing(
    app: FastAPI, admin: httpx.AsyncClient, db: Database
) -> None:
    world = await samsat_and_bank(admin)
    counter = await created(
        await admin.post(
            "/v1/counters",
            json={
                "site_id": world["site"]["id"],
                "agency_id": world["samsat"]["id"],
                "name": "Loket 3",
                "service_ids": [world["pkb"]["id"]],
            },
        )
    )
    async with as_bearer(app, world["samsat_key"]) as samsat:
        issued = await created(
            await samsat.post(f"/v1/counters/{counter['id']}/staff-tokens", json={"label": "Petugas pagi"})
        )
    assert issued["token"].startswith(issued["prefix"]) and issued["prefix"].startswith("st_")

    async with as_bearer(app, issued["token"]) as officer:
        assert (await officer.get(f"/v1/counters/{counter['id']}")).json() == counter
        assert [s["id"] for s in (await officer.get("/v1/services")).json()["items"]] == [world["pkb"]["id"]]
        assert (await officer.get(f"/v1/services/{world['rekening']['id']}")).status_code == 404
        refused = await officer.patch(f"/v1/counters/{counter['id']}", json={"name": "Loket 9"})
        assert refused.status_code == 403 and "staff token" in refused.json()["detail"]

    event = (await db.outbox())[-1]
    assert (event.siteid, event.data["entity"]) == (world["site"]["id"], "credential")
    assert event.data["state"] == {
        "id": issued["id"],
        "kind": "staff_token",
        "agency_id": world["samsat"]["id"],
        "counter_id": counter["id"],
        "prefix": issued["prefix"],
        "sha256": hashlib.sha256(issued["token"].encode()).hexdigest(),
        "active": True,
        "created_at": "2026-03-02T01:30:00Z",
        "revoked_at": None,
    }
    assert issued["token"] not in str(await db.fetch("SELECT * FROM staff_tokens"))
    revoked = await admin.delete(f"/v1/counters/{counter['id']}/staff-tokens/{issued['id']}")
    assert revoked.status_code == 204
    async with as_bearer(app, issued["token"]) as officer:
        assert (await officer.get(f"/v1/counters/{counter['id']}")).status_code == 401


async def test_if_match_refuses_a_write_based_on_a_stale_read_and_without_it_the_last_write_wins(
    admin: httpx.AsyncClient, db: Database
) -> None:
    world = await samsat_and_bank(admin)
    url = f"/v1/services/{world['pkb']['id']}"
    read = await admin.get(url)
    tag = read.headers["etag"]

    first = await admin.patch(url, json={"daily_quota": 200}, headers={"If-Match": tag})
    assert first.status_code == 200 and first.headers["etag"] != tag
    stale = await admin.patch(url, json={"daily_quota": 150}, headers={"If-Match": tag})
    assert stale.status_code == 412 and "GET it again" in stale.json()["detail"]
    assert (await admin.get(url)).json()["daily_quota"] == 200

    await admin.patch(url, json={"daily_quota": 120})
    await admin.patch(url, json={"daily_quota": 110})
    quotas = [
        e["after"]["daily_quota"]
        for e in (await admin.get("/v1/audit", params={"id": world["pkb"]["id"]})).json()["items"]
    ]
    assert quotas == [300, 200, 120, 110], "every write is in the audit log, the stale one is not"


async def test_the_audit_log_is_filtered_by_entity_and_time(admin: httpx.AsyncClient) -> None:
    site = await new_site(admin)
    await new_agency(admin)

    sites_only = (await admin.get("/v1/audit", params={"entity": "site"})).json()["items"]
    assert [(e["entity"], e["entity_id"], e["action"]) for e in sites_only] == [
        ("site", site["id"], "create")
    ]
    later = (NOW + timedelta(minutes=1)).isoformat()
    assert (await admin.get("/v1/audit", params={"since": later})).json()["items"] == []
    naive = await admin.get("/v1/audit", params={"since": "2026-03-02T09:00:00"})
    assert naive.status_code == 422 and naive.json()["errors"][0]["field"] == "since"


@pytest.mark.parametrize(
    ("utc_time", "open_now", "takes_tickets", "hours_today"),
    [
        (
            "2026-03-06T04:00:00+00:00",
            False,
            True,
            [["08:00", "11:30"], ["13:00", "15:00"]],
        ),  # Fri 12:00 WITA
        ("2026-03-06T07:30:00+00:00", False, False, [["08:00", "11:30"], ["13:00", "15:00"]]),  # Fri 15:30
        ("2026-03-07T02:00:00+00:00", False, False, []),  # Saturday: no hours
        ("2026-12-25T02:00:00+00:00", False, False, []),  # Friday, but a closed date
    ],
)
async def test_the_catalog_says_what_is_open_now_in_the_sites_own_timezone(
    app: FastAPI,
    admin: httpx.AsyncClient,
    anonymous: httpx.AsyncClient,
    utc_time: str,
    open_now: bool,
    takes_tickets: bool,
    hours_today: list[list[str]],
) -> None:
    site = await new_site(admin, closed_dates=["2026-12-25"])
    await new_service(admin, site, await new_agency(admin))
    app.state.clock = FixedClock(datetime.fromisoformat(utc_time))

    service = (await anonymous.get(f"/v1/sites/{site['id']}/catalog")).json()["agencies"][0]["services"][0]

    assert (service["open_now"], service["takes_tickets_today"], service["hours_today"]) == (
        open_now,
        takes_tickets,
        hours_today,
    )
