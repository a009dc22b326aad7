"""The Kafka subscriber's wiring, on FastStream's in-memory test broker."""

from typing import Any

from antre_contracts import CloudEvent
from antre_contracts.topics import QUEUE, topic_for
from faststream.kafka import KafkaBroker, TestKafkaBroker

from estimation.adapters.memory import MemoryDatabase
from estimation.app.estimates import EstimationPolicy
from estimation.entrypoints.consumer import subscribe


async def publish_all(broker: KafkaBroker, *events: CloudEvent) -> None:
    for event in events:
        await broker.publish(
            event.to_json(), topic_for(event.type), key=event.kafka_key(), headers=event.kafka_headers()
        )


async def test_records_on_both_topics_reach_the_handlers(hall: Any) -> None:
    db = MemoryDatabase()
    broker = KafkaBroker("127.0.0.1:9")
    subscribe(broker, unit_of_work=db.unit_of_work, policy=EstimationPolicy())

    async with TestKafkaBroker(broker) as test_broker:
        await publish_all(test_broker, hall.site(), hall.service(mean_service_min=7), hall.issued(2))

    [estimate] = [e.data for e in db.state.published if e.type == "ticket.estimated"]
    # Issued 08:02, first in line, one 7-minute service (its median) ahead.
    assert "2026-05-04T08:05:00+08:00" < estimate["call_p50"] < "2026-05-04T08:09:00+08:00"


async def test_a_record_that_is_not_a_cloudevent_is_skipped(hall: Any) -> None:
    db = MemoryDatabase()
    broker = KafkaBroker("127.0.0.1:9")
    subscribe(broker, unit_of_work=db.unit_of_work, policy=EstimationPolicy())

    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(b'{"hello": "world"}', QUEUE, key=b"x")
        await publish_all(test_broker, hall.issued(1))

    assert [e.type for e in db.state.published] == ["ticket.estimated", "queue.forecast"]
