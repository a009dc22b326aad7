"""The registry API on a real PostgreSQL: what an admin, a citizen's app and a consumer see."""

from typing import Any
from uuid import uuid4

import httpx
import pytest
from antre_contracts import CloudEvent

from .support import NOW, Database, created, new_agency, new_service, new_site

pytestmark = pytest.mark.asyncio


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


async def one_new_event(db: Database, before: int) -> CloudEvent:
    """The single registry.changed event a write added to the outbox."""
    events = await db.outbox()
    assert len(events) == before + 1, [e.data for e in events[before:]]
    return events[-1]


async def test_site_is_created_read_listed_and_updated_each_write_announced_once(
    admin: httpx.AsyncClient, db: Database
) -> None:
    site = await new_site(admin, code="mpp-kpg", motto="BESTI - Beres dan Pasti", closed_dates=["2026-12-25"])
    assert site["code"] == "MPP-KPG"
    assert site["hours"]["fri"] == [["08:00", "11:30"], ["13:00", "15:00"]]
    event = await one_new_event(db, 0)
    assert (event.type, event.source, event.subject, event.siteid) == (
        "registry.changed",
        "antre/registry",
        site["id"],
        site["id"],
    )
    assert event.time == NOW
    assert event.data == {"entity": "site", "id": site["id"], "op": "upsert", "state": site}

    assert (await admin.get(f"/v1/sites/{site['id']}")).json() == site
    assert (await admin.get("/v1/sites", params={"code": "Mpp-Kpg"})).json() == {"items": [site]}
    assert (await admin.get("/v1/sites", params={"code": "NOPE"})).json() == {"items": []}

    patched = await admin.patch(
        f"/v1/sites/{site['id']}", json={"hours": {"sat": [["06:00", "09:00"]]}, "motto": None}
    )
    assert patched.status_code == 200, patched.text
    updated = patched.json()
    assert updated == {**site, "hours": {"sat": [["06:00", "09:00"]]}, "motto": None}
    assert (await one_new_event(db, 1)).data["state"] == updated
    assert (await admin.get(f"/v1/sites/{site['id']}")).json() == updated

    audit = await db.audit()
    assert [(a["actor"], a["action"], a["entity"]) for a in audit] == [
        ("admin", "create", "site"),
        ("admin", "update", "site"),
    ]
    assert (audit[1]["before"], audit[1]["after"]) == (site, updated)


async def test_a_patch_that_changes_nothing_announces_nothing(admin: httpx.AsyncClient, db: Database) -> None:
    site = await new_site(admin)

    again = await admin.patch(f"/v1/sites/{site['id']}", json={"name": site["name"], "hours": site["hours"]})

    assert again.json() == site
    assert len(await db.outbox()) == 1


async def test_agency_is_created_and_announced_for_the_whole_platform(
    admin: httpx.AsyncClient, db: Database
) -> None:
    agency = await new_agency(admin)

    event = await one_new_event(db, 0)
    assert (event.siteid, event.subject) == ("platform", agency["id"])
    assert (
        event.data["state"]
        == agency
        == {"id": agency["id"], "code": "SAMSAT", "name": "UPT SAMSAT Kota Kupang", "active": True}
    )
    assert (await admin.get(f"/v1/agencies/{agency['id']}")).json() == agency
    assert (await admin.get("/v1/agencies", params={"code": "samsat"})).json()["items"] == [agency]


async def test_service_create_update_delete_each_announce_the_entity_as_the_api_returns_it(
    admin: httpx.AsyncClient, db: Database
) -> None:
    site, agency = await new_site(admin), await new_agency(admin)
    service = await new_service(admin, site, agency)
    assert service == {
        "id": service["id"],
        "site_id": site["id"],
        "agency_id": agency["id"],
        "code": "PKB-TAHUNAN",
        "prefix": "A",
        "name_id": "Pembayaran Pajak Kendaraan Tahunan",
        "name_en": "Annual vehicle tax",
        "mean_service_min": 5.0,
        "daily_quota": 300,
        "documents_id": ["KTP asli", "STNK asli"],
        "documents_en": [],
        "hours": None,
        "priority_enabled": True,
        "active": True,
    }
    event = await one_new_event(db, 2)
    assert (event.siteid, event.data["state"]) == (site["id"], service)

    updated = (
        await admin.patch(
            f"/v1/services/{service['id']}",
            json={"mean_service_min": 6.5, "hours": {"mon": [["08:00", "12:00"]]}},
        )
    ).json()
    assert (updated["mean_service_min"], updated["hours"]) == (6.5, {"mon": [["08:00", "12:00"]]})
    assert (await one_new_event(db, 3)).data == {
        "entity": "service",
        "id": service["id"],
        "op": "upsert",
        "state": updated,
    }
    listed = await admin.get("/v1/services", params={"site_id": site["id"], "agency_id": agency["id"]})
    assert listed.json()["items"] == [updated]

    deleted = await admin.delete(f"/v1/services/{service['id']}")
    assert deleted.status_code == 204
    assert (await one_new_event(db, 4)).data == {
        "entity": "service",
        "id": service["id"],
        "op": "delete",
        "state": updated,
    }
    problem(await admin.get(f"/v1/services/{service['id']}"), 404)
    assert [a["action"] for a in await db.audit()][-1] == "delete"


async def test_writes_need_the_admin_token(
    admin: httpx.AsyncClient, anonymous: httpx.AsyncClient, db: Database
) -> None:
    body = {"code": "X", "name": "X", "timezone": "Asia/Makassar"}

    missing = problem(await anonymous.post("/v1/sites", json=body), 401)
    wrong = problem(
        await anonymous.post("/v1/sites", json=body, headers={"Authorization": "Bearer nope"}), 401
    )
    problem(await anonymous.get("/v1/sites"), 401)

    assert "Authorization: Bearer" in missing["detail"]
    assert "not valid" in wrong["detail"]
    assert (await admin.get("/v1/sites")).json() == {"items": []}
    assert await db.outbox() == []


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"timezone": "Asia/Kupang"}, "timezone", '"Asia/Kupang" is not an IANA timezone: use a name like'),
        (
            {"hours": {"mon": [["08:00", "12:00"], ["11:00", "15:00"]]}},
            "hours",
            "mon: 08:00–12:00 and 11:00–15:00 overlap",
        ),
        ({"hours": {"mon": [["8.00", "15:00"]]}}, "hours", 'mon: "8.00" is not a time; write HH:MM'),
        ({"hours": {"mon": "08:00-15:00"}}, "hours.mon", "valid list"),
        ({"name": "x" * 161}, "name", "at most 160 characters"),
        ({"kind": "mall"}, "kind", "'mpp' or 'outreach'"),
        ({"closed_dates": ["25-12-2026"]}, "closed_dates.0", "valid date"),
        ({"colour": "blue"}, "colour", "Extra inputs are not permitted"),
        ({"address": "Jl. El Tari\u0000"}, "address", "must be one line of text, without control characters"),
    ],
)
async def test_bad_site_input_is_a_422_naming_the_field_and_the_fix(
    admin: httpx.AsyncClient, db: Database, fields: dict[str, Any], field: str, says: str
) -> None:
    body = {"code": "MPP-KPG", "name": "MPP Kota Kupang", "timezone": "Asia/Makassar", **fields}

    refused = problem(await admin.post("/v1/sites", json=body), 422)

    assert [e["field"] for e in refused["errors"]] == [field]
    assert says in refused["errors"][0]["message"]
    assert says in refused["detail"]
    assert await db.outbox() == []


async def test_a_ticket_prefix_already_used_at_the_site_is_a_422_naming_the_other_service(
    admin: httpx.AsyncClient, db: Database
) -> None:
    site, agency = await new_site(admin), await new_agency(admin)
    await new_service(admin, site, agency, prefix="A")
    other_site = await new_site(admin, code="CFD-ELTARI", name="Layanan Car Free Day", kind="outreach")
    await new_service(admin, other_site, agency, prefix="A")

    taken = problem(
        await admin.post(
            "/v1/services",
            json={
                "site_id": site["id"],
                "agency_id": agency["id"],
                "code": "STNK-5TH",
                "prefix": "a",
                "name_id": "Pengesahan STNK",
                "name_en": "Registration renewal",
                "mean_service_min": 15,
                "daily_quota": 80,
            },
        ),
        422,
    )

    assert taken["errors"] == [
        {
            "field": "prefix",
            "message": "ticket prefix A is already used at this site by "
            "service PKB-TAHUNAN; choose another prefix, e.g. B",
        }
    ]
    assert len(await db.outbox()) == 5


async def test_renaming_a_service_onto_another_ones_code_is_a_422(admin: httpx.AsyncClient) -> None:
    site, agency = await new_site(admin), await new_agency(admin)
    await new_service(admin, site, agency)
    second = await new_service(admin, site, agency, code="STNK-5TH", prefix="AB")

    taken = problem(await admin.patch(f"/v1/services/{second['id']}", json={"code": "pkb-tahunan"}), 422)

    assert taken["errors"][0]["field"] == "code"
    assert (await admin.get(f"/v1/services/{second['id']}")).json()["code"] == "STNK-5TH"


async def test_bad_service_input_is_a_422(admin: httpx.AsyncClient) -> None:
    site, agency = await new_site(admin), await new_agency(admin)
    base = {
        "site_id": site["id"],
        "agency_id": agency["id"],
        "code": "PKB",
        "prefix": "A",
        "name_id": "Pajak",
        "name_en": "Tax",
        "mean_service_min": 5,
        "daily_quota": 10,
    }

    prefix = problem(await admin.post("/v1/services", json={**base, "prefix": "A1"}), 422)
    unknown = problem(
        await admin.post("/v1/services", json={**base, "site_id": str(uuid4()), "agency_id": str(uuid4())}),
        422,
    )
    oversize = problem(await admin.post("/v1/services", json={**base, "documents_id": ["x" * 201]}), 422)
    nulled = problem(
        await admin.patch(
            f"/v1/services/{(await new_service(admin, site, agency))['id']}", json={"daily_quota": None}
        ),
        422,
    )

    assert 'use 1 to 3 letters A–Z, e.g. "A" or "AB"' in prefix["errors"][0]["message"]
    assert [e["field"] for e in unknown["errors"]] == ["site_id", "agency_id"]
    assert "GET /v1/sites" in unknown["errors"][0]["message"]
    assert oversize["errors"][0]["field"] == "documents_id.0"
    assert nulled["errors"] == [
        {"field": "daily_quota", "message": "cannot be null; leave the field out to keep its value"}
    ]


async def test_a_counter_serves_only_its_own_agencys_services_at_its_own_site(
    admin: httpx.AsyncClient, db: Database
) -> None:
    site, samsat = await new_site(admin), await new_agency(admin)
    dukcapil = await new_agency(admin, code="DUKCAPIL", name="Dinas Dukcapil Kota Kupang")
    pkb = await new_service(admin, site, samsat)
    ktp = await new_service(admin, site, dukcapil, code="KTP-EL", prefix="C")
    before = len(await db.outbox())

    refused = problem(
        await admin.post(
            "/v1/counters",
            json={
                "site_id": site["id"],
                "agency_id": samsat["id"],
                "name": "Loket 1",
                "service_ids": [pkb["id"], ktp["id"]],
            },
        ),
        422,
    )
    assert refused["errors"][0]["field"] == "service_ids.1"
    assert "belongs to agency DUKCAPIL" in refused["errors"][0]["message"]

    counter = await created(
        await admin.post(
            "/v1/counters",
            json={
                "site_id": site["id"],
                "agency_id": samsat["id"],
                "name": "Loket 1",
                "service_ids": [pkb["id"]],
            },
        )
    )
    assert counter == {
        "id": counter["id"],
        "site_id": site["id"],
        "agency_id": samsat["id"],
        "name": "Loket 1",
        "service_ids": [pkb["id"]],
        "active": True,
    }
    assert (await one_new_event(db, before)).data["state"] == counter

    problem(await admin.patch(f"/v1/counters/{counter['id']}", json={"service_ids": [ktp["id"]]}), 422)
    paused = await admin.patch(f"/v1/counters/{counter['id']}", json={"name": "Loket 2", "active": False})
    assert paused.json() == {**counter, "name": "Loket 2", "active": False}
    assert (await one_new_event(db, before + 1)).data["state"] == paused.json()
    assert (await admin.get("/v1/counters", params={"site_id": site["id"], "name": "Loket 2"})).json()[
        "items"
    ] == [paused.json()]

    twin = problem(
        await admin.post(
            "/v1/counters",
            json={
                "site_id": site["id"],
                "agency_id": samsat["id"],
                "name": "Loket 2",
                "service_ids": [pkb["id"]],
            },
        ),
        409,
    )
    assert twin["errors"][0]["field"] == "name"


async def test_a_service_in_use_cannot_be_deleted_but_can_be_retired(admin: httpx.AsyncClient) -> None:
    site, agency = await new_site(admin), await new_agency(admin)
    service = await new_service(admin, site, agency)
    await created(
        await admin.post(
            "/v1/counters",
            json={
                "site_id": site["id"],
                "agency_id": agency["id"],
                "name": "Loket 1",
                "service_ids": [service["id"]],
            },
        )
    )

    refused = problem(await admin.delete(f"/v1/services/{service['id']}"), 409)

    assert "still used by counter Loket 1" in refused["detail"]
    assert "active=false" in refused["detail"]
    assert (await admin.get(f"/v1/services/{service['id']}")).status_code == 200


async def test_journey_steps_must_exist_at_the_site(admin: httpx.AsyncClient, db: Database) -> None:
    site, agency = await new_site(admin), await new_agency(admin)
    nib = await new_service(admin, site, agency, code="NIB", prefix="K")
    npwp = await new_service(admin, site, agency, code="NPWP", prefix="G")
    body = {
        "site_id": site["id"],
        "code": "pendirian-usaha",
        "name_id": "Pendirian Usaha",
        "name_en": "Founding a company",
        "kind": "ekosistem",
    }
    ghost = str(uuid4())

    refused = problem(await admin.post("/v1/journeys", json={**body, "steps": [nib["id"], ghost]}), 422)
    assert refused["errors"] == [
        {"field": "steps.1", "message": f"no service with id {ghost}; use an id from GET /v1/services"}
    ]

    journey = await created(await admin.post("/v1/journeys", json={**body, "steps": [nib["id"], npwp["id"]]}))
    assert (journey["code"], journey["steps"]) == ("PENDIRIAN-USAHA", [nib["id"], npwp["id"]])
    assert (await one_new_event(db, 4)).data["state"] == journey
    assert (await admin.get(f"/v1/journeys/{journey['id']}")).json() == journey
    assert (await admin.get("/v1/journeys", params={"site_id": site["id"]})).json() == {"items": [journey]}
    problem(await admin.post("/v1/journeys", json={**body, "steps": [npwp["id"], nib["id"]]}), 409)


async def test_unknown_ids_are_404_and_malformed_ids_422(admin: httpx.AsyncClient) -> None:
    ghost = uuid4()

    for response in [
        await admin.get(f"/v1/sites/{ghost}"),
        await admin.patch(f"/v1/sites/{ghost}", json={"name": "X"}),
        await admin.get(f"/v1/sites/{ghost}/catalog"),
        await admin.get(f"/v1/agencies/{ghost}"),
        await admin.post(f"/v1/agencies/{ghost}/api-keys", json={}),
        await admin.get(f"/v1/services/{ghost}"),
        await admin.patch(f"/v1/services/{ghost}", json={"daily_quota": 5}),
        await admin.delete(f"/v1/services/{ghost}"),
        await admin.get(f"/v1/counters/{ghost}"),
        await admin.patch(f"/v1/counters/{ghost}", json={"active": False}),
        await admin.get(f"/v1/journeys/{ghost}"),
    ]:
        assert str(ghost) in problem(response, 404)["detail"]

    assert problem(await admin.get("/v1/services/not-a-uuid"), 422)["errors"][0]["field"] == "service_id"
    assert "NUL" in problem(await admin.get("/v1/counters", params={"name": "Loket\x001"}), 422)["detail"]


async def test_the_catalog_is_public_and_shows_only_what_a_citizen_can_queue_for(
    admin: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    site = await new_site(admin, motto="BESTI - Beres dan Pasti")
    samsat = await new_agency(admin)
    bank = await new_agency(admin, code="BANKNTT", name="Bank NTT")
    await new_agency(admin, code="IDLE", name="An agency with no service here")
    pkb = await new_service(admin, site, samsat)
    stnk = await new_service(
        admin, site, samsat, code="STNK-5TH", prefix="AB", hours={"mon": [["08:00", "12:00"]]}
    )
    retired = await new_service(admin, site, bank, code="OLD", prefix="Z")
    await admin.patch(f"/v1/services/{retired['id']}", json={"active": False})

    answer = await anonymous.get(f"/v1/sites/{site['id']}/catalog")

    assert answer.status_code == 200
    catalog = answer.json()
    assert catalog["site"] == site
    assert [a["code"] for a in catalog["agencies"]] == ["SAMSAT"]
    services = catalog["agencies"][0]["services"]
    assert [s["prefix"] for s in services] == ["A", "AB"]
    # NOW is Monday 09:30 in Kupang (WITA): both services are open and take tickets.
    assert catalog["local_time"] == "2026-03-02T09:30:00+08:00"
    assert services[0] == {
        **pkb,
        "effective_hours": site["hours"],
        "hours_today": [["08:00", "15:00"]],
        "open_now": True,
        "takes_tickets_today": True,
    }
    assert services[1]["effective_hours"] == stnk["hours"] == {"mon": [["08:00", "12:00"]]}
    assert services[0]["documents_id"] == ["KTP asli", "STNK asli"]
    assert catalog["journeys"] == []


async def test_an_api_key_is_shown_once_and_only_its_hash_is_kept(
    admin: httpx.AsyncClient, db: Database
) -> None:
    agency = await new_agency(admin)

    issued = await created(
        await admin.post(f"/v1/agencies/{agency['id']}/api-keys", json={"label": "SAMSAT app"})
    )
    bare = await created(await admin.post(f"/v1/agencies/{agency['id']}/api-keys"))

    assert issued["key"].startswith(issued["prefix"]) and issued["prefix"].startswith("ak_live_")
    assert len(issued["prefix"]) == 16 and len(issued["key"]) > 40
    assert (issued["agency_id"], issued["label"], bare["label"]) == (agency["id"], "SAMSAT app", None)
    assert issued["key"] != bare["key"]
    everything = str(await db.fetch("SELECT * FROM agency_api_keys")) + str(
        await db.fetch("SELECT * FROM audit_log")
    )
    assert issued["prefix"] in everything and issued["key"] not in everything
    announced = [event.data for event in (await db.outbox())[1:]]
    assert [(d["entity"], d["id"], d["state"]["prefix"]) for d in announced] == [
        ("credential", issued["id"], issued["prefix"]),
        ("credential", bare["id"], bare["prefix"]),
    ]
    assert issued["key"] not in str(announced)
    problem(await admin.post(f"/v1/agencies/{agency['id']}/api-keys", json={"label": ""}), 422)
