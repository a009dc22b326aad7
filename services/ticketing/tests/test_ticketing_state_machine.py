"""Property-based test of the queue's state machine (hypothesis): any sequence of counter
and citizen actions keeps the invariants.

- a counter calls or serves at most one ticket, and a ticket is at most at one counter;
- a ticket is in exactly one state, and its fields agree with it;
- numbers are unique per service and day;
- the priority ratio holds: while a regular ticket waits, at most ``max_priority_run``
  priority tickets of a service are called in a row.
"""

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from ticketing.domain.catalog import Counter, Service
from ticketing.domain.counters import Desk, DeskStatus
from ticketing.domain.errors import DomainError
from ticketing.domain.priority import PriorityPolicy, ServiceHeads, split_heads
from ticketing.domain.tickets import PRIORITY_CLASSES, Priority, Ticket

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
DAY = date(2026, 3, 2)
GRACE = timedelta(minutes=30)
PRIORITIES: list[Priority] = ["regular", "elderly", "disabled", "pregnant"]


def make_service(prefix: str, agency: UUID, site: UUID) -> Service:
    return Service(
        id=uuid4(),
        site_id=site,
        agency_id=agency,
        code=f"S-{prefix}",
        prefix=prefix,
        name_id=prefix,
        name_en=prefix,
        daily_quota=None,
        priority_enabled=True,
        active=True,
    )


class QueueMachine(RuleBasedStateMachine):
    """The domain driven the way the use cases drive it: each action loads the desk with
    its current ticket, applies the domain's rule, and keeps the result if it was allowed."""

    @initialize(max_run=st.integers(min_value=1, max_value=3))
    def setup(self, max_run: int) -> None:
        site, agency = uuid4(), uuid4()
        self.policy = PriorityPolicy(max_priority_run=max_run)
        self.services = [make_service("A", agency, site), make_service("B", agency, site)]
        a, b = (s.id for s in self.services)
        self.counters = [
            Counter(
                id=uuid4(), site_id=site, agency_id=agency, name=f"Loket {n}", service_ids=ids, active=True
            )
            for n, ids in enumerate([(a,), (a, b), (b,)], start=1)
        ]
        self.status: dict[UUID, DeskStatus] = {c.id: "closed" for c in self.counters}
        self.tickets: list[Ticket] = []
        self.seq: dict[UUID, int] = {s.id: 0 for s in self.services}
        self.streak: dict[UUID, int] = {s.id: 0 for s in self.services}
        self.run_while_regular_waits: dict[UUID, int] = {s.id: 0 for s in self.services}
        self.now = T0

    def desk(self, index: int) -> Desk:
        counter = self.counters[index % len(self.counters)]
        current = next(
            (t for t in self.tickets if t.counter_id == counter.id and t.status in ("called", "serving")),
            None,
        )
        return Desk(counter=counter, status=self.status[counter.id], current=current)

    def tick(self) -> None:
        self.now += timedelta(minutes=1)

    @rule(service=st.integers(0, 1), priority=st.sampled_from(PRIORITIES))
    def issue(self, service: int, priority: Priority) -> None:
        svc = self.services[service]
        self.seq[svc.id] += 1
        ticket = Ticket.issue(
            id=uuid4(),
            service=svc,
            day=DAY,
            seq=self.seq[svc.id],
            channel="kiosk",
            priority=priority,
            access_token=uuid4().hex,
            issued_at=self.now,
        )
        ticket.issue_order = len(self.tickets) + 1
        self.tickets.append(ticket)
        self.tick()

    @rule(service=st.integers(0, 1), priorities=st.lists(st.sampled_from(PRIORITIES), min_size=2, max_size=8))
    def a_crowd_arrives(self, service: int, priorities: list[Priority]) -> None:
        for priority in priorities:
            self.issue(service, priority)

    @rule(index=st.integers(0, 2))
    def serve_and_call_next(self, index: int) -> None:
        """What a clerk does all day: finish the current citizen, call the next one."""
        desk = self.desk(index)
        if desk.status == "closed":
            self.desk_state(index, "open")
            desk = self.desk(index)
        if desk.current is not None:
            if desk.current.status == "called":
                desk.start(self.now)
            desk.finish(self.now)
        self.call_next(index)

    @rule(index=st.integers(0, 2), action=st.sampled_from(["open", "close", "pause"]))
    def desk_state(self, index: int, action: str) -> None:
        desk = self.desk(index)
        try:
            desk.pause("istirahat") if action == "pause" else getattr(desk, action)()
        except DomainError:
            return
        self.status[desk.counter.id] = desk.status

    @rule(index=st.integers(0, 2))
    def call_next(self, index: int) -> None:
        desk = self.desk(index)
        try:
            desk.ensure_can_call()
        except DomainError:
            return
        heads = [
            ServiceHeads(sid, *split_heads(self.waiting(sid)), self.streak[sid])
            for sid in sorted(desk.counter.service_ids)
        ]
        picked = self.policy.choose(heads)
        if picked is None:
            return
        service_id, choice = picked
        regular_waited = any(t.priority == "regular" for t in self.waiting(service_id))
        desk.call(choice.ticket, self.now)
        self.streak[service_id] = choice.streak
        if choice.ticket.priority in PRIORITY_CLASSES and regular_waited:
            self.run_while_regular_waits[service_id] += 1
        else:
            self.run_while_regular_waits[service_id] = 0
        self.tick()

    @rule(index=st.integers(0, 2), action=st.sampled_from(["recall", "start", "finish", "no_show"]))
    def counter_action(self, index: int, action: str) -> None:
        try:
            getattr(self.desk(index), action)(self.now)
        except DomainError:
            pass
        self.tick()

    @rule(pick=st.integers(0, 10_000), action=st.sampled_from(["cancel", "rejoin"]), wait=st.integers(0, 40))
    def citizen(self, pick: int, action: str, wait: int) -> None:
        if not self.tickets:
            return
        ticket = self.tickets[pick % len(self.tickets)]
        self.now += timedelta(minutes=wait)
        try:
            ticket.cancel(self.now) if action == "cancel" else ticket.rejoin(self.now, GRACE)
        except DomainError:
            pass

    def waiting(self, service_id: UUID) -> list[Ticket]:
        return [t for t in self.tickets if t.status == "waiting" and t.service_id == service_id]

    @invariant()
    def one_ticket_per_counter(self) -> None:
        for counter in self.counters:
            active = [
                t for t in self.tickets if t.counter_id == counter.id and t.status in ("called", "serving")
            ]
            assert len(active) <= 1
            if active:
                assert self.status[counter.id] == "open", "a counter with a ticket stays open"

    @invariant()
    def each_ticket_in_one_consistent_state(self) -> None:
        for t in self.tickets:
            if t.status == "waiting":
                assert t.counter_id is None and t.called_at is None
            if t.status in ("called", "serving"):
                assert t.counter_id is not None and t.called_at is not None
            if t.status == "serving":
                assert t.started_at is not None
            if t.status == "done":
                assert t.started_at is not None and t.finished_at is not None
            if t.status == "no_show":
                assert t.no_show_at is not None
            if t.rejoined:
                assert t.status != "waiting" or t.no_show_at is not None

    @invariant()
    def numbers_unique_per_service_and_day(self) -> None:
        keys = [(t.service_id, t.day, t.number) for t in self.tickets]
        assert len(keys) == len(set(keys))

    @invariant()
    def priority_ratio_held(self) -> None:
        for run in self.run_while_regular_waits.values():
            assert run <= self.policy.max_priority_run, f"{run} priority calls in a row while regulars waited"


TestQueueStateMachine = QueueMachine.TestCase
TestQueueStateMachine.settings = settings(
    max_examples=150, stateful_step_count=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
