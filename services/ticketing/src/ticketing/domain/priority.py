"""The priority policy of one service's line.

Priority classes (elderly, disabled, pregnant) are called before regular tickets, but at
most ``max_priority_run`` priority calls in a row while a regular ticket waits: then the
first regular ticket is called. Priority calls made while no regular waits do not count,
so a regular who arrives late waits for at most ``max_priority_run`` priority calls.
Within each class the order is place in line (``queued_at``), then issue order.
"""

from dataclasses import dataclass
from typing import Final
from uuid import UUID

from ticketing.domain.tickets import PRIORITY_CLASSES, Ticket

DEFAULT_MAX_PRIORITY_RUN: Final = 2


@dataclass(frozen=True)
class ServiceHeads:
    """The first waiting priority ticket and the first waiting regular ticket of a service."""

    service_id: UUID
    priority: Ticket | None
    regular: Ticket | None
    streak: int  # consecutive priority calls while regulars waited


@dataclass(frozen=True)
class Choice:
    ticket: Ticket
    streak: int  # the service's streak after this call


@dataclass(frozen=True)
class PriorityPolicy:
    max_priority_run: int = DEFAULT_MAX_PRIORITY_RUN

    def choose_in_service(self, heads: ServiceHeads) -> Choice | None:
        if heads.priority is None and heads.regular is None:
            return None
        if heads.priority is None:
            assert heads.regular is not None
            return Choice(heads.regular, 0)
        if heads.regular is None:
            return Choice(heads.priority, 0)  # nobody regular waits: this call starves no one
        if heads.streak >= self.max_priority_run:
            return Choice(heads.regular, 0)
        return Choice(heads.priority, heads.streak + 1)

    def choose(self, services: list[ServiceHeads]) -> tuple[UUID, Choice] | None:
        """For a counter serving several services: each service proposes by its own rule,
        and the proposal with the earliest place in line (priority class first) wins."""
        proposals = [(h.service_id, c) for h in services if (c := self.choose_in_service(h)) is not None]
        return min(proposals, key=lambda p: p[1].ticket.line_key, default=None)


def split_heads(waiting: list[Ticket]) -> tuple[Ticket | None, Ticket | None]:
    """(first priority, first regular) of one service's waiting tickets."""
    priority = [t for t in waiting if t.priority in PRIORITY_CLASSES]
    regular = [t for t in waiting if t.priority not in PRIORITY_CLASSES]
    return _first(priority), _first(regular)


def _first(tickets: list[Ticket]) -> Ticket | None:
    return min(tickets, key=lambda t: t.line_key, default=None)
