"""The registry subscriber's wiring, on FastStream's in-memory test broker."""

from datetime import UTC, datetime
from uuid import uuid4

from antre_contracts import CloudEvent, new_event, topics
from antre_contracts.events import RegistryChanged
from faststream.kafka import KafkaBroker, TestKafkaBroker
from ticketing.entrypoints.registry_consumer import subscribe_registry


async def test_registry_records_reach_the_handler_as_cloudevents_and_garbage_is_skipped() -> None:
    received: list[CloudEvent] = []

    async def handle(event: CloudEvent) -> None:
        received.append(event)

    broker = KafkaBroker()
    subscribe_registry(broker, service="ticketing", handle=handle)
    site_id = uuid4()
    event = new_event(
        type="registry.changed",
        source="antre/registry",
        site_id=site_id,
        subject=site_id,
        time=datetime.now(UTC),
        data=RegistryChanged(entity="site", id=site_id, op="upsert"),
    )
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(b"not a cloudevent", topics.REGISTRY)
        await test_broker.publish(event.to_json(), topics.REGISTRY, key=event.kafka_key())
    assert [(e.id, e.type, e.siteid) for e in received] == [(event.id, "registry.changed", str(site_id))]
