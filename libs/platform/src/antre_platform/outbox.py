"""Transactional outbox: events are written with the state change, then relayed to Kafka.

``enqueue`` runs inside the caller's transaction, so an event exists exactly when its
state change committed. ``OutboxRelay`` publishes pending rows in id order with an
idempotent producer and only then marks them published; if Kafka is down the rows wait
and go out when it returns. A crash between publish and mark republishes a row, which
consumers absorb by event id (see ``inbox``). One relay per database publishes at a
time (an advisory lock), so a site's events keep their order even with many replicas.
"""

import asyncio
import contextlib
import json
import logging
import zlib
from collections.abc import Mapping
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from antre_contracts import CloudEvent
from antre_contracts.topics import topic_for
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

log = logging.getLogger(__name__)
_NOTIFY_CHANNEL = "antre_outbox"
_tracer = trace.get_tracer("antre.outbox")


async def enqueue(conn: asyncpg.Connection, event: CloudEvent, *, topic: str | None = None) -> None:
    """Add ``event`` to the outbox in the caller's transaction.

    The current trace context is stored with it, so the relay's publish and every
    consumer's work continue the trace of the request that caused the event.
    """
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    # One round trip: the row, and the wake-up of the relay (delivered at commit; PostgreSQL
    # folds the identical notifications of one transaction into one).
    await conn.execute(
        "WITH added AS (INSERT INTO outbox (event_id, topic, record_key, event_type, payload, headers) "
        "VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING 1) SELECT pg_notify($7, '') FROM added",
        event.id,
        topic or topic_for(event.type),
        event.siteid,
        event.type,
        event.to_json(),
        json.dumps({**event.kafka_headers(), **carrier}),
        _NOTIFY_CHANNEL,
    )


class OutboxRelay:
    """Publishes a service's outbox to Kafka; run it as a background task."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        bootstrap_servers: str,
        service: str,
        poll_seconds: float = 0.5,
        batch_size: int = 200,
    ) -> None:
        self._pool = pool
        self._bootstrap = bootstrap_servers
        self._service = service
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size
        self._lock_key = zlib.crc32(f"outbox:{service}".encode())
        self._wakeup = asyncio.Event()
        self.kafka_connected = False
        self.published = 0

    async def run(self) -> None:
        """Relay until cancelled; every failure is retried, none loses an event."""
        backoff = self._poll_seconds
        while True:
            try:
                await self._lead_and_relay()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure: Kafka or PostgreSQL away; retry
                self.kafka_connected = False
                log.warning("outbox relay of %s paused: %s; retrying in %.1fs", self._service, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            else:
                backoff = self._poll_seconds

    async def _lead_and_relay(self) -> None:
        async with self._pool.acquire() as lock_conn:
            # Another replica leads; PostgreSQL has no wake-up for a freed advisory lock.
            while not await lock_conn.fetchval("SELECT pg_try_advisory_lock($1)", self._lock_key):  # noqa: ASYNC110
                await asyncio.sleep(max(self._poll_seconds, 1.0))
            await lock_conn.add_listener(_NOTIFY_CHANNEL, self._on_notify)
            producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap,
                client_id=f"antre-{self._service}-outbox",
                enable_idempotence=True,
                acks="all",
                linger_ms=2,
                request_timeout_ms=10_000,
            )
            try:
                await producer.start()
                self.kafka_connected = True
                while True:
                    if await self._publish_batch(producer) < self._batch_size:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._wakeup.wait(), self._poll_seconds)
                        self._wakeup.clear()
            finally:
                self.kafka_connected = False
                await producer.stop()
                with contextlib.suppress(Exception):
                    await lock_conn.remove_listener(_NOTIFY_CHANNEL, self._on_notify)
                    await lock_conn.execute("SELECT pg_advisory_unlock($1)", self._lock_key)

    def _on_notify(self, *_: object) -> None:
        self._wakeup.set()

    async def _publish_batch(self, producer: AIOKafkaProducer) -> int:
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT id, topic, record_key, event_type, payload, headers FROM outbox "
                "WHERE published_at IS NULL ORDER BY id LIMIT $1",
                self._batch_size,
            )
            if not rows:
                return 0
            deliveries = [await self._send(producer, row) for row in rows]
            await asyncio.gather(*deliveries)
            await conn.execute(
                "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])",
                [row["id"] for row in rows],
            )
        self.published += len(rows)
        return len(rows)

    async def _send(self, producer: AIOKafkaProducer, row: Mapping[str, Any]) -> "asyncio.Future[Any]":
        stored: dict[str, str] = json.loads(row["headers"])
        parent = propagate.extract(stored)
        token = otel_context.attach(parent)
        try:
            with _tracer.start_as_current_span(
                f"{row['topic']} publish",
                kind=trace.SpanKind.PRODUCER,
                attributes={"messaging.system": "kafka", "messaging.destination.name": row["topic"],
                            "cloudevents.event_type": row["event_type"]},
            ):
                headers = {k: v for k, v in stored.items() if k not in ("traceparent", "tracestate")}
                propagate.inject(headers)
                return await producer.send(
                    row["topic"],
                    value=bytes(row["payload"]),
                    key=row["record_key"].encode(),
                    headers=[(k, v.encode()) for k, v in headers.items()],
                )
        finally:
            otel_context.detach(token)

