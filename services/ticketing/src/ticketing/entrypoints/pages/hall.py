"""What the hall's pages read: ticketing's own tables, and (cached, best effort) the registry's
agency names and estimation's forecasts and estimates. A page never fails because a
neighbour is down: it shows less."""

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import httpx

from ticketing.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeskView:
    status: str
    pause_reason: str | None


@dataclass
class _Cached:
    value: dict[str, Any] | None
    fetched: float


@dataclass
class Neighbours:
    """Best-effort reads from the registry and estimation, cached a few seconds."""

    client: httpx.AsyncClient
    settings: Settings
    catalog_ttl: float = 60.0
    forecast_ttl: float = 5.0
    # A citizen's page polls every 2-4 s and shows minutes: one estimation call per 10 s will do.
    estimate_ttl: float = 10.0
    # One entry per ticket whose page is open: expired entries go once the cache holds this many.
    max_entries: int = 20_000
    _cache: dict[str, _Cached] = field(default_factory=dict)

    async def catalog(self, site_id: UUID) -> dict[str, Any] | None:
        """The registry's public catalog of a site (agency names, documents), or None."""
        url = f"{self.settings.registry_url}/v1/sites/{site_id}/catalog"
        return await self._get(url, self.catalog_ttl)

    async def forecast(self, service_id: UUID) -> dict[str, Any] | None:
        url = f"{self.settings.estimation_url}/v1/services/{service_id}/forecast"
        return await self._get(url, self.forecast_ttl)

    async def forecasts(self, service_ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
        answers = await asyncio.gather(*(self.forecast(s) for s in service_ids))
        return {s: a for s, a in zip(service_ids, answers, strict=True) if a is not None}

    async def estimate(self, ticket_id: UUID) -> dict[str, Any] | None:
        """A waiting ticket's call band, cached ``estimate_ttl`` seconds."""
        url = f"{self.settings.estimation_url}/v1/tickets/{ticket_id}/estimate"
        return await self._get(url, self.estimate_ttl)

    async def _get(self, url: str, ttl: float) -> dict[str, Any] | None:
        cached = self._cache.get(url)
        if cached and time.monotonic() - cached.fetched < ttl:
            return cached.value
        value: dict[str, Any] | None
        try:
            response = await self.client.get(url, timeout=1.5)
            answer = response.json() if response.status_code == 200 else None
            value = answer if isinstance(answer, dict) else None
        except (httpx.HTTPError, ValueError) as exc:
            # Say it once when it goes away, not at every poll.
            if cached is None or cached.value is not None:
                log.info(
                    "hall pages: %s unavailable (%s); showing what ticketing knows", url, type(exc).__name__
                )
            value = cached.value if cached else None
        if ttl > 0:
            if len(self._cache) >= self.max_entries:
                self._forget_older_than(max(self.catalog_ttl, self.forecast_ttl, self.estimate_ttl))
            self._cache[url] = _Cached(value, time.monotonic())
        return value

    def _forget_older_than(self, seconds: float) -> None:
        now = time.monotonic()
        for url in [u for u, c in self._cache.items() if now - c.fetched >= seconds]:
            del self._cache[url]
        if len(self._cache) >= self.max_entries:
            self._cache.clear()  # all fresh yet too many: start over rather than grow


class HallReads:
    """Reads for the pages that ticketing's repositories do not offer, without row locks
    (a screen refreshing must never queue behind a counter's call-next)."""

    def __init__(self, pool: Callable[[], asyncpg.Pool]) -> None:
        self._pool = pool

    async def desk(self, counter_id: UUID) -> DeskView:
        row = await self._pool().fetchrow(
            "SELECT status, pause_reason FROM counter_desks WHERE counter_id = $1", counter_id
        )
        return DeskView(row["status"], row["pause_reason"]) if row else DeskView("closed", None)

    async def ticket_at(self, counter_id: UUID) -> dict[str, Any] | None:
        row = await self._pool().fetchrow(
            "SELECT id, number, status, service_id, channel, priority, issued_at, queued_at, called_at, "
            "started_at, recalls FROM tickets WHERE counter_id = $1 AND status IN ('called', 'serving')",
            counter_id,
        )
        return dict(row) if row else None

    async def ticket_id_for(self, access_token: str) -> UUID | None:
        ticket_id: UUID | None = await self._pool().fetchval(
            "SELECT id FROM tickets WHERE access_token = $1", access_token
        )
        return ticket_id

    async def service_details(self, site_id: UUID) -> dict[UUID, dict[str, Any]]:
        """Documents and mean service time of each service, as the registry sent them."""
        rows = await self._pool().fetch(
            "SELECT id, state FROM services WHERE site_id = $1 AND NOT deleted", site_id
        )
        return {row["id"]: _json(row["state"]) for row in rows}

    async def site_state(self, site_id: UUID) -> dict[str, Any] | None:
        raw = await self._pool().fetchval("SELECT state FROM sites WHERE id = $1 AND NOT deleted", site_id)
        return _json(raw) if raw is not None else None


def _json(raw: Any) -> dict[str, Any]:
    value = json.loads(raw) if isinstance(raw, str) else raw
    return value if isinstance(value, dict) else {}


Loader = Callable[[UUID], Awaitable[dict[str, Any]]]


class SiteFeed:
    """One poller per watched site, shared by all its screens: a board on every floor costs
    one query per poll, not one per screen. Each subscriber keeps only the latest state,
    so a slow screen skips to now instead of falling behind."""

    def __init__(self, load: Loader, poll_seconds: float) -> None:
        self._load = load
        self._poll = poll_seconds
        self._subscribers: dict[UUID, set[asyncio.Queue[str]]] = {}
        self._pollers: dict[UUID, asyncio.Task[None]] = {}
        self._latest: dict[UUID, str] = {}

    def subscribe(self, site_id: UUID) -> asyncio.Queue[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1)
        self._subscribers.setdefault(site_id, set()).add(queue)
        if site_id in self._latest:
            queue.put_nowait(self._latest[site_id])
        if site_id not in self._pollers or self._pollers[site_id].done():
            self._pollers[site_id] = asyncio.create_task(self._run(site_id), name=f"hall-feed:{site_id}")
        return queue

    def unsubscribe(self, site_id: UUID, queue: asyncio.Queue[str]) -> None:
        watchers = self._subscribers.get(site_id, set())
        watchers.discard(queue)
        if not watchers:
            self._subscribers.pop(site_id, None)
            self._latest.pop(site_id, None)
            poller = self._pollers.pop(site_id, None)
            if poller:
                poller.cancel()

    async def close(self) -> None:
        for poller in self._pollers.values():
            poller.cancel()
        self._pollers.clear()

    async def _run(self, site_id: UUID) -> None:
        while self._subscribers.get(site_id):
            try:
                payload = json.dumps(await self._load(site_id), default=str, sort_keys=True)
            except Exception:  # a failed poll must not end the stream; the next one retries
                log.exception("hall feed: loading site %s failed", site_id)
                await asyncio.sleep(self._poll * 4)
                continue
            if payload != self._latest.get(site_id):
                self._latest[site_id] = payload
                for queue in list(self._subscribers.get(site_id, ())):
                    _replace(queue, payload)
            await asyncio.sleep(self._poll)


def _replace(queue: asyncio.Queue[str], payload: str) -> None:
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(payload)


def minutes_between(earlier: datetime | None, later: datetime) -> int | None:
    return None if earlier is None else max(0, int((later - earlier).total_seconds() // 60))
