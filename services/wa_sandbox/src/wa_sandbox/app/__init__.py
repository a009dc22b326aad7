"""Use cases: accept a send, report its statuses, deliver an inbound message."""
