"""The Kafka subscriber that keeps the registry's read model current."""

from antre_contracts import topics
from antre_platform.messaging import EventHandler, cloudevent_handler, subscription
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage


def subscribe_registry(broker: KafkaBroker, *, service: str, handle: EventHandler) -> None:
    on_message = cloudevent_handler(handle)

    # cloudevent_handler copies handle's signature (functools.wraps), which makes FastStream
    # call it with ``event=`` and fail on every record; this plain function shows FastStream
    # the raw-message signature instead. Drop it once antre_platform stops exposing it.
    async def on_registry_record(message: KafkaMessage) -> None:
        await on_message(message)

    broker.subscriber(topics.REGISTRY, **subscription(service))(on_registry_record)
