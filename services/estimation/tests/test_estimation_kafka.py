"""Through real Kafka: registry and queue records in, forecasts and estimates out."""

import asyncio
import contextlib
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from antre_contracts import CloudEvent, parse_event
from antre_contracts.topics import ESTIMATES, topic_for

from estimation.main import create_app
from estimation.settings import Settings


async def publish(bootstrap: str, events: list[CloudEvent]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for event in events:
            headers = [(k, v.encode()) for k, v in event.kafka_headers().items()]
            await producer.send_and_wait(
                topic_for(event.type), event.to_json(), key=event.kafka_key(), headers=headers
            )
    finally:
        await producer.stop()


async def estimates_for(bootstrap: str, *, ticket_id: str, service_id: str) -> dict[str, CloudEvent]:
    """The ticket's ticket.estimated, and its service's queue.forecast once it waits."""
    consumer = AIOKafkaConsumer(ESTIMATES, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    found: dict[str, CloudEvent] = {}
    try:
        # Whatever arrived within the minute is returned: the assertions say what is missing.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(60):
                async for record in consumer:
                    event = parse_event(record.value)
                    if event.type == "ticket.estimated" and event.data["ticket_id"] == ticket_id:
                        found[event.type] = event
                    elif (
                        event.type == "queue.forecast"
                        and event.data["service_id"] == service_id
                        and event.data["waiting"] == 1
                    ):
                        found[event.type] = event
                    if len(found) == 2:
                        return found
    finally:
        await consumer.stop()
    return found


async def registry_applied(pool: asyncpg.Pool) -> None:
    for _ in range(300):
        if await pool.fetchval("SELECT count(*) FROM services"):
            return
        await asyncio.sleep(0.2)
    raise AssertionError("estimation did not apply the registry.changed events within a minute")


async def test_an_issued_ticket_comes_back_estimated_on_the_estimates_topic(
    kafka_bootstrap: str, database_url: str, hall: Any
) -> None:
    ticket = hall.issued(1)
    await publish(kafka_bootstrap, [hall.site(), hall.service(mean_service_min=4)])
    # Registry and queue are separate topics; let the registry lead so the mean is known.
    settings = Settings(
        env="test", database_url=database_url, kafka_bootstrap=kafka_bootstrap, relay_poll_seconds=0.1
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await registry_applied(app.state.runtime.pool)
        await publish(kafka_bootstrap, [ticket])
        found = await estimates_for(
            kafka_bootstrap, ticket_id=str(hall.ticket_id(ticket)), service_id=str(hall.service_id)
        )

    assert set(found) == {"ticket.estimated", "queue.forecast"}
    estimate, forecast = found["ticket.estimated"], found["queue.forecast"]
    assert estimate.siteid == str(hall.site_id) and estimate.source == "antre/estimation"
    # First in line, no counter open yet: one 4-minute service (the median of its law) away.
    assert estimate.data["position"] == 1
    assert "2026-05-04T08:02:00+08:00" < estimate.data["call_p50"] < "2026-05-04T08:05:00+08:00"
    assert (forecast.data["service_id"], forecast.data["waiting"]) == (str(hall.service_id), 1)
    assert 4.0 < forecast.data["wait_p50"] < 8.0
