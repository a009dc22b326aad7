"""Real Kafka: the registry arrives on antre.registry.v1, a ticket leaves on antre.queue.v1."""

import asyncio
import json
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from antre_contracts import topics

Harness = Any  # the conftest fixture's type; conftest modules are not importable here


async def test_registry_in_ticket_issued_out_keyed_by_site(make_harness: Any, kafka_bootstrap: str) -> None:
    async with make_harness(kafka_bootstrap=kafka_bootstrap) as harness:
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
        await producer.start()
        try:
            for event in harness.kupang.registry_events():
                await producer.send_and_wait(
                    topics.REGISTRY,
                    event.to_json(),
                    key=event.kafka_key(),
                    headers=[(k, v.encode()) for k, v in event.kafka_headers().items()],
                )
        finally:
            await producer.stop()

        issued = await _issue_once_the_registry_arrived(harness)
        record = await _find_on_queue_topic(kafka_bootstrap, issued["id"])
    assert record.key.decode() == str(harness.kupang.site_id)
    event = json.loads(record.value)
    assert (event["type"], event["siteid"], event["source"]) == (
        "ticket.issued",
        str(harness.kupang.site_id),
        "antre/ticketing",
    )
    assert event["data"]["number"] == issued["number"] == "A-001"
    assert dict(record.headers)["ce_type"] == b"ticket.issued"


async def _issue_once_the_registry_arrived(harness: Harness) -> dict[str, Any]:
    for _ in range(600):  # the consumer group needs a few seconds to join
        answer = await harness.issue()
        if answer.status_code == 201:
            return dict(answer.json())
        assert answer.status_code == 422, answer.text  # unknown service: not consumed yet
        await asyncio.sleep(0.1)
    raise AssertionError("the registry events never reached ticketing's read model")


async def _find_on_queue_topic(bootstrap: str, ticket_id: str) -> Any:
    consumer = AIOKafkaConsumer(
        topics.QUEUE, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        async with asyncio.timeout(60):
            async for record in consumer:
                if json.loads(record.value)["data"].get("ticket_id") == ticket_id:
                    return record
    finally:
        await consumer.stop()
    raise AssertionError("unreachable")
