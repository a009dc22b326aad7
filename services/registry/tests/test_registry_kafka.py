"""A registry change reaches Kafka as a CloudEvent that any consumer can parse."""

import asyncio
from uuid import uuid4

import httpx
from aiokafka import AIOKafkaConsumer
from antre_contracts import CloudEvent, parse_event, topics
from antre_platform.clock import FixedClock
from registry.main import create_app

from .support import ADMIN_TOKEN, NOW, new_agency, new_service, new_site, registry_settings


async def _first_event_about(consumer: AIOKafkaConsumer, subject: str) -> tuple[CloudEvent, bytes | None]:
    async for record in consumer:
        event = parse_event(record.value)
        if event.subject == subject:
            return event, record.key
    raise AssertionError("the topic ended")


async def test_a_new_service_reaches_the_registry_topic(database_url: str, kafka_bootstrap: str) -> None:
    app = create_app(registry_settings(database_url, kafka_bootstrap), clock=FixedClock(NOW))
    consumer = AIOKafkaConsumer(
        topics.REGISTRY,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"test-{uuid4()}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://registry",
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            ) as admin,
        ):
            site = await new_site(admin, code=f"S-{uuid4().hex[:8]}")
            service = await new_service(admin, site, await new_agency(admin, code=f"A-{uuid4().hex[:8]}"))

            event, key = await asyncio.wait_for(_first_event_about(consumer, service["id"]), timeout=30)
    finally:
        await consumer.stop()

    assert key == site["id"].encode(), "keyed by site, so a site's events keep their order"
    assert (event.type, event.source, event.siteid) == ("registry.changed", "antre/registry", site["id"])
    assert event.data == {"entity": "service", "id": service["id"], "op": "upsert", "state": service}
