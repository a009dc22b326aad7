"""Kafka consumption with FastStream: one broker per service, at-least-once delivery.

Subscribers commit an offset only after their handler returns (``NACK_ON_ERROR``: an
exception rewinds to the same record). Handlers make redelivery harmless through the
inbox. An event that cannot be parsed is logged and skipped, never retried forever.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka.client import AIOKafkaClient
from antre_contracts import CloudEvent, UnknownEventType, parse_event
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.middlewares import AckPolicy
from opentelemetry.trace import TracerProvider
from pydantic import ValidationError

log = logging.getLogger(__name__)

EventHandler = Callable[[CloudEvent], Awaitable[None]]


def make_broker(bootstrap_servers: str, *, service: str, tracer_provider: TracerProvider) -> KafkaBroker:
    return KafkaBroker(
        bootstrap_servers,
        client_id=f"antre-{service}",
        middlewares=[KafkaTelemetryMiddleware(tracer_provider=tracer_provider)],
        logger=logging.getLogger(f"antre.{service}.kafka"),
    )


def subscription(service: str) -> dict[str, Any]:
    """Keyword arguments for ``broker.subscriber``: one consumer group per service."""
    return {
        "group_id": service,
        "auto_offset_reset": "earliest",
        "ack_policy": AckPolicy.NACK_ON_ERROR,
    }


def cloudevent_handler(
    handle: EventHandler, *, retry_pause: float = 1.0
) -> Callable[[KafkaMessage], Awaitable[None]]:
    """Wrap ``handle(event)`` as a FastStream handler taking the raw Kafka message.

    Bad events are skipped with a warning; any other failure (PostgreSQL away, a bug)
    pauses briefly and re-raises, so the record is delivered again.
    """

    # No functools.wraps: FastStream reads the signature to decide what to inject, and it
    # must see ``msg: KafkaMessage``, not the wrapped ``event: CloudEvent``.
    async def on_message(msg: KafkaMessage) -> None:
        try:
            event = parse_event(msg.body)
        except (ValidationError, UnknownEventType, ValueError) as exc:
            log.warning("skipping an event that is not a valid Antre CloudEvent: %s", exc)
            return
        try:
            await handle(event)
        except (ValidationError, UnknownEventType) as exc:
            log.warning("skipping %s %s: its data does not match the contract: %s", event.type, event.id, exc)
        except Exception:
            log.exception("handling %s %s failed; it will be delivered again", event.type, event.id)
            await asyncio.sleep(retry_pause)
            raise

    on_message.__name__ = getattr(handle, "__name__", "on_message")
    return on_message


async def kafka_reachable(bootstrap_servers: str) -> None:
    """Raise unless a Kafka bootstrap server answers; the probe client is always closed."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
    try:
        await client.bootstrap()
    finally:
        await client.close()


async def start_broker(broker: KafkaBroker, *, service: str, bootstrap_servers: str | None = None) -> None:
    """Start ``broker``, retrying while Kafka is unreachable, so a service can start first.

    With ``bootstrap_servers`` Kafka is probed first: FastStream leaves the producer of a failed
    ``broker.start()`` unclosed, which logs "Unclosed AIOKafkaProducer" on every retry."""
    delay = 0.5
    while True:
        try:
            if bootstrap_servers is not None:
                await kafka_reachable(bootstrap_servers)
            await broker.start()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("%s cannot reach Kafka yet (%s); retrying in %.1fs", service, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
