"""Done-when: twenty counters press "call next" at once over a real PostgreSQL.

Every ticket is called exactly once, each service's calls follow the priority policy
exactly, and the outbox holds exactly one event per state change, in the order of the
database's changes.
"""

import asyncio
import json
import random
import time
from collections import defaultdict
from typing import Any
from uuid import UUID, uuid4

from ticketing.app import counter_actions
from ticketing.app.access import ADMIN
from ticketing.app.issuing import IssueTicket, issue_ticket
from ticketing.domain.priority import PriorityPolicy, ServiceHeads, split_heads
from ticketing.domain.tickets import Ticket

Harness = Any
HarnessFactory = Any

TICKETS_A = 1920  # vehicle tax, served by all twenty counters
TICKETS_AB = 80  # STNK renewal (its daily quota), served by five of them
COUNTERS = 20
PRIORITIES = ("regular",) * 7 + ("elderly", "disabled", "pregnant")


def expected_calls(tickets: list[Ticket], policy: PriorityPolicy) -> list[UUID]:
    """The call order the policy prescribes for one service's line, all tickets waiting."""
    waiting, streak, order = list(tickets), 0, []
    while waiting:
        priority, regular = split_heads(waiting)
        choice = policy.choose_in_service(ServiceHeads(uuid4(), priority, regular, streak))
        assert choice is not None
        order.append(choice.ticket.id)
        streak = choice.streak
        waiting.remove(choice.ticket)
    return order


async def add_counters(h: Harness) -> list[UUID]:
    from ticketing.app.registry_sync import apply_registry_change

    k = h.kupang
    ids = [uuid4() for _ in range(COUNTERS)]
    for n, cid in enumerate(ids, start=1):
        services = [str(k.vehicle_tax_id)] + ([str(k.stnk_id)] if n <= 5 else [])
        state = {
            "id": str(cid),
            "site_id": str(k.site_id),
            "agency_id": str(k.samsat_id),
            "name": f"Loket {n}",
            "service_ids": services,
            "active": True,
        }
        await apply_registry_change(h.registry_event("counter", cid, state), uow=h.ticketing.uow())
    return ids


async def issue_all(h: Harness) -> list[Ticket]:
    rng = random.Random(4)
    plan = [(h.kupang.vehicle_tax_id, rng.choice(PRIORITIES)) for _ in range(TICKETS_A)]
    plan += [(h.kupang.stnk_id, rng.choice(PRIORITIES)) for _ in range(TICKETS_AB)]
    rng.shuffle(plan)
    issued: list[Ticket] = []

    async def issue(service_id: UUID, priority: Any) -> None:
        result = await issue_ticket(
            IssueTicket(service_id=service_id, channel="kiosk", priority=priority),
            uow=h.ticketing.uow(),
            clock=h.clock,
            seal_phone=h.ticketing.seal_phone,
            fingerprint=h.ticketing.fingerprint,
            hash_phone=h.ticketing.hash_phone,
            rules=h.ticketing.rules,
        )
        issued.append(result.ticket)

    for start in range(0, len(plan), 40):
        await asyncio.gather(*(issue(*p) for p in plan[start : start + 40]))
    return issued


async def test_twenty_counters_call_thousands_of_tickets_exactly_once_in_policy_order(
    make_harness: HarnessFactory,
) -> None:
    async with make_harness() as h:
        await h.seed(vehicle_tax_quota=TICKETS_A)
        counters = await add_counters(h)
        tickets = await issue_all(h)
        policy = h.ticketing.policy
        for cid in counters:
            await counter_actions.open_counter(cid, uow=h.ticketing.uow(), clock=h.clock, actor=ADMIN)

        async def clerk(cid: UUID) -> int:
            served = 0
            while True:
                _, ticket = await counter_actions.call_next(
                    cid, uow=h.ticketing.uow(), clock=h.clock, actor=ADMIN, policy=policy
                )
                if ticket is None:
                    return served
                await counter_actions.start_service(cid, uow=h.ticketing.uow(), clock=h.clock, actor=ADMIN)
                await counter_actions.finish_service(cid, uow=h.ticketing.uow(), clock=h.clock, actor=ADMIN)
                served += 1

        began = time.monotonic()
        served = await asyncio.gather(*(clerk(cid) for cid in counters))
        elapsed = time.monotonic() - began
        print(f"{sum(served)} tickets called, started and finished by {COUNTERS} counters in {elapsed:.1f} s")

        assert sum(served) == len(tickets) == TICKETS_A + TICKETS_AB
        assert min(served) > 0, "every counter took part"
        rows = await h.pool.fetch(
            "SELECT id, event_id, event_type, convert_from(payload, 'UTF8')::jsonb AS e FROM outbox "
            "WHERE event_type <> 'counter.opened' ORDER BY id"
        )
        events = [json.loads(r["e"]) for r in rows]
        calls = [e for e in events if e["type"] == "counter.called"]

        # Every ticket called exactly once.
        called_ids = [e["data"]["ticket_id"] for e in calls]
        assert len(called_ids) == len(set(called_ids)) == len(tickets)
        assert set(called_ids) == {str(t.id) for t in tickets}

        # Each service's calls in the order the policy prescribes.
        by_service: dict[UUID, list[Ticket]] = defaultdict(list)
        for t in sorted(tickets, key=lambda t: t.issue_order):
            by_service[t.service_id].append(t)
        for service_id, line in by_service.items():
            actual = [e["data"]["ticket_id"] for e in calls if e["data"]["service_id"] == str(service_id)]
            assert actual == [str(i) for i in expected_calls(line, policy)], (
                f"service {service_id} out of order"
            )

        # The event stream matches the database exactly: one event per change, in order.
        per_ticket: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for e in events:
            per_ticket[e["data"]["ticket_id"]].append(e)
        db = {str(r["id"]): r for r in await h.pool.fetch("SELECT * FROM tickets")}
        assert set(per_ticket) == set(db)
        for ticket_id, stream in per_ticket.items():
            row = db[ticket_id]
            assert [e["type"] for e in stream] == [
                "ticket.issued",
                "counter.called",
                "service.started",
                "service.finished",
            ], ticket_id
            issued, called, started, finished = (e["data"] for e in stream)
            assert row["status"] == "done" and issued["number"] == row["number"]
            assert (
                called["counter_id"]
                == started["counter_id"]
                == finished["counter_id"]
                == str(row["counter_id"])
            )
            assert called["recall"] == 0
        assert len(events) == 4 * len(tickets)
        assert len({r["event_id"] for r in rows}) == len(rows)
        numbers = [(str(r["service_id"]), r["number"]) for r in db.values()]
        assert len(set(numbers)) == len(numbers), "numbers are unique per service and day"
