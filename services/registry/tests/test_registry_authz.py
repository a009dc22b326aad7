"""The authorization matrix: every route × every kind of caller, on a real PostgreSQL.

The rule under test (registry.domain.access): 401 without a valid credential; 403 for a
valid one out of scope; 404, not 403, where the caller may not even read the entity, so
an agency cannot learn whether another agency's service or counter exists.
"""

import itertools
import string
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from antre_devstack.postgres import PostgresNode
from antre_platform.clock import FixedClock
from fastapi import FastAPI
from registry.main import create_app

from .support import ADMIN_TOKEN, NOW, created, new_agency, new_service, new_site, registry_settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

CALLERS = ("none", "bad", "admin", "owner", "other", "staff")
_serial = itertools.count()


def unique(stem: str) -> str:
    return f"{stem}-{next(_serial)}"


def unique_prefix() -> str:
    n = next(_serial)
    letters = string.ascii_uppercase
    return "Q" + letters[n // 26 % 26] + letters[n % 26]


@dataclass
class World:
    """One MPP with SAMSAT (the owner), Bank NTT (another agency) and a SAMSAT counter's officer."""

    app: FastAPI
    site: dict[str, Any]
    samsat: dict[str, Any]
    bank: dict[str, Any]
    service: dict[str, Any]
    bank_service: dict[str, Any]
    counter: dict[str, Any]
    journey: dict[str, Any]
    tokens: dict[str, str | None]

    def client(self, caller: str) -> httpx.AsyncClient:
        token = self.tokens[caller]
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://registry", headers=headers
        )

    @property
    def admin(self) -> httpx.AsyncClient:
        return self.client("admin")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(postgres: PostgresNode) -> AsyncIterator[World]:
    name = f"t_authz_{uuid.uuid4().hex[:8]}"
    postgres.create_database(name)
    app = create_app(registry_settings(postgres.dsn(name)), clock=FixedClock(NOW))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://registry",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        ) as admin:
            site = await new_site(admin)
            samsat = await new_agency(admin)
            bank = await new_agency(admin, code="BANKNTT", name="Bank NTT")
            service = await new_service(admin, site, samsat)
            bank_service = await new_service(admin, site, bank, code="REKENING", prefix="R")
            counter = await created(
                await admin.post(
                    "/v1/counters",
                    json={
                        "site_id": site["id"],
                        "agency_id": samsat["id"],
                        "name": "Loket 1",
                        "service_ids": [service["id"]],
                    },
                )
            )
            journey = await created(
                await admin.post(
                    "/v1/journeys",
                    json={
                        "site_id": site["id"],
                        "code": "PAJAK-REKENING",
                        "name_id": "Pajak lalu rekening",
                        "name_en": "Tax then account",
                        "kind": "ekosistem",
                        "steps": [service["id"], bank_service["id"]],
                    },
                )
            )
            owner_key = await created(await admin.post(f"/v1/agencies/{samsat['id']}/api-keys"))
            other_key = await created(await admin.post(f"/v1/agencies/{bank['id']}/api-keys"))
            staff = await created(await admin.post(f"/v1/counters/{counter['id']}/staff-tokens"))
        yield World(
            app=app,
            site=site,
            samsat=samsat,
            bank=bank,
            service=service,
            bank_service=bank_service,
            counter=counter,
            journey=journey,
            tokens={
                "none": None,
                "bad": "ak_live_0badc0deThisKeyWasNeverIssuedByTheRegistry00000000000",
                "admin": ADMIN_TOKEN,
                "owner": owner_key["key"],
                "other": other_key["key"],
                "staff": staff["token"],
            },
        )


Call = Callable[[World, httpx.AsyncClient], Awaitable[httpx.Response]]


def service_body(w: World) -> dict[str, Any]:
    return {
        "site_id": w.site["id"],
        "agency_id": w.samsat["id"],
        "code": unique("BBNKB"),
        "prefix": unique_prefix(),
        "name_id": "Bea Balik Nama",
        "name_en": "Transfer of title fee",
        "mean_service_min": 7,
        "daily_quota": 100,
    }


async def spare_service(w: World) -> str:
    async with w.admin as admin:
        return str((await created(await admin.post("/v1/services", json=service_body(w))))["id"])


async def spare_key(w: World) -> str:
    async with w.admin as admin:
        return str((await created(await admin.post(f"/v1/agencies/{w.samsat['id']}/api-keys")))["id"])


async def spare_staff_token(w: World) -> str:
    async with w.admin as admin:
        return str((await created(await admin.post(f"/v1/counters/{w.counter['id']}/staff-tokens")))["id"])


async def delete_service(w: World, c: httpx.AsyncClient) -> httpx.Response:
    return await c.delete(f"/v1/services/{await spare_service(w)}")


async def revoke_key(w: World, c: httpx.AsyncClient) -> httpx.Response:
    return await c.delete(f"/v1/agencies/{w.samsat['id']}/api-keys/{await spare_key(w)}")


async def revoke_staff_token(w: World, c: httpx.AsyncClient) -> httpx.Response:
    return await c.delete(f"/v1/counters/{w.counter['id']}/staff-tokens/{await spare_staff_token(w)}")


ROUTES: dict[str, Call] = {
    "POST /v1/sites": lambda w, c: c.post(
        "/v1/sites", json={"code": unique("CFD"), "name": "Car Free Day", "timezone": "Asia/Makassar"}
    ),
    "GET /v1/sites": lambda w, c: c.get("/v1/sites"),
    "GET /v1/sites/{id}": lambda w, c: c.get(f"/v1/sites/{w.site['id']}"),
    "PATCH /v1/sites/{id}": lambda w, c: c.patch(
        f"/v1/sites/{w.site['id']}", json={"motto": unique("BESTI")}
    ),
    "GET /v1/sites/{id}/catalog": lambda w, c: c.get(f"/v1/sites/{w.site['id']}/catalog"),
    "POST /v1/agencies": lambda w, c: c.post("/v1/agencies", json={"code": unique("BPJS"), "name": "BPJS"}),
    "GET /v1/agencies": lambda w, c: c.get("/v1/agencies"),
    "GET /v1/agencies/{id}": lambda w, c: c.get(f"/v1/agencies/{w.samsat['id']}"),
    "POST /v1/agencies/{id}/api-keys": lambda w, c: c.post(f"/v1/agencies/{w.samsat['id']}/api-keys"),
    "GET /v1/agencies/{id}/api-keys": lambda w, c: c.get(f"/v1/agencies/{w.samsat['id']}/api-keys"),
    "DELETE /v1/agencies/{id}/api-keys/{key_id}": revoke_key,
    "POST /v1/services": lambda w, c: c.post("/v1/services", json=service_body(w)),
    "GET /v1/services": lambda w, c: c.get("/v1/services"),
    "GET /v1/services/{id}": lambda w, c: c.get(f"/v1/services/{w.service['id']}"),
    "PATCH /v1/services/{id}": lambda w, c: c.patch(
        f"/v1/services/{w.service['id']}", json={"daily_quota": 100 + next(_serial)}
    ),
    "DELETE /v1/services/{id}": delete_service,
    "POST /v1/counters": lambda w, c: c.post(
        "/v1/counters",
        json={
            "site_id": w.site["id"],
            "agency_id": w.samsat["id"],
            "name": unique("Loket"),
            "service_ids": [w.service["id"]],
        },
    ),
    "GET /v1/counters": lambda w, c: c.get("/v1/counters"),
    "GET /v1/counters/{id}": lambda w, c: c.get(f"/v1/counters/{w.counter['id']}"),
    "PATCH /v1/counters/{id}": lambda w, c: c.patch(f"/v1/counters/{w.counter['id']}", json={"active": True}),
    "POST /v1/counters/{id}/staff-tokens": lambda w, c: c.post(
        f"/v1/counters/{w.counter['id']}/staff-tokens"
    ),
    "GET /v1/counters/{id}/staff-tokens": lambda w, c: c.get(f"/v1/counters/{w.counter['id']}/staff-tokens"),
    "DELETE /v1/counters/{id}/staff-tokens/{token_id}": revoke_staff_token,
    "POST /v1/journeys": lambda w, c: c.post(
        "/v1/journeys",
        json={
            "site_id": w.site["id"],
            "code": unique("ALUR"),
            "name_id": "Alur",
            "name_en": "Journey",
            "kind": "ekosistem",
            "steps": [w.service["id"], w.bank_service["id"]],
        },
    ),
    "GET /v1/journeys": lambda w, c: c.get("/v1/journeys"),
    "GET /v1/journeys/{id}": lambda w, c: c.get(f"/v1/journeys/{w.journey['id']}"),
    "GET /v1/audit": lambda w, c: c.get("/v1/audit"),
}

# route: statuses for (none, bad, admin, owner, other, staff). "owner" is SAMSAT's key and
# every entity a route targets is SAMSAT's (or SAMSAT's counter, for the staff token).
MATRIX: dict[str, tuple[int, int, int, int, int, int]] = {
    "POST /v1/sites":                                  (401, 401, 201, 403, 403, 403),
    "GET /v1/sites":                                   (401, 401, 200, 200, 200, 200),
    "GET /v1/sites/{id}":                              (401, 401, 200, 200, 200, 200),
    "PATCH /v1/sites/{id}":                            (401, 401, 200, 403, 403, 403),
    "GET /v1/sites/{id}/catalog":                      (200, 200, 200, 200, 200, 200),
    "POST /v1/agencies":                               (401, 401, 201, 403, 403, 403),
    "GET /v1/agencies":                                (401, 401, 200, 403, 403, 403),
    "GET /v1/agencies/{id}":                           (401, 401, 200, 200, 404, 200),
    "POST /v1/agencies/{id}/api-keys":                 (401, 401, 201, 403, 403, 403),
    "GET /v1/agencies/{id}/api-keys":                  (401, 401, 200, 403, 403, 403),
    "DELETE /v1/agencies/{id}/api-keys/{key_id}":      (401, 401, 204, 403, 403, 403),
    "POST /v1/services":                               (401, 401, 201, 201, 403, 403),
    "GET /v1/services":                                (401, 401, 200, 200, 200, 200),
    "GET /v1/services/{id}":                           (401, 401, 200, 200, 404, 200),
    "PATCH /v1/services/{id}":                         (401, 401, 200, 200, 404, 403),
    # the spare service is not served by the staff token's counter: not even readable
    "DELETE /v1/services/{id}":                        (401, 401, 204, 204, 404, 404),
    "POST /v1/counters":                               (401, 401, 201, 201, 403, 403),
    "GET /v1/counters":                                (401, 401, 200, 200, 200, 200),
    "GET /v1/counters/{id}":                           (401, 401, 200, 200, 404, 200),
    "PATCH /v1/counters/{id}":                         (401, 401, 200, 200, 404, 403),
    "POST /v1/counters/{id}/staff-tokens":             (401, 401, 201, 201, 404, 403),
    "GET /v1/counters/{id}/staff-tokens":              (401, 401, 200, 200, 404, 403),
    "DELETE /v1/counters/{id}/staff-tokens/{token_id}": (401, 401, 204, 204, 404, 403),
    "POST /v1/journeys":                               (401, 401, 201, 403, 403, 403),
    "GET /v1/journeys":                                (401, 401, 200, 200, 200, 200),
    "GET /v1/journeys/{id}":                           (401, 401, 200, 200, 200, 200),
    "GET /v1/audit":                                   (401, 401, 200, 403, 403, 403),
}  # fmt: skip

CELLS = [
    pytest.param(route, caller, expected, id=f"{route} as {caller}")
    for route, row in MATRIX.items()
    for caller, expected in zip(CALLERS, row, strict=True)
]


async def test_the_matrix_covers_every_route_of_the_api(world: World) -> None:
    documented = {
        f"{method.upper()} {path}".replace("{site_id}", "{id}")
        .replace("{agency_id}", "{id}")
        .replace("{service_id}", "{id}")
        .replace("{counter_id}", "{id}")
        .replace("{journey_id}", "{id}")
        for path, operations in world.app.openapi()["paths"].items()
        for method in operations
        if path.startswith("/v1/")
    }
    assert documented == set(MATRIX) == set(ROUTES)


@pytest.mark.parametrize(("route", "caller", "expected"), CELLS)
async def test_each_route_answers_each_caller_as_the_scope_rules_say(
    world: World, route: str, caller: str, expected: int
) -> None:
    async with world.client(caller) as client:
        response = await ROUTES[route](world, client)

    assert response.status_code == expected, response.text
    if expected >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]
    if expected == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
