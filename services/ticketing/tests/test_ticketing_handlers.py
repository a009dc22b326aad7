"""Use cases with an in-memory unit of work: what they decide and which events they emit."""

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import Any, Self
from uuid import UUID, uuid4

import pytest
from antre_contracts import CloudEvent, new_event
from antre_contracts.events import RegistryChanged
from antre_platform.clock import FixedClock
from ticketing.app import counter_actions
from ticketing.app.access import ADMIN
from ticketing.app.credentials import CredentialCache
from ticketing.app.day_end import DayEndClosure
from ticketing.app.handoff import HandoffDelivery, backoff
from ticketing.app.issuing import IssueTicket, PhoneHash, RequestFingerprint, issue_ticket
from ticketing.app.ports import (
    Credential,
    DeskState,
    HandoffRefused,
    IdempotencyRecord,
    PhoneUsage,
    RecipientHandoff,
)
from ticketing.app.registry_sync import apply_registry_change
from ticketing.domain.catalog import Counter, Journey, Service, Site
from ticketing.domain.counters import DeskStatus
from ticketing.domain.errors import (
    CounterBusy,
    IdempotencyKeyReused,
    QuotaReached,
    UnknownCounter,
    UnknownService,
)
from ticketing.domain.priority import PriorityPolicy, split_heads
from ticketing.domain.tickets import Ticket

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
POLICY = PriorityPolicy()


class FakeCatalog:
    def __init__(self) -> None:
        self.sites: dict[UUID, Site] = {}
        self.services: dict[UUID, Service] = {}
        self.counters_by_id: dict[UUID, Counter] = {}
        self.journeys: dict[UUID, Journey] = {}
        self.writes = 0

    async def site(self, site_id: UUID) -> Site | None:
        return self.sites.get(site_id)

    async def service(self, service_id: UUID) -> Service | None:
        return self.services.get(service_id)

    async def service_with_site(self, service_id: UUID) -> tuple[Service, Site | None] | None:
        service = self.services.get(service_id)
        return (service, self.sites.get(service.site_id)) if service else None

    async def counter(self, counter_id: UUID) -> Counter | None:
        return self.counters_by_id.get(counter_id)

    async def counters(self, counter_ids: list[UUID]) -> dict[UUID, Counter]:
        return {i: self.counters_by_id[i] for i in counter_ids if i in self.counters_by_id}

    async def journey(self, journey_id: UUID) -> Journey | None:
        return self.journeys.get(journey_id)

    async def services_of_site(self, site_id: UUID) -> list[Service]:
        return [s for s in self.services.values() if s.site_id == site_id]

    async def all_sites(self) -> list[Site]:
        return list(self.sites.values())

    async def credential(self, sha256: str) -> Credential | None:
        return None

    async def put_credential(self, credential: Credential, state: dict[str, object]) -> None:
        self.writes += 1

    async def put_site(self, site: Site, state: dict[str, object]) -> None:
        self.sites[site.id] = site
        self.writes += 1

    async def put_service(self, service: Service, state: dict[str, object]) -> None:
        self.services[service.id] = service
        self.writes += 1

    async def put_counter(self, counter: Counter, state: dict[str, object]) -> None:
        self.counters_by_id[counter.id] = counter
        self.writes += 1

    async def put_journey(self, journey: Journey, state: dict[str, object]) -> None:
        self.journeys[journey.id] = journey
        self.writes += 1

    async def remove(self, entity: str, entity_id: UUID) -> None:
        self.services.pop(entity_id, None)
        self.writes += 1


class FakeTickets:
    def __init__(self) -> None:
        self.rows: dict[UUID, Ticket] = {}
        self.sequences: dict[tuple[UUID, date], int] = {}
        self.streaks: dict[tuple[UUID, date], int] = {}

    async def next_seq(self, service_id: UUID, day: date) -> int:
        self.sequences[(service_id, day)] = self.sequences.get((service_id, day), 0) + 1
        return self.sequences[(service_id, day)]

    async def add(self, ticket: Ticket) -> None:
        ticket.issue_order = len(self.rows) + 1
        self.rows[ticket.id] = replace(ticket)

    async def get(self, ticket_id: UUID, *, lock: bool = False) -> Ticket | None:
        row = self.rows.get(ticket_id)
        return replace(row) if row else None

    async def save(self, ticket: Ticket) -> None:
        self.rows[ticket.id] = replace(ticket)

    async def outlived_their_day(self, site_id: UUID, today: date, limit: int) -> list[Ticket]:
        found = [t for t in self.rows.values() if t.site_id == site_id and t.outlived_its_day(today)]
        return [replace(t) for t in sorted(found, key=lambda t: (t.day, t.issue_order))[:limit]]

    async def position(self, ticket: Ticket) -> int | None:
        if ticket.status != "waiting":
            return None
        line = [t for t in self.rows.values() if t.status == "waiting" and t.service_id == ticket.service_id]
        return sum(1 for t in line if t.line_key < ticket.line_key) + 1

    async def lock_streaks(self, service_ids: list[UUID], day: date) -> dict[UUID, int]:
        return {sid: self.streaks.get((sid, day), 0) for sid in service_ids}

    async def save_streak(self, service_id: UUID, day: date, streak: int) -> None:
        self.streaks[(service_id, day)] = streak

    async def heads(
        self, service_ids: list[UUID], day: date
    ) -> dict[UUID, tuple[Ticket | None, Ticket | None]]:
        return {
            sid: split_heads(
                [
                    replace(t)
                    for t in self.rows.values()
                    if t.status == "waiting" and t.service_id == sid and t.day == day
                ]
            )
            for sid in service_ids
        }

    async def lock_phone(self, phone_hash: str) -> None:
        return None

    async def phone_usage(self, phone_hash: str, service_id: UUID, day: date) -> PhoneUsage:
        mine = [t for t in self.rows.values() if t.phone_hash == phone_hash and t.day == day]
        waiting = [t for t in mine if t.service_id == service_id and t.status in ("waiting", "called")]
        return PhoneUsage(waiting_in_service=len(waiting), issued_today=len(mine))

    async def recent_calls(self, site_id: UUID, day: date, limit: int) -> list[Ticket]:
        raise NotImplementedError("the board is tested on PostgreSQL")

    async def waiting_counts(self, site_id: UUID, day: date) -> dict[UUID, int]:
        raise NotImplementedError("the board is tested on PostgreSQL")

    async def at_counter(self, counter_id: UUID) -> Ticket | None:
        return next(
            (
                replace(t)
                for t in self.rows.values()
                if t.counter_id == counter_id and t.status in ("called", "serving")
            ),
            None,
        )

    async def line(self, service_id: UUID, day: date) -> list[Ticket]:
        return sorted(
            (t for t in self.rows.values() if t.service_id == service_id and t.day == day),
            key=lambda t: t.line_key,
        )


class FakeDesks:
    def __init__(self) -> None:
        self.status: dict[UUID, DeskState] = {}

    async def lock(self, counter_id: UUID) -> DeskState:
        return self.status.get(counter_id, DeskState("closed", None))

    async def save(self, counter_id: UUID, status: DeskStatus, at: datetime, reason: str | None) -> None:
        self.status[counter_id] = DeskState(status, reason)


class FakeIdempotency:
    def __init__(self) -> None:
        self.keys: dict[tuple[str, str], tuple[datetime, IdempotencyRecord]] = {}

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
        earlier = self.keys.get((scope, key))
        if earlier is not None and earlier[0] >= expired_before:
            return earlier[1]
        self.keys[(scope, key)] = (at, IdempotencyRecord(fingerprint=fingerprint, ticket_id=ticket_id))
        return None


class FakeHandoffs:
    def __init__(self) -> None:
        self.rows: list[RecipientHandoff] = []

    async def add(self, handoff: RecipientHandoff) -> None:
        self.rows.append(handoff)


class FakeUnitOfWork:
    """Keeps what was committed; a unit of work left without commit() leaves no trace of its
    events or inbox marks (repository writes are kept, which is enough for these tests)."""

    def __init__(self) -> None:
        self.catalog = FakeCatalog()
        self.tickets = FakeTickets()
        self.desks = FakeDesks()
        self.idempotency = FakeIdempotency()
        self.handoffs = FakeHandoffs()
        self.events: list[CloudEvent] = []
        self.inbox: set[tuple[str, UUID]] = set()
        self._pending_events: list[CloudEvent] = []
        self._pending_inbox: set[tuple[str, UUID]] = set()

    async def __aenter__(self) -> Self:
        self._pending_events, self._pending_inbox = [], set()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._pending_events, self._pending_inbox = [], set()

    async def commit(self) -> None:
        self.events += self._pending_events
        self.inbox |= self._pending_inbox
        self._pending_events, self._pending_inbox = [], set()

    async def emit(self, event: CloudEvent) -> None:
        self._pending_events.append(event)

    async def first_delivery(self, *, consumer: str, event_id: UUID) -> bool:
        if (consumer, event_id) in self.inbox | self._pending_inbox:
            return False
        self._pending_inbox.add((consumer, event_id))
        return True


class World:
    """A Kupang site with one service and one counter, in a fake unit of work."""

    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()
        self.clock = FixedClock(T0)
        self.site = Site(
            id=uuid4(), code="MPP-KPG", name="MPP Kota Kupang", timezone="Asia/Makassar", active=True
        )
        self.service = Service(
            id=uuid4(),
            site_id=self.site.id,
            agency_id=uuid4(),
            code="PKB-TAHUNAN",
            prefix="A",
            name_id="Pajak Kendaraan",
            name_en="Vehicle tax",
            daily_quota=3,
            priority_enabled=True,
            active=True,
        )
        self.counter = Counter(
            id=uuid4(),
            site_id=self.site.id,
            agency_id=self.service.agency_id,
            name="Loket 1",
            service_ids=(self.service.id,),
            active=True,
        )
        self.uow.catalog.sites[self.site.id] = self.site
        self.uow.catalog.services[self.service.id] = self.service
        self.uow.catalog.counters_by_id[self.counter.id] = self.counter
        self.sealed: list[str] = []

    def seal(self, phone: str) -> str:
        self.sealed.append(phone)
        return f"sealed-box-{len(self.sealed)}"

    async def issue(self, **fields: Any) -> Any:
        command = IssueTicket(**{"service_id": self.service.id, "channel": "kiosk", **fields})
        return await issue_ticket(
            command,
            uow=self.uow,
            clock=self.clock,
            seal_phone=self.seal,
            fingerprint=RequestFingerprint("test-secret"),
            hash_phone=PhoneHash("test-secret"),
        )

    @property
    def staff(self) -> dict[str, Any]:
        """The keyword arguments of a counter action by the platform admin."""
        return {"uow": self.uow, "clock": self.clock, "actor": ADMIN}

    def event_types(self) -> list[str]:
        return [e.type for e in self.uow.events]


@pytest.fixture
def world() -> World:
    return World()


async def test_issuing_numbers_tickets_and_emits_ticket_issued(world: World) -> None:
    first = await world.issue()
    second = await world.issue(priority="elderly", travel_minutes=25)
    assert (first.ticket.number, first.position) == ("A-001", 1)
    assert (second.ticket.number, second.position) == ("A-002", 1)  # priority goes ahead of A-001
    assert world.event_types() == ["ticket.issued", "ticket.issued"]
    issued = world.uow.events[1]
    assert (issued.siteid, issued.subject) == (str(world.site.id), str(second.ticket.id))
    assert issued.data["travel_minutes"] == 25 and issued.data["priority"] == "elderly"


async def test_numbering_restarts_on_the_next_local_day(world: World) -> None:
    await world.issue()
    world.clock.advance(timedelta(hours=16))  # 01:00 WITA the next day
    assert (await world.issue()).ticket.number == "A-001"


async def test_the_day_end_closes_what_still_waits_from_yesterday_once(world: World) -> None:
    left = await world.issue()
    world.clock.advance(timedelta(hours=16))  # 01:00 WITA the next day
    today = await world.issue()
    closure = DayEndClosure(uow=lambda: world.uow, clock=world.clock, every_seconds=60, batch_size=1)
    assert await closure.close_past_days() == 1
    assert await closure.close_past_days() == 0
    assert world.event_types() == ["ticket.issued", "ticket.issued", "ticket.cancelled"]
    cancelled = world.uow.events[-1]
    assert cancelled.subject == str(left.ticket.id) and cancelled.data["by"] == "system"
    assert world.uow.tickets.rows[left.ticket.id].status == "cancelled"
    assert world.uow.tickets.rows[today.ticket.id].status == "waiting"


async def test_quota_and_unknown_service_are_refused_without_events(world: World) -> None:
    for _ in range(3):
        await world.issue()
    with pytest.raises(QuotaReached):
        await world.issue()
    with pytest.raises(UnknownService) as unknown:
        await world.issue(service_id=uuid4())
    assert unknown.value.field == "service_id"
    assert world.event_types() == ["ticket.issued"] * 3


async def test_same_idempotency_key_returns_the_same_ticket_different_body_is_refused(world: World) -> None:
    first = await world.issue(channel="whatsapp", idempotency_key="k-1", phone="+6281234567890")
    again = await world.issue(channel="whatsapp", idempotency_key="k-1", phone="+6281234567890")
    assert again.replayed and again.ticket.id == first.ticket.id and again.ticket.number == "A-001"
    with pytest.raises(IdempotencyKeyReused):
        await world.issue(channel="whatsapp", idempotency_key="k-1", phone="+6281299999999")
    assert world.event_types() == ["ticket.issued"]
    assert len(world.uow.handoffs.rows) == 1


async def test_a_phone_becomes_a_sealed_handoff_row_not_a_ticket_field(world: World) -> None:
    issued = await world.issue(phone="+6281234567890", locale="en")
    [handoff] = world.uow.handoffs.rows
    assert (handoff.ticket_id, handoff.site_id, handoff.sealed_phone, handoff.locale) == (
        issued.ticket.id,
        world.site.id,
        "sealed-box-1",
        "en",
    )
    assert "81234567890" not in repr(world.uow.tickets.rows) + repr(world.uow.events)


async def test_call_next_calls_priority_first_and_emits_counter_called(world: World) -> None:
    await world.issue()
    elderly = await world.issue(priority="elderly")
    await counter_actions.open_counter(world.counter.id, **world.staff)
    _, called = await counter_actions.call_next(world.counter.id, **world.staff, policy=POLICY)
    assert called is not None and called.number == elderly.ticket.number
    event = world.uow.events[-1]
    assert event.type == "counter.called"
    assert (event.data["number"], event.data["counter_name"], event.data["recall"]) == ("A-002", "Loket 1", 0)


async def test_counter_lifecycle_emits_each_event_and_refuses_out_of_order(world: World) -> None:
    await world.issue()
    cid = world.counter.id
    await counter_actions.open_counter(cid, **world.staff)
    await counter_actions.call_next(cid, **world.staff, policy=POLICY)
    with pytest.raises(CounterBusy):
        await counter_actions.call_next(cid, **world.staff, policy=POLICY)
    await counter_actions.start_service(cid, **world.staff)
    _, done = await counter_actions.finish_service(cid, **world.staff)
    assert done.status == "done"
    assert (await counter_actions.call_next(cid, **world.staff, policy=POLICY))[1] is None
    await counter_actions.close_counter(cid, **world.staff)
    assert world.event_types() == [
        "ticket.issued",
        "counter.opened",
        "counter.called",
        "service.started",
        "service.finished",
        "counter.closed",
    ]
    with pytest.raises(UnknownCounter):
        await counter_actions.open_counter(uuid4(), **world.staff)


async def test_a_registry_event_delivered_twice_is_applied_once(world: World) -> None:
    site = world.site
    event = new_event(
        type="registry.changed",
        source="antre/registry",
        site_id=site.id,
        time=T0,
        subject=site.id,
        data=RegistryChanged(
            entity="site",
            id=site.id,
            op="upsert",
            state={
                "id": str(site.id),
                "code": "MPP-KPG",
                "name": "Renamed",
                "timezone": "Asia/Makassar",
                "active": True,
            },
        ),
    )
    assert await apply_registry_change(event, uow=world.uow)
    assert not await apply_registry_change(event, uow=world.uow)
    assert world.uow.catalog.writes == 1
    assert world.uow.catalog.sites[site.id].name == "Renamed"


class FlakyNotify:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[RecipientHandoff] = []

    async def put(self, handoff: RecipientHandoff) -> None:
        if self.failures:
            self.failures -= 1
            raise HandoffRefused("notify answered 503")
        self.received.append(handoff)


class MemoryHandoffQueue:
    def __init__(self, rows: list[RecipientHandoff]) -> None:
        self.rows = {r.ticket_id: r for r in rows}

    async def claim_due(self, *, now: datetime, lease: timedelta, limit: int) -> list[RecipientHandoff]:
        due = [r for r in self.rows.values() if r.next_attempt_at <= now][:limit]
        for r in due:
            self.rows[r.ticket_id] = replace(r, next_attempt_at=now + lease, attempts=r.attempts + 1)
        return [self.rows[r.ticket_id] for r in due]

    async def delivered(self, ticket_id: UUID) -> None:
        del self.rows[ticket_id]

    async def retry_at(self, ticket_id: UUID, at: datetime, error: str) -> None:
        self.rows[ticket_id] = replace(self.rows[ticket_id], next_attempt_at=at)


async def test_a_refused_handoff_is_kept_and_retried_with_backoff() -> None:
    clock = FixedClock(T0)
    row = RecipientHandoff(
        ticket_id=uuid4(), site_id=uuid4(), sealed_phone="box", locale="id", next_attempt_at=T0
    )
    queue, notify = MemoryHandoffQueue([row]), FlakyNotify(failures=2)
    delivery = HandoffDelivery(queue=queue, recipients=notify, clock=clock, wakeup=asyncio.Event())
    assert await delivery.deliver_due() == 0
    assert await delivery.deliver_due() == 0  # not due again before its backoff ends
    clock.advance(backoff(1))
    assert await delivery.deliver_due() == 0
    clock.advance(backoff(2))
    assert await delivery.deliver_due() == 1
    assert queue.rows == {} and [r.ticket_id for r in notify.received] == [row.ticket_id]
    assert backoff(1) == timedelta(seconds=1) and backoff(20) == timedelta(minutes=5)


async def test_a_cached_credential_is_read_again_once_its_ttl_ends() -> None:
    """Another replica revoked the key (this process saw no event): it stops working within the TTL."""
    key = Credential(
        id=uuid4(), kind="agency_key", agency_id=uuid4(), counter_id=None, sha256="ab" * 32, active=True
    )
    stored: dict[str, Credential] = {key.sha256: key}
    reads = 0
    now = 100.0

    async def load(sha256: str) -> Credential | None:
        nonlocal reads
        reads += 1
        return stored.get(sha256)

    cache = CredentialCache(load=load, ttl_seconds=5, monotonic=lambda: now)
    assert await cache.get(key.sha256) == key
    del stored[key.sha256]  # revoked in the shared database
    now += 4.9
    assert await cache.get(key.sha256) == key and reads == 1
    now += 0.2
    assert await cache.get(key.sha256) is None and reads == 2


async def test_a_credential_read_that_overlaps_a_change_is_not_cached() -> None:
    key = Credential(
        id=uuid4(), kind="staff_token", agency_id=uuid4(), counter_id=uuid4(), sha256="cd" * 32, active=True
    )
    reads = 0

    async def load(sha256: str) -> Credential | None:
        nonlocal reads
        reads += 1
        if reads == 1:
            cache.invalidate()  # the revocation commits while this first read is in flight
            return key
        return None

    cache = CredentialCache(load=load, ttl_seconds=60)
    assert await cache.get(key.sha256) == key  # that request raced the revocation
    assert await cache.get(key.sha256) is None and reads == 2
