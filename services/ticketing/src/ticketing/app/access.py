"""Who is asking, and what they may touch.

The platform admin token opens everything; an agency key (instansi) opens its own
agency's counters, services and tickets; a staff token opens its one counter; a ticket's
access token opens that ticket only (the citizen).
"""

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from ticketing.domain.catalog import Counter
from ticketing.domain.errors import Forbidden
from ticketing.domain.tickets import CancelledBy, Ticket

ActorKind = Literal["admin", "agency", "staff"]


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    agency_id: UUID | None = None
    counter_id: UUID | None = None

    @property
    def by(self) -> CancelledBy:
        return "agency" if self.kind == "agency" else "staff"

    def may_act_on(self, counter: Counter) -> bool:
        if self.kind == "admin":
            return True
        if self.kind == "agency":
            return counter.agency_id == self.agency_id
        return counter.id == self.counter_id

    def may_read(self, ticket: Ticket, counter: Counter | None) -> bool:
        """Staff see the tickets of their counter's services; agencies their own tickets."""
        if self.kind == "admin":
            return True
        if self.kind == "agency":
            return ticket.agency_id == self.agency_id
        return counter is not None and ticket.service_id in counter.service_ids

    def ensure_may_act_on(self, counter: Counter) -> None:
        if not self.may_act_on(counter):
            whose = "another agency's counter" if self.kind == "agency" else "another counter"
            raise Forbidden(f"Your credential may not act on {counter.name}: it is {whose}.")


ADMIN = Actor(kind="admin")

# Callers without a credential (kiosk, web, notify's WhatsApp flow) share one scope; their keys
# are unguessable (UUIDs, message ids) and a replay also needs the same body, phone included.
ANONYMOUS_SCOPE = "anonymous"


def idempotency_scope(actor: Actor | None) -> str:
    """Whose Idempotency-Keys these are: a key replays only to the caller that first sent it, so
    an anonymous caller never sees a ticket issued to a credential, nor one agency another's."""
    if actor is None:
        return ANONYMOUS_SCOPE
    if actor.kind == "admin":
        return "admin"
    if actor.kind == "agency":
        return f"agency:{actor.agency_id}"
    return f"counter:{actor.counter_id}"
