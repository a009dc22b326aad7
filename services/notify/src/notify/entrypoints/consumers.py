"""Kafka subscriptions: one consumer group, three topics, one idempotent handler."""

from antre_contracts import topics
from antre_platform.messaging import cloudevent_handler, subscription
from faststream.kafka import KafkaBroker

from notify.app.service import Notify

TOPICS = (topics.REGISTRY, topics.QUEUE, topics.ESTIMATES)


def register(broker: KafkaBroker, notify: Notify) -> None:
    """Site, service and counter names; tickets and calls; estimates. Types notify does not
    use are acknowledged and ignored."""
    broker.subscriber(*TOPICS, **subscription("notify"))(cloudevent_handler(notify.handle_event))
