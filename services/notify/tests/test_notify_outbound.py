"""Outbound on events and WhatsApp's rules: the leave-home reminder (durable, fires once,
survives a restart), "N more ahead", retention, the pair rate limit and throttling backoff, on a
real PostgreSQL with a clock the tests move."""

import asyncio
from datetime import timedelta
from uuid import UUID, uuid4

import asyncpg
from antre_contracts import CloudEvent, new_event
from antre_contracts.events import TicketEstimated
from antre_platform.clock import FixedClock
from notify.domain.conversation import ConversationState
from notify.domain.phone import PhoneNumber

from .conftest import NOW, PHONE_DIGITS, FakeGraph, Hall, StartNotify, wita


def estimated(hall: Hall, ticket_id: UUID, *, position: int, minutes_later: int) -> CloudEvent:
    at = NOW + timedelta(minutes=minutes_later)
    return new_event(
        type="ticket.estimated",
        source="antre/estimation",
        site_id=hall.site_id,
        subject=ticket_id,
        time=at,
        data=TicketEstimated(
            ticket_id=ticket_id,
            service_id=hall.service_id,
            at=at,
            position=position,
            call_p10=wita(9, 30),
            call_p50=wita(9, 40),
            call_p90=wita(9, 55),
            arrive_by=wita(9, 25),
        ),
    )


def bodies(graph: FakeGraph) -> list[str]:
    return [r["text"]["body"] for r in graph.requests if r["type"] == "text"]


async def test_the_leave_home_reminder_fires_once_at_its_time_even_across_a_restart(
    start_notify: StartNotify, fake_graph: FakeGraph, hall: Hall, clock: FixedClock
) -> None:
    ticket_id = uuid4()
    async with start_notify() as notify:
        # Travel 15 minutes, be there by 09:25: leave at 09:10; it is 09:00.
        await notify.deliver(
            *hall.registry(), hall.issued(ticket_id, travel_minutes=15), hall.estimated(ticket_id)
        )
        await notify.hand_off(ticket_id, hall.site_id)
        await notify.eventually(lambda: len(fake_graph.requests) == 1)
        assert "Berangkat paling lambat 09:10 WITA" in bodies(fake_graph)[0]
        clock.advance(timedelta(minutes=9))
        await asyncio.sleep(0.3)
        assert len(fake_graph.requests) == 1  # not yet
    clock.advance(timedelta(minutes=1))  # 09:10 while notify is down
    async with start_notify() as notify:
        await notify.eventually(lambda: len(fake_graph.requests) == 2)
        assert bodies(fake_graph)[1] == (
            "Saatnya berangkat: nomor *A-001* diperkirakan dipanggil pukul 09:40 WITA (antara 09:30–09:55)."
        )
    async with start_notify():
        clock.advance(timedelta(minutes=5))
        await asyncio.sleep(0.4)
    assert len(fake_graph.requests) == 2


async def test_a_reminder_that_comes_due_after_the_arrival_time_is_dropped(
    start_notify: StartNotify, fake_graph: FakeGraph, hall: Hall, clock: FixedClock
) -> None:
    ticket_id = uuid4()
    async with start_notify() as notify:
        await notify.deliver(
            *hall.registry(), hall.issued(ticket_id, travel_minutes=15), hall.estimated(ticket_id)
        )
        await notify.hand_off(ticket_id, hall.site_id)
        await notify.eventually(lambda: len(fake_graph.requests) == 1)
    clock.advance(timedelta(minutes=40))  # notify down from 09:00 to 09:40, past arrive_by 09:25
    async with start_notify():
        await asyncio.sleep(0.4)
    assert len(fake_graph.requests) == 1


async def test_no_reminder_when_leaving_is_due_now_or_the_ticket_was_called(
    start_notify: StartNotify, fake_graph: FakeGraph, hall: Hall, clock: FixedClock
) -> None:
    soon, called = uuid4(), uuid4()
    async with start_notify() as notify:
        await notify.deliver(*hall.registry())
        # 09:25 minus 30 minutes is already past: the ticket message says "berangkat sekarang".
        await notify.deliver(hall.issued(soon, travel_minutes=30), hall.estimated(soon))
        await notify.hand_off(soon, hall.site_id)
        await notify.deliver(hall.issued(called, number="A-002", travel_minutes=15), hall.estimated(called))
        await notify.hand_off(called, hall.site_id)
        await notify.eventually(lambda: len(fake_graph.requests) == 2)
        await notify.deliver(hall.called(called, number="A-002"))
        await notify.eventually(lambda: len(fake_graph.requests) == 3)
        clock.advance(timedelta(minutes=30))
        await asyncio.sleep(0.4)
        assert not any("Saatnya berangkat" in body for body in bodies(fake_graph))


async def test_few_ahead_once_when_the_position_crosses_into_the_last_three(
    start_notify: StartNotify, fake_graph: FakeGraph, hall: Hall
) -> None:
    ticket_id = uuid4()
    async with start_notify() as notify:
        await notify.deliver(
            *hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id)
        )  # position 7
        await notify.hand_off(ticket_id, hall.site_id)
        await notify.eventually(lambda: len(fake_graph.requests) == 1)
        late = estimated(hall, ticket_id, position=3, minutes_later=5)
        await notify.deliver(estimated(hall, ticket_id, position=5, minutes_later=2), late, late)
        await notify.deliver(estimated(hall, ticket_id, position=2, minutes_later=8))
        await notify.eventually(lambda: len(fake_graph.requests) == 2)
        await asyncio.sleep(0.3)
        assert bodies(fake_graph)[1:] == [
            "Tinggal 2 antrean lagi sebelum nomor *A-001*. Mohon bersiap di dekat loket."
        ]


async def test_retention_removes_phones_after_the_period_but_keeps_an_opt_out(
    start_notify: StartNotify, fake_graph: FakeGraph, hall: Hall, clock: FixedClock
) -> None:
    ticket_id = uuid4()
    async with start_notify(phone_retention_days=30) as notify:
        await notify.deliver(
            *hall.registry(), hall.issued(ticket_id, travel_minutes=None), hall.estimated(ticket_id)
        )
        await notify.hand_off(ticket_id, hall.site_id)
        await notify.eventually(lambda: len(fake_graph.requests) == 1)
        await asyncio.sleep(0.2)
        async with notify.app.state.notify.uow() as work:
            stopped = PhoneNumber.parse("+6281299990000")
            await work.store.save_conversation(
                stopped, ConversationState(opted_out=True), now=NOW, inbound_at=NOW
            )
        clock.advance(timedelta(days=31))
        assert await notify.app.state.notify.purge(timedelta(days=30)) >= 2
        conn = await asyncpg.connect(notify.settings.database_url)
        try:
            assert await conn.fetchval("SELECT count(*) FROM recipients") == 0
            row = await conn.fetchrow("SELECT phone, phone_hash, status FROM outbound_messages")
            assert row["phone"] == b"" and row["phone_hash"] == b"" and row["status"] == "sent"
            assert await conn.fetchval("SELECT count(*) FROM conversations WHERE NOT opted_out") == 0
            assert await conn.fetchval("SELECT count(*) FROM conversations WHERE opted_out") == 1
        finally:
            await conn.close()
        [listed] = await notify.notifications(ticket_id)
        assert listed["status"] == "sent" and PHONE_DIGITS not in str(listed)


async def test_the_pair_rate_limit_waits_six_seconds_and_keeps_the_citizens_order(
    start_notify: StartNotify, fake_graph: FakeGraph, hall: Hall, clock: FixedClock
) -> None:
    ticket_id = uuid4()
    fake_graph.script = [(400, {"error": {"message": "pair rate limit hit", "code": 131056}})]
    async with start_notify() as notify:
        await notify.deliver(*hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id))
        await notify.hand_off(ticket_id, hall.site_id)
        await notify.eventually(lambda: len(fake_graph.requests) == 1)
        await notify.deliver(hall.called(ticket_id))  # a second message for the same citizen
        await asyncio.sleep(0.4)
        assert len(fake_graph.requests) == 1  # no hammering, and the call does not overtake
        clock.advance(timedelta(seconds=5))
        await asyncio.sleep(0.3)
        assert len(fake_graph.requests) == 1
        clock.advance(timedelta(seconds=1))
        await notify.eventually(lambda: len(fake_graph.requests) == 3)
        texts = bodies(fake_graph)
        assert texts[1].startswith("Nomor antrean Anda *A-001*") and "dipanggil" in texts[2]

        async def both_recorded() -> bool:  # Meta has answered; the outcome follows at once
            return [n["status"] for n in await notify.notifications(ticket_id)] == ["sent", "sent"]

        await notify.eventually(both_recorded)
        [issued, called] = await notify.notifications(ticket_id)
        assert issued["status"] == "sent" and issued["attempts"] == 2 and called["attempts"] == 1


async def test_throttling_429_is_retried_with_backoff_and_sent_once(
    start_notify: StartNotify, fake_graph: FakeGraph, hall: Hall
) -> None:
    ticket_id = uuid4()
    fake_graph.script = [
        (429, {"error": {"message": "Too many requests", "code": 130429}}),
        (503, {"error": {"message": "Service unavailable", "code": 131000}}),
    ]
    async with start_notify() as notify:
        await notify.deliver(*hall.registry(), hall.issued(ticket_id), hall.estimated(ticket_id))
        await notify.hand_off(ticket_id, hall.site_id)
        await notify.eventually(lambda: len(fake_graph.requests) == 3)
        await asyncio.sleep(0.3)
        assert len(fake_graph.requests) == 3
        [listed] = await notify.notifications(ticket_id)
        assert listed["status"] == "sent" and listed["attempts"] == 3


def moved(hall: Hall, ticket_id: UUID, *, call_minute: int, minutes_later: int) -> CloudEvent:
    at = NOW + timedelta(minutes=minutes_later)
    p50 = wita(9, 40) + timedelta(minutes=call_minute - 40)
    return new_event(
        type="ticket.estimated",
        source="antre/estimation",
        site_id=hall.site_id,
        subject=ticket_id,
        time=at,
        data=TicketEstimated(
            ticket_id=ticket_id,
            service_id=hall.service_id,
            at=at,
            position=7,
            call_p10=p50 - timedelta(minutes=10),
            call_p50=p50,
            call_p90=p50 + timedelta(minutes=15),
            arrive_by=p50 - timedelta(minutes=15),
        ),
    )


async def test_a_significant_estimate_change_is_told_but_not_more_than_once_per_interval(
    start_notify: StartNotify, fake_graph: FakeGraph, hall: Hall, clock: FixedClock
) -> None:
    ticket_id = uuid4()
    async with start_notify() as notify:
        # No travel time, so no leave-home reminder joins in while the clock moves.
        await notify.deliver(
            *hall.registry(), hall.issued(ticket_id, travel_minutes=None), hall.estimated(ticket_id)
        )
        await notify.hand_off(ticket_id, hall.site_id)
        await notify.eventually(lambda: len(fake_graph.requests) == 1)  # told 09:40
        await notify.deliver(moved(hall, ticket_id, call_minute=45, minutes_later=1))  # 5 min: small
        clock.advance(timedelta(minutes=16))
        await notify.deliver(moved(hall, ticket_id, call_minute=60, minutes_later=16))  # 20 min later: tell
        await notify.eventually(lambda: len(fake_graph.requests) == 2)
        assert bodies(fake_graph)[1] == (
            "Perkiraan berubah: nomor *A-001* kini diperkirakan dipanggil "
            "pukul 10:00 WITA (antara 09:50–10:15). Tiba di lokasi paling lambat 09:45 WITA."
        )
        clock.advance(timedelta(minutes=5))
        await notify.deliver(moved(hall, ticket_id, call_minute=85, minutes_later=21))  # too soon after
        await asyncio.sleep(0.3)
        assert len(fake_graph.requests) == 2
        clock.advance(timedelta(minutes=11))
        await notify.deliver(moved(hall, ticket_id, call_minute=86, minutes_later=32))
        await notify.eventually(lambda: len(fake_graph.requests) == 3)
        assert "10:26 WITA" in bodies(fake_graph)[2]
