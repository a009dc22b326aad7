"""The real path end to end: events on Kafka -> notify -> the Graph API, and notify's own
events back on Kafka through its outbox."""

import json
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from antre_contracts import CloudEvent, topics
from antre_contracts.topics import topic_for

pytestmark = pytest.mark.slow


async def publish(producer: AIOKafkaProducer, *events: CloudEvent) -> None:
    for event in events:
        await producer.send_and_wait(
            topic_for(event.type),
            event.to_json(),
            key=event.kafka_key(),
            headers=[(k, v.encode()) for k, v in event.kafka_headers().items()],
        )


async def test_events_on_kafka_send_one_message_and_notify_reports_it_on_kafka(
    start_notify: Any, hall: Any, fake_graph: Any, kafka_bootstrap: str
) -> None:
    ticket_id = uuid4()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    consumer = AIOKafkaConsumer(
        topics.NOTIFICATIONS, bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    try:
        async with start_notify(kafka_bootstrap=kafka_bootstrap) as notify:
            events = [*hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id)]
            await publish(producer, *events)
            assert (await notify.hand_off(ticket_id, hall.site_id)).status_code == 204
            await notify.eventually(lambda: len(fake_graph.requests) == 1, within=60)
            assert fake_graph.bodies()[0].startswith("Nomor antrean Anda *A-001* untuk Pembayaran Pajak")
            assert "pukul 09:40 WITA (antara 09:30–09:55)" in fake_graph.bodies()[0]

            await publish(producer, *events)  # Kafka redelivers: still one message
            await publish(producer, hall.called(ticket_id))
            await notify.eventually(lambda: len(fake_graph.requests) == 2, within=30)
            assert fake_graph.bodies()[1] == "Nomor *A-001* dipanggil. Silakan menuju *Loket 3* sekarang."

            reported: list[dict[str, Any]] = []
            while len([e for e in reported if e["type"] == "notification.sent"]) < 2:
                batch = await consumer.getmany(timeout_ms=1000)
                assert batch or len(reported) < 100
                for records in batch.values():
                    for record in records:
                        event = json.loads(record.value)
                        if event["data"].get("ticket_id") == str(ticket_id):
                            assert record.key == str(hall.site_id).encode()
                            assert b"81234567890" not in record.value
                            reported.append(event)
            assert len(fake_graph.requests) == 2
            assert sorted(e["data"]["kind"] for e in reported) == ["called", "ticket_issued"]
    finally:
        await consumer.stop()
        await producer.stop()
