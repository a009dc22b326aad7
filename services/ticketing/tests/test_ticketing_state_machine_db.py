"""The queue's state machine against the real PostgreSQL, bounded: random sequences of
issues, counter actions and citizen actions through the use cases keep the invariants in
the database, and the outbox holds exactly one event per state change."""

from collections import Counter as Tally
from datetime import timedelta
from typing import Any
from uuid import UUID

from antre_platform.clock import FixedClock
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from ticketing.app import counter_actions, ticket_actions
from ticketing.app.access import ADMIN
from ticketing.app.issuing import IssueTicket, issue_ticket
from ticketing.domain.errors import DomainError

RESET = (
    "TRUNCATE tickets, daily_sequences, priority_streaks, counter_desks, outbox, idempotency_keys, "
    "recipient_handoff"
)
COUNTER_EVENTS = {
    "open": "counter.opened",
    "close": "counter.closed",
    "pause": "counter.paused",
    "recall": "counter.called",
    "start_service": "service.started",
    "finish_service": "service.finished",
    "no_show": "ticket.no_show",
}

SyncTicketing = Any  # conftest.SyncTicketing


def test_any_sequence_of_actions_keeps_the_invariants_in_postgresql(sync_ticketing: SyncTicketing) -> None:
    st_ = sync_ticketing
    ticketing, kupang, run = st_.ticketing, st_.kupang, st_.run
    pool = ticketing.runtime.pool
    start = st_.clock.now()

    class DatabaseQueue(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            run(pool.execute(RESET))
            self.clock = FixedClock(start)
            self.services = [kupang.vehicle_tax_id, kupang.stnk_id]
            self.run_while_regular_waits: dict[UUID, int] = dict.fromkeys(self.services, 0)
            self.tickets: list[UUID] = []
            self.expected: Tally[str] = Tally()

        def attempt(self, coro: Any, event_type: str) -> Any:
            """Run a use case; count the event it must have written if it was allowed."""
            try:
                result = run(coro)
            except DomainError:
                return None
            self.expected[event_type] += 1
            return result

        @rule(service=st.integers(0, 1), priority=st.sampled_from(["regular", "elderly", "pregnant"]))
        def issue(self, service: int, priority: Any) -> None:
            command = IssueTicket(service_id=self.services[service], channel="kiosk", priority=priority)
            issued = self.attempt(
                issue_ticket(
                    command,
                    uow=ticketing.uow(),
                    clock=self.clock,
                    seal_phone=ticketing.seal_phone,
                    fingerprint=ticketing.fingerprint,
                    hash_phone=ticketing.hash_phone,
                    rules=ticketing.rules,
                ),
                "ticket.issued",
            )
            if issued is not None:  # a refusal (the STNK quota is 80) writes nothing
                self.tickets.append(issued.ticket.id)

        @rule(
            service=st.integers(0, 1),
            priorities=st.lists(st.sampled_from(["regular", "elderly", "pregnant"]), min_size=2, max_size=6),
        )
        def a_crowd_arrives(self, service: int, priorities: list[Any]) -> None:
            for priority in priorities:
                self.issue(service, priority)

        @rule(counter=st.integers(0, 2))
        def serve_and_call_next(self, counter: int) -> None:
            """What a clerk does all day: open if needed, finish the current citizen, call the next."""
            for action in ("open", "start_service", "finish_service"):
                self.counter_action(counter, action)
            self.call_next(counter)

        @rule(
            counter=st.integers(0, 2),
            action=st.sampled_from(
                ["open", "close", "pause", "recall", "start_service", "finish_service", "no_show"]
            ),
        )
        def counter_action(self, counter: int, action: str) -> None:
            cid = kupang.counter_ids[counter]
            kwargs: dict[str, Any] = {"uow": ticketing.uow(), "clock": self.clock, "actor": ADMIN}
            if action == "pause":
                coro = counter_actions.pause_counter(cid, "istirahat", **kwargs)
            elif action in ("open", "close"):
                coro = getattr(counter_actions, f"{action}_counter")(cid, **kwargs)
            else:
                coro = getattr(counter_actions, action)(cid, **kwargs)
            self.attempt(coro, COUNTER_EVENTS[action])
            self.clock.advance(timedelta(minutes=1))

        @rule(counter=st.integers(0, 2))
        def call_next(self, counter: int) -> None:
            regulars_waiting = dict(
                run(
                    pool.fetch(
                        "SELECT service_id, count(*) FROM tickets WHERE status = 'waiting' "
                        "AND priority = 'regular' GROUP BY service_id"
                    )
                )
            )
            called = self.attempt(
                counter_actions.call_next(
                    kupang.counter_ids[counter],
                    uow=ticketing.uow(),
                    clock=self.clock,
                    actor=ADMIN,
                    policy=ticketing.policy,
                ),
                "counter.called",
            )
            ticket = called[1] if called else None
            if ticket is None:
                if called is not None:
                    self.expected["counter.called"] -= 1  # nobody waited: no event
                return
            sid = ticket.service_id
            if ticket.priority != "regular" and regulars_waiting.get(sid, 0) > 0:
                self.run_while_regular_waits[sid] += 1
            else:
                self.run_while_regular_waits[sid] = 0

        @rule(
            pick=st.integers(0, 1000), action=st.sampled_from(["cancel", "rejoin"]), wait=st.integers(0, 40)
        )
        def citizen(self, pick: int, action: str, wait: int) -> None:
            if not self.tickets:
                return
            ticket_id = self.tickets[pick % len(self.tickets)]
            self.clock.advance(timedelta(minutes=wait))
            who: dict[str, Any] = {"uow": ticketing.uow(), "clock": self.clock, "actor": None}
            if action == "cancel":
                coro = ticket_actions.cancel_ticket(ticket_id, access_token=None, **who | {"actor": ADMIN})
                self.attempt(coro, "ticket.cancelled")
            else:
                coro = ticket_actions.rejoin_ticket(
                    ticket_id, grace=ticketing.rejoin_grace, access_token=None, **who | {"actor": ADMIN}
                )
                self.attempt(coro, "ticket.rejoined")

        @invariant()
        def one_ticket_per_open_counter(self) -> None:
            rows = run(
                pool.fetch(
                    "SELECT t.counter_id, count(*) AS n, min(d.status) AS desk FROM tickets t "
                    "JOIN counter_desks d ON d.counter_id = t.counter_id "
                    "WHERE t.status IN ('called', 'serving') GROUP BY t.counter_id"
                )
            )
            assert all(r["n"] == 1 and r["desk"] == "open" for r in rows), rows

        @invariant()
        def each_ticket_in_one_consistent_state(self) -> None:
            inconsistent = run(
                pool.fetchval(
                    "SELECT count(*) FROM tickets WHERE (status = 'waiting' AND counter_id IS NOT NULL) "
                    "OR (status IN ('called', 'serving') AND (counter_id IS NULL OR called_at IS NULL)) "
                    "OR (status = 'serving' AND started_at IS NULL) "
                    "OR (status = 'done' AND finished_at IS NULL) "
                    "OR (status = 'no_show' AND no_show_at IS NULL)"
                )
            )
            assert inconsistent == 0

        @invariant()
        def numbers_unique_per_service_and_day(self) -> None:
            assert (
                run(pool.fetchval("SELECT count(*) - count(DISTINCT (service_id, day, number)) FROM tickets"))
                == 0
            )

        @invariant()
        def priority_ratio_held(self) -> None:
            assert max(self.run_while_regular_waits.values()) <= ticketing.policy.max_priority_run

        @invariant()
        def one_event_per_state_change(self) -> None:
            rows = run(pool.fetch("SELECT event_type, count(*) AS n FROM outbox GROUP BY event_type"))
            assert {r["event_type"]: r["n"] for r in rows} == {k: v for k, v in self.expected.items() if v}

    run_state_machine_as_test(
        DatabaseQueue,
        settings=settings(
            max_examples=15,
            stateful_step_count=40,
            deadline=None,
            database=None,
            # No shrinking: a failure here is printed as found, and the run stays bounded
            # (the domain state machine shrinks the same rules quickly).
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        ),
    )
