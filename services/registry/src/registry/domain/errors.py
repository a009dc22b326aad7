"""Errors a registry user can cause; entrypoints turn them into problem responses."""

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class FieldIssue:
    """What is wrong with one field of a request, said so that a person can fix it."""

    field: str
    message: str


class RegistryError(Exception):
    """Base of the errors below."""


class NotFound(RegistryError):
    def __init__(self, entity: str, entity_id: UUID) -> None:
        super().__init__(f"no {entity} with id {entity_id}")
        self.entity = entity
        self.entity_id = entity_id


class InvalidInput(RegistryError):
    """The request is well-formed but refers to things that do not fit together."""

    def __init__(self, issues: list[FieldIssue]) -> None:
        super().__init__("; ".join(f"{i.field}: {i.message}" for i in issues))
        self.issues = issues


class Conflict(RegistryError):
    """The request collides with what the registry already holds (a code, a prefix, a use)."""

    def __init__(self, issues: list[FieldIssue]) -> None:
        super().__init__("; ".join(f"{i.field}: {i.message}" for i in issues))
        self.issues = issues


class OutOfScope(RegistryError):
    """A valid credential asked for something outside what it may do (HTTP 403)."""


class StaleVersion(RegistryError):
    """An ``If-Match`` that no longer matches: someone changed the entity meanwhile (HTTP 412)."""
