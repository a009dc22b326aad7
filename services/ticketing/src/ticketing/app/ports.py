"""What the use cases need from the outside world; PostgreSQL adapters and test fakes provide it."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from antre_contracts import CloudEvent

from ticketing.domain.catalog import Counter, Journey, Service, Site
from ticketing.domain.counters import DeskStatus
from ticketing.domain.tickets import Locale, Ticket


@dataclass(frozen=True)
class Credential:
    """An agency key or a staff token, known by the SHA-256 of its secret only."""

    id: UUID
    kind: str  # "agency_key" | "staff_token"
    agency_id: UUID
    counter_id: UUID | None
    sha256: str
    active: bool


@dataclass(frozen=True)
class DeskState:
    status: DeskStatus
    pause_reason: str | None


@dataclass(frozen=True)
class PhoneUsage:
    waiting_in_service: int
    issued_today: int


@dataclass(frozen=True)
class IdempotencyRecord:
    fingerprint: str
    ticket_id: UUID


@dataclass(frozen=True)
class RecipientHandoff:
    """A phone number sealed to notify, waiting to be handed over for one ticket."""

    ticket_id: UUID
    site_id: UUID
    sealed_phone: str
    locale: Locale
    next_attempt_at: datetime
    attempts: int = 0
    # The ticket's access token as of delivery (read with the claim, not stored in the row:
    # a transfer rotates it), so notify can link the citizen's status page. Never logged.
    access_token: str | None = None


class CatalogRepository(Protocol):
    """The local copy of the registry: never ask the registry per request."""

    async def site(self, site_id: UUID) -> Site | None: ...
    async def service(self, service_id: UUID) -> Service | None: ...
    async def service_with_site(self, service_id: UUID) -> tuple[Service, Site | None] | None:
        """The service and its site (None if the site is not known), in one read."""
        ...

    async def counter(self, counter_id: UUID) -> Counter | None: ...
    async def counters(self, counter_ids: list[UUID]) -> dict[UUID, Counter]: ...
    async def journey(self, journey_id: UUID) -> Journey | None: ...
    async def services_of_site(self, site_id: UUID) -> list[Service]: ...
    async def all_sites(self) -> list[Site]:
        """Every site ever announced, deleted ones included (their tickets end with their day)."""
        ...

    async def credential(self, sha256: str) -> Credential | None: ...
    async def put_credential(self, credential: Credential, state: dict[str, object]) -> None: ...
    async def put_site(self, site: Site, state: dict[str, object]) -> None: ...
    async def put_service(self, service: Service, state: dict[str, object]) -> None: ...
    async def put_counter(self, counter: Counter, state: dict[str, object]) -> None: ...
    async def put_journey(self, journey: Journey, state: dict[str, object]) -> None: ...
    async def remove(self, entity: str, entity_id: UUID) -> None: ...


class TicketRepository(Protocol):
    async def next_seq(self, service_id: UUID, day: date) -> int:
        """The next number of the service's day, atomically (concurrent callers never share one)."""
        ...

    async def add(self, ticket: Ticket) -> None: ...
    async def get(self, ticket_id: UUID, *, lock: bool = False) -> Ticket | None: ...
    async def save(self, ticket: Ticket) -> None: ...

    async def outlived_their_day(self, site_id: UUID, today: date, limit: int) -> list[Ticket]:
        """At most ``limit`` of the site's tickets still waiting from a day before ``today``,
        locked; tickets another transaction holds are skipped (a later pass sees them)."""
        ...

    async def position(self, ticket: Ticket) -> int | None:
        """1 for the next to be called among its service's waiting tickets; None unless waiting."""
        ...

    async def lock_streaks(self, service_ids: list[UUID], day: date) -> dict[UUID, int]:
        """Each service's priority streak, locked (in service id order, so no deadlock):
        call-next of one service runs one at a time, which keeps the priority ratio exact."""
        ...

    async def save_streak(self, service_id: UUID, day: date, streak: int) -> None: ...

    async def heads(
        self, service_ids: list[UUID], day: date
    ) -> dict[UUID, tuple[Ticket | None, Ticket | None]]:
        """For each service: (first waiting priority ticket, first waiting regular ticket), locked;
        one read for all the services of a counter."""
        ...

    async def lock_phone(self, phone_hash: str) -> None:
        """Serialise issues for one phone, so two requests at once cannot pass a limit together."""
        ...

    async def phone_usage(self, phone_hash: str, service_id: UUID, day: date) -> PhoneUsage: ...

    async def at_counter(self, counter_id: UUID) -> Ticket | None:
        """The ticket the counter is calling or serving, locked."""
        ...

    async def line(self, service_id: UUID, day: date) -> list[Ticket]:
        """Today's waiting tickets in call order, then the called and serving ones."""
        ...

    async def recent_calls(self, site_id: UUID, day: date, limit: int) -> list[Ticket]:
        """The site's latest called tickets of the day (called, serving or done), newest first."""
        ...

    async def waiting_counts(self, site_id: UUID, day: date) -> dict[UUID, int]:
        """Waiting tickets per service of the site today."""
        ...


class DeskRepository(Protocol):
    async def lock(self, counter_id: UUID) -> DeskState:
        """The counter's state, locking it so actions on one counter run one at a time."""
        ...

    async def save(self, counter_id: UUID, status: DeskStatus, at: datetime, reason: str | None) -> None: ...


class IdempotencyRepository(Protocol):
    async def claim(
        self,
        scope: str,
        key: str,
        fingerprint: str,
        ticket_id: UUID,
        at: datetime,
        *,
        expired_before: datetime,
    ) -> IdempotencyRecord | None:
        """None if ``key`` is now ours within ``scope`` (for ``ticket_id``); the earlier record if
        the caller used it before. A use older than ``expired_before`` counts as never made."""
        ...


class IdempotencyKeyStore(Protocol):
    """The stored Idempotency-Keys, for the clean-up (outside any request)."""

    async def purge(self, *, created_before: datetime, limit: int) -> int:
        """Delete at most ``limit`` keys stored before ``created_before``; how many went."""
        ...


class HandoffRepository(Protocol):
    async def add(self, handoff: RecipientHandoff) -> None: ...


class UnitOfWork(Protocol):
    """One transaction: state changes, their events and inbox marks commit together or not at all.
    After ``commit()`` and until the exit, reads still work, each on its own (no transaction)."""

    # Read-only properties, so an implementation may hold its own repository classes.
    @property
    def catalog(self) -> CatalogRepository: ...
    @property
    def tickets(self) -> TicketRepository: ...
    @property
    def desks(self) -> DeskRepository: ...
    @property
    def idempotency(self) -> IdempotencyRepository: ...
    @property
    def handoffs(self) -> HandoffRepository: ...

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    async def commit(self) -> None: ...
    async def emit(self, event: CloudEvent) -> None:
        """Queue ``event`` in the outbox of this transaction."""
        ...

    async def first_delivery(self, *, consumer: str, event_id: UUID) -> bool: ...


class HandoffQueue(Protocol):
    """Stored hand-offs, claimed with a lease so replicas never deliver the same row at once."""

    async def claim_due(self, *, now: datetime, lease: timedelta, limit: int) -> list[RecipientHandoff]: ...
    async def delivered(self, ticket_id: UUID) -> None: ...
    async def retry_at(self, ticket_id: UUID, at: datetime, error: str) -> None: ...


class HandoffRefused(Exception):
    """Notify did not take the hand-off (unreachable, or answered other than 2xx)."""


class RecipientDirectory(Protocol):
    """Notify's recipient endpoint; raises HandoffRefused unless it answered 2xx."""

    async def put(self, handoff: RecipientHandoff) -> None: ...
