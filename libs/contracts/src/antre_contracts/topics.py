"""Kafka topic names and which event type travels on which topic.

Every record's key is the site id, so all events of one site stay in order on one
partition. Topics group event types by the stream a consumer wants to follow.
"""

from typing import Final

REGISTRY: Final = "antre.registry.v1"
QUEUE: Final = "antre.queue.v1"
ESTIMATES: Final = "antre.estimates.v1"
NOTIFICATIONS: Final = "antre.notifications.v1"

PARTITIONS: Final[dict[str, int]] = {REGISTRY: 3, QUEUE: 6, ESTIMATES: 6, NOTIFICATIONS: 3}

TOPIC_BY_TYPE: Final[dict[str, str]] = {
    "registry.changed": REGISTRY,
    "ticket.issued": QUEUE,
    "counter.called": QUEUE,
    "service.started": QUEUE,
    "service.finished": QUEUE,
    "ticket.no_show": QUEUE,
    "ticket.rejoined": QUEUE,
    "ticket.cancelled": QUEUE,
    "ticket.transferred": QUEUE,
    "counter.opened": QUEUE,
    "counter.paused": QUEUE,
    "counter.closed": QUEUE,
    "queue.forecast": ESTIMATES,
    "ticket.estimated": ESTIMATES,
    "notification.sent": NOTIFICATIONS,
    "notification.delivered": NOTIFICATIONS,
    "notification.failed": NOTIFICATIONS,
    "survey.answered": NOTIFICATIONS,
}


def topic_for(event_type: str) -> str:
    """The topic an event type is published on; KeyError for an unknown type."""
    return TOPIC_BY_TYPE[event_type]
