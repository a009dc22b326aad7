"""A service that starts before Kafka retries quietly: one warning per try, no leaked clients."""

import asyncio
import gc
import logging

import pytest
from aiokafka import AIOKafkaProducer
from antre_devstack.ports import free_port
from antre_platform.messaging import start_broker
from faststream.kafka import KafkaBroker


def open_producers() -> int:
    """Kafka producers started and never stopped (each logs "Unclosed AIOKafkaProducer")."""
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, AIOKafkaProducer) and o._closed is False)


async def test_waiting_for_kafka_leaks_no_producer_per_retry(caplog: pytest.LogCaptureFixture) -> None:
    nowhere = f"127.0.0.1:{free_port()}"  # nothing listens there
    before = open_producers()
    broker = KafkaBroker(nowhere)
    with caplog.at_level(logging.WARNING):
        task = asyncio.create_task(start_broker(broker, service="probe", bootstrap_servers=nowhere))
        await asyncio.sleep(1.8)  # the first tries, 0.5 s then 1 s apart
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    retries = [r for r in caplog.records if "cannot reach Kafka yet" in r.getMessage()]
    assert len(retries) >= 2
    assert open_producers() <= before
