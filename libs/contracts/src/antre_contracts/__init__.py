"""Antre's shared contracts: event envelope, v1 event data and topic names.

Imports no service: every service depends on this package, never on another service.
"""

from antre_contracts import events, topics
from antre_contracts.envelope import CloudEvent, UnknownEventType, new_event, parse_event

__all__ = ["CloudEvent", "UnknownEventType", "events", "new_event", "parse_event", "topics"]
