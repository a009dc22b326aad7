"""make bench-notify: how fast notify sends to WhatsApp under the Cloud API's throughput cap,
and how long an event takes to become a sent message.

Runs a real PostgreSQL (antre_devstack), the wa-sandbox (the Graph API look-alike) and notify,
in this process. Events are handed to notify's consumer function directly (the same handler
the Kafka subscriber calls), so the latency measured is notify's own: from the event that
completes a message (``ticket.estimated``) to the sandbox receiving the Graph API call; Kafka
transit is not included.

Two phases:
- burst: BURST tickets become sendable at once; the sender must reach the cap (80/s by
  default) and never exceed it in any one-second span;
- steady: tickets at STEADY_RATE per second (below the cap) for STEADY_SECONDS; the
  event-to-send latency p50/p99 there is what a citizen notices.
Bounded to under two minutes.
"""

import asyncio
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import httpx
from antre_contracts import CloudEvent, new_event
from antre_contracts.events import RegistryChanged, TicketEstimated, TicketIssued
from antre_devstack.ports import free_port
from antre_devstack.postgres import PostgresNode
from antre_platform.sealed import public_key_of, seal
from fastapi import FastAPI
from notify.main import create_app as create_notify
from notify.settings import Settings as NotifySettings

CAP = float(os.environ.get("ANTRE_WHATSAPP_MAX_MESSAGES_PER_SECOND", "80"))
BURST = int(os.environ.get("BENCH_BURST", "800"))
STEADY_RATE = float(os.environ.get("BENCH_STEADY_RATE", "20"))
STEADY_SECONDS = float(os.environ.get("BENCH_STEADY_SECONDS", "10"))
DEADLINE_SECONDS = 110.0
INTERNAL_TOKEN = "bench-internal-token"


class Site:
    def __init__(self) -> None:
        self.site_id, self.agency_id, self.service_id = uuid4(), uuid4(), uuid4()
        self._numbers = 0

    def registry(self) -> list[CloudEvent]:
        now = datetime.now(UTC) - timedelta(days=1)
        site = {
            "id": str(self.site_id),
            "code": "MPP-KPG",
            "name": "MPP Kota Kupang",
            "kind": "mpp",
            "timezone": "Asia/Makassar",
            "address": "Kupang",
            "motto": "",
            "hours": {},
            "closed_dates": [],
            "active": True,
        }
        service = {
            "id": str(self.service_id),
            "site_id": str(self.site_id),
            "agency_id": str(self.agency_id),
            "code": "PKB-TAHUNAN",
            "prefix": "A",
            "name_id": "Pembayaran Pajak Kendaraan Tahunan",
            "name_en": "Annual vehicle tax",
            "mean_service_min": 5,
            "daily_quota": 5000,
            "documents_id": ["KTP asli"],
            "documents_en": [],
            "hours": None,
            "priority_enabled": True,
            "active": True,
        }
        return [
            new_event(
                type="registry.changed",
                source="antre/registry",
                site_id=self.site_id,
                subject=UUID(s["id"]),
                time=now,
                data=RegistryChanged(entity=kind, id=UUID(s["id"]), op="upsert", state=s),
            )
            for kind, s in (("site", site), ("service", service))
        ]

    def issued(self, ticket_id: UUID, at: datetime) -> CloudEvent:
        self._numbers += 1
        return new_event(
            type="ticket.issued",
            source="antre/ticketing",
            site_id=self.site_id,
            subject=ticket_id,
            time=at,
            data=TicketIssued(
                ticket_id=ticket_id,
                number=f"A-{self._numbers:03d}",
                service_id=self.service_id,
                site_id=self.site_id,
                agency_id=self.agency_id,
                channel="whatsapp",
                issued_at=at,
                travel_minutes=15,
            ),
        )

    def estimated(self, ticket_id: UUID, at: datetime) -> CloudEvent:
        return new_event(
            type="ticket.estimated",
            source="antre/estimation",
            site_id=self.site_id,
            subject=ticket_id,
            time=at,
            data=TicketEstimated(
                ticket_id=ticket_id,
                service_id=self.service_id,
                at=at,
                position=3,
                call_p10=at + timedelta(minutes=20),
                call_p50=at + timedelta(minutes=30),
                call_p90=at + timedelta(minutes=45),
                arrive_by=at + timedelta(minutes=15),
            ),
        )


@asynccontextmanager
async def sandbox_process(port: int) -> AsyncIterator[None]:
    """The wa-sandbox in its own process, as Meta is elsewhere: its arrival times are not
    skewed by notify's work on the same event loop."""
    env = {
        **os.environ,
        "ANTRE_HTTP_PORT": str(port),
        "ANTRE_SANDBOX_STATUS_CALLBACKS": "false",
        "ANTRE_LOG_LEVEL": "warning",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wa_sandbox", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            for _ in range(150):
                try:
                    if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the wa-sandbox did not start")
        yield
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 15)


def max_in_any_second(times: list[float]) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Bench:
    def __init__(
        self, notify_app: FastAPI, http: httpx.AsyncClient, sandbox_url: str, settings: NotifySettings
    ) -> None:
        self.notify = notify_app.state.notify
        self.http = http
        self.sandbox_url = sandbox_url
        self.public_key = public_key_of(settings.notify_private_key)
        self.site = Site()
        self._phones = 0
        self.fired_at: dict[str, float] = {}  # wa_id -> wall time the completing event was handled

    def _phone(self) -> str:
        self._phones += 1
        return f"+62813{self._phones:08d}"

    async def prepare(self, count: int) -> list[tuple[UUID, str]]:
        """Tickets with their recipient and issue known, waiting only for their estimate."""
        now = datetime.now(UTC)
        prepared = []
        semaphore = asyncio.Semaphore(8)

        async def one() -> None:
            ticket_id, phone = uuid4(), self._phone()
            async with semaphore:
                await self.notify.handle_event(self.site.issued(ticket_id, now))
                response = await self.http.put(
                    f"/internal/v1/recipients/{ticket_id}",
                    headers={"Authorization": f"Bearer {INTERNAL_TOKEN}"},
                    json={
                        "sealed_phone": seal(self.public_key, phone.encode()),
                        "locale": "id",
                        "site_id": str(self.site.site_id),
                    },
                )
                assert response.status_code == 204, response.text
            prepared.append((ticket_id, phone))

        await asyncio.gather(*(one() for _ in range(count)))
        return prepared

    async def fire(self, ticket_id: UUID, phone: str) -> None:
        self.fired_at[phone.lstrip("+")] = time.time()
        await self.notify.handle_event(self.site.estimated(ticket_id, datetime.now(UTC)))

    async def sent(self) -> dict[str, float]:
        async with httpx.AsyncClient(timeout=30) as sandbox:
            response = await sandbox.get(f"{self.sandbox_url}/sandbox/messages")
        response.raise_for_status()
        return {m["to"]: datetime.fromisoformat(m["received_at"]).timestamp() for m in response.json()}

    async def wait_sent(self, phones: list[str], deadline: float) -> dict[str, float]:
        wanted = {p.lstrip("+") for p in phones}
        while True:
            sent = await self.sent()
            if wanted <= sent.keys() or time.monotonic() > deadline:
                return {p: t for p, t in sent.items() if p in wanted}
            await asyncio.sleep(0.25)

    async def reset(self) -> None:
        async with httpx.AsyncClient(timeout=30) as sandbox:
            (await sandbox.delete(f"{self.sandbox_url}/sandbox/messages")).raise_for_status()


async def run(database_url: str) -> int:
    started = time.monotonic()
    deadline = started + DEADLINE_SECONDS
    sandbox_port = free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    notify_settings = NotifySettings(
        env="test",
        database_url=database_url,
        kafka_bootstrap=f"127.0.0.1:{free_port()}",
        whatsapp_api_url=sandbox_url,
        internal_token=INTERNAL_TOKEN,
        whatsapp_max_messages_per_second=CAP,
        estimate_wait_seconds=3600,
        send_poll_seconds=0.05,
        send_concurrency=16,
    )
    notify_app = create_notify(notify_settings)
    async with sandbox_process(sandbox_port), notify_app.router.lifespan_context(notify_app):
        transport = httpx.ASGITransport(notify_app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://notify", timeout=30
        ) as notify_http:
            bench = Bench(notify_app, notify_http, sandbox_url, notify_settings)
            for event in bench.site.registry():
                await bench.notify.handle_event(event)

            # Burst: everything becomes sendable at once.
            tickets = await bench.prepare(BURST)
            await bench.reset()
            await asyncio.gather(*(bench.fire(t, p) for t, p in tickets))
            burst = await bench.wait_sent([p for _, p in tickets], deadline - STEADY_SECONDS - 15)
            times = sorted(burst.values())
            span = times[-1] - times[0] if len(times) > 1 else 0.0
            rate = (len(times) - 1) / span if span > 0 else 0.0
            peak = max_in_any_second(times)

            # Steady: below the cap, latency as a citizen feels it.
            steady_count = int(STEADY_RATE * STEADY_SECONDS)
            steady = await bench.prepare(steady_count)
            await bench.reset()
            for ticket_id, phone in steady:
                await bench.fire(ticket_id, phone)
                await asyncio.sleep(1 / STEADY_RATE)
            sent = await bench.wait_sent([p for _, p in steady], deadline)
            latencies = [
                (sent[p.lstrip("+")] - bench.fired_at[p.lstrip("+")]) * 1000
                for _, p in steady
                if p.lstrip("+") in sent
            ]

    print(f"notify bench (cap {CAP:g} messages/s, wa-sandbox in its own process, real PostgreSQL)")
    print(
        f"  burst:  {len(times)}/{BURST} messages sent in {span:.2f} s = {rate:.1f} messages/s "
        f"= {rate / CAP:.0%} of the cap; busiest one-second span: {peak} "
        f"({'never exceeded' if peak <= CAP else 'EXCEEDED'})"
    )
    if latencies:
        print(
            f"  steady: {len(latencies)}/{steady_count} messages at {STEADY_RATE:g}/s; event-to-send latency "
            f"p50 {statistics.median(latencies):.0f} ms, p99 {percentile(latencies, 0.99):.0f} ms"
        )
    print(f"  total time {time.monotonic() - started:.1f} s")
    complete = len(times) == BURST and len(latencies) == steady_count
    return 0 if complete and peak <= CAP else 1


def main() -> int:
    # Kafka is deliberately absent (events are handed over directly): keep its retries quiet.
    logging.basicConfig(level=logging.CRITICAL)
    warnings.simplefilter("ignore", ResourceWarning)
    state = Path(tempfile.mkdtemp(prefix="antre-notify-bench-"))
    node = PostgresNode(state / "postgres", port=free_port())
    try:
        node.start()
        node.wait_ready()
        node.create_database("notify")
        return asyncio.run(run(node.dsn("notify")))
    finally:
        node.stop()
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
