"""Follows the registry and queue topics in the ``estimation`` consumer group."""

from antre_contracts import CloudEvent, topics
from antre_platform.messaging import cloudevent_handler, subscription
from faststream.kafka import KafkaBroker, KafkaMessage

from estimation.app.estimates import EstimationPolicy
from estimation.app.handlers import CONSUMER, handle_event
from estimation.app.ports import UnitOfWork


def subscribe(broker: KafkaBroker, *, unit_of_work: UnitOfWork, policy: EstimationPolicy) -> None:
    async def on_event(event: CloudEvent) -> None:
        await handle_event(event, unit_of_work=unit_of_work, policy=policy)

    handle_message = cloudevent_handler(on_event)

    # cloudevent_handler's functools.wraps exposes on_event's signature, so FastStream would
    # inject a parsed "event" and skip the wrapper; this plain function takes the raw message.
    async def on_message(msg: KafkaMessage) -> None:
        await handle_message(msg)

    # One subscriber for both topics: one consumer in the group, applying events in order.
    broker.subscriber(topics.REGISTRY, topics.QUEUE, **subscription(CONSUMER))(on_message)
