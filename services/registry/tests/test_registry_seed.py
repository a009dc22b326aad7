"""The demo MPP Kota Kupang seeded through the API: once for real, then again with no change."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from antre_devstack.ports import free_port
from fastapi import FastAPI
from registry.entrypoints.seed import SeedError, run, seed

from .support import ADMIN_TOKEN, Database

SEED_FILE = Path(__file__).resolve().parents[3] / "deploy" / "seed" / "kupang-demo.json"


@pytest.fixture
def kupang() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SEED_FILE.read_text())
    return data


async def test_seeding_twice_creates_the_demo_mpp_once(
    admin: httpx.AsyncClient, db: Database, kupang: dict[str, Any]
) -> None:
    first = await seed(admin, kupang)

    assert (
        first.line() == "seeded MPP Kota Kupang: 2 sites, 11 agencies, 17 services, 16 counters, 2 journeys"
    )
    assert len(await db.outbox()) == 2 + 11 + 17 + 16 + 2

    second = await seed(admin, kupang)

    assert not second.changed
    assert second.line() == (
        "MPP Kota Kupang already seeded, nothing changed: "
        "2 sites, 11 agencies, 17 services, 16 counters, 2 journeys present"
    )
    assert len(await db.outbox()) == 48


async def test_the_seeded_catalog_is_what_the_hall_offers(
    admin: httpx.AsyncClient, kupang: dict[str, Any]
) -> None:
    await seed(admin, kupang)
    site = (await admin.get("/v1/sites", params={"code": "MPP-KPG"})).json()["items"][0]

    catalog = (await admin.get(f"/v1/sites/{site['id']}/catalog")).json()

    assert site["motto"] == "BESTI - Beres dan Pasti"
    prefixes = [s["prefix"] for agency in catalog["agencies"] for s in agency["services"]]
    assert sorted(prefixes) == ["A", "AB", "B", "C", "CA", "CK", "D", "E", "EP", "F", "G", "H", "I", "J", "K"]
    sim = next(j for j in catalog["journeys"] if j["code"] == "SIM-TERINTEGRASI")
    services = {s["id"]: s["code"] for a in catalog["agencies"] for s in a["services"]}
    assert [services[step] for step in sim["steps"]] == ["JKN-ADMIN", "SIM-PERPANJANG"]
    loket5 = (await admin.get("/v1/counters", params={"site_id": site["id"], "name": "Loket 5"})).json()[
        "items"
    ][0]
    assert [services[s] for s in loket5["service_ids"]] == ["KTP-EL", "KK", "AKTA-LAHIR"]


async def test_a_partly_seeded_registry_is_completed(
    admin: httpx.AsyncClient, kupang: dict[str, Any]
) -> None:
    await seed(admin, {**kupang, "counters": [], "journeys": []})

    rest = await seed(admin, kupang)

    assert rest.line() == (
        "seeded MPP Kota Kupang: 0 sites, 0 agencies, 0 services, 16 counters, 2 journeys "
        "(already present: 2 sites, 11 agencies, 17 services, 0 counters, 0 journeys)"
    )


@contextlib.asynccontextmanager
async def serving(app: FastAPI, port: int) -> AsyncIterator[None]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.02)
        yield
    finally:
        server.should_exit = True
        await task


async def test_the_cli_seeds_a_running_registry_over_http(app: FastAPI, db: Database) -> None:
    port = free_port()
    async with serving(app, port):
        summary = await run(f"http://127.0.0.1:{port}", ADMIN_TOKEN, SEED_FILE, wait_seconds=5)

    assert summary.created == {"sites": 2, "agencies": 11, "services": 17, "counters": 16, "journeys": 2}
    assert len(await db.outbox()) == 48


async def test_a_refused_seed_says_which_request_and_why(
    anonymous: httpx.AsyncClient, kupang: dict[str, Any]
) -> None:
    with pytest.raises(
        SeedError, match=r"GET /v1/sites for \{'code': 'MPP-KPG'\} answered 401: send a credential"
    ):
        await seed(anonymous, kupang)
