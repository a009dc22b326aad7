"""Seed a registry with a demo MPP through its HTTP API, idempotently.

Each entity is looked up by its natural key first (a site, agency, service or journey by
its code, a counter by its name at its site) and created only when missing, so running the
seed again changes nothing and says so. It goes through the API, not the database, so the
seeded data passes every rule a real admin's request does and every change is announced
as ``registry.changed`` like any other.
"""

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

KINDS = ("sites", "agencies", "services", "counters", "journeys")
_SINGULAR = {
    "sites": "site",
    "agencies": "agency",
    "services": "service",
    "counters": "counter",
    "journeys": "journey",
}
_SITE_FIELDS = ("code", "name", "kind", "timezone", "address", "motto", "hours", "closed_dates", "active")
_AGENCY_FIELDS = ("code", "name", "active")
_SERVICE_FIELDS = (
    "code",
    "prefix",
    "name_id",
    "name_en",
    "mean_service_min",
    "daily_quota",
    "documents_id",
    "documents_en",
    "hours",
    "priority_enabled",
    "active",
)
_JOURNEY_FIELDS = ("code", "name_id", "name_en", "kind", "active")
DEFAULT_DATA = Path("deploy/seed/kupang-demo.json")


class SeedError(RuntimeError):
    """The seed data or the registry refused; the message says which entity and why."""


@dataclass
class SeedSummary:
    name: str
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    present: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))

    @property
    def changed(self) -> bool:
        return any(self.created.values())

    def line(self) -> str:
        if not self.changed:
            return f"{self.name} already seeded, nothing changed: {_counts(self.present)} present"
        line = f"seeded {self.name}: {_counts(self.created)}"
        if any(self.present.values()):
            line += f" (already present: {_counts(self.present)})"
        return line


def _counts(by_kind: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {kind if n != 1 else _SINGULAR[kind]}" for kind, n in by_kind.items())


def _display_name(data: Mapping[str, Any]) -> str:
    sites = data.get("sites") or [{"name": "registry"}]
    main_site = next((s for s in sites if s.get("kind", "mpp") == "mpp"), sites[0])
    return str(main_site["name"]).replace("Mal Pelayanan Publik", "MPP")


def _pick(item: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    return {name: item[name] for name in fields if name in item}


class _Seeder:
    def __init__(self, client: httpx.AsyncClient, summary: SeedSummary) -> None:
        self._client = client
        self._summary = summary

    async def ensure(self, kind: str, key: Mapping[str, str], body: Mapping[str, Any]) -> str:
        """The id of the entity with ``key``, creating it from ``body`` when there is none."""
        found = await self._client.get(f"/v1/{kind}", params=dict(key))
        existing = self._answer(found, f"GET /v1/{kind}", key)["items"]
        if existing:
            self._summary.present[kind] += 1
            return str(existing[0]["id"])
        created = self._answer(
            await self._client.post(f"/v1/{kind}", json=dict(body)), f"POST /v1/{kind}", key
        )
        self._summary.created[kind] += 1
        return str(created["id"])

    @staticmethod
    def _answer(response: httpx.Response, what: str, key: Mapping[str, str]) -> dict[str, Any]:
        if not response.is_success:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise SeedError(f"{what} for {dict(key)} answered {response.status_code}: {detail}")
        answer: dict[str, Any] = response.json()
        return answer


def _lookup(ids: Mapping[Any, str], key: Any, what: str) -> str:
    try:
        return ids[key]
    except KeyError:
        raise SeedError(f"{what} refers to {key!r}, which the seed data does not define") from None


async def seed(client: httpx.AsyncClient, data: Mapping[str, Any]) -> SeedSummary:
    """Create what ``data`` describes and the registry lacks.

    ``client`` carries the registry's base URL and the admin token.
    """
    summary = SeedSummary(name=_display_name(data))
    seeder = _Seeder(client, summary)
    sites = {
        s["code"]: await seeder.ensure("sites", {"code": s["code"]}, _pick(s, _SITE_FIELDS))
        for s in data.get("sites", [])
    }
    agencies = {
        a["code"]: await seeder.ensure("agencies", {"code": a["code"]}, _pick(a, _AGENCY_FIELDS))
        for a in data.get("agencies", [])
    }
    services: dict[tuple[str, str], str] = {}
    for s in data.get("services", []):
        site_id = _lookup(sites, s["site"], f"service {s['code']}")
        body = {
            "site_id": site_id,
            "agency_id": _lookup(agencies, s["agency"], f"service {s['code']}"),
            **_pick(s, _SERVICE_FIELDS),
        }
        services[(s["site"], s["code"])] = await seeder.ensure(
            "services", {"site_id": site_id, "code": s["code"]}, body
        )
    for c in data.get("counters", []):
        what = f"counter {c['name']}"
        site_id = _lookup(sites, c["site"], what)
        body = {
            "site_id": site_id,
            "agency_id": _lookup(agencies, c["agency"], what),
            "name": c["name"],
            "service_ids": [_lookup(services, (c["site"], code), what) for code in c["services"]],
        }
        await seeder.ensure("counters", {"site_id": site_id, "name": c["name"]}, body)
    for j in data.get("journeys", []):
        what = f"journey {j['code']}"
        site_id = _lookup(sites, j["site"], what)
        body = {
            "site_id": site_id,
            "steps": [_lookup(services, (j["site"], code), what) for code in j["steps"]],
            **_pick(j, _JOURNEY_FIELDS),
        }
        await seeder.ensure("journeys", {"site_id": site_id, "code": j["code"]}, body)
    return summary


async def _wait_until_ready(client: httpx.AsyncClient, *, attempts: int, pause: float) -> None:
    """The launcher may run the seed while the registry is still starting."""
    for _ in range(max(attempts, 1)):
        try:
            if (await client.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(pause)
    raise SeedError(f"the registry at {client.base_url} was not ready in time; is it running?")


def load_data(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SeedError(f"cannot read seed data {path}: {exc}; pass --data PATH") from exc
    return data


async def run(
    registry_url: str, admin_token: str, data_path: Path, *, wait_seconds: float = 30.0
) -> SeedSummary:
    data = load_data(data_path)
    headers = {"Authorization": f"Bearer {admin_token}"}
    async with httpx.AsyncClient(base_url=registry_url, headers=headers, timeout=10.0) as client:
        pause = 0.5
        await _wait_until_ready(client, attempts=int(wait_seconds / pause), pause=pause)
        return await seed(client, data)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m registry.seed", description="Seed a registry with a demo MPP through its HTTP API."
    )
    parser.add_argument("--registry-url", default="http://127.0.0.1:8001")
    parser.add_argument(
        "--admin-token",
        default=os.environ.get("ANTRE_ADMIN_TOKEN"),
        help="the platform admin token (default: $ANTRE_ADMIN_TOKEN)",
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--wait", type=float, default=30.0, help="seconds to wait for the registry to be ready"
    )
    args = parser.parse_args(argv)
    if not args.admin_token:
        parser.error("pass --admin-token or set ANTRE_ADMIN_TOKEN")
    try:
        summary = asyncio.run(run(args.registry_url, args.admin_token, args.data, wait_seconds=args.wait))
    except SeedError as exc:
        print(f"seed failed: {exc}", file=sys.stderr)
        return 1
    print(summary.line())
    return 0
