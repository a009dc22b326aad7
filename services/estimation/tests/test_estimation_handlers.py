"""Event handlers on the in-memory store: what estimation publishes as the hall changes."""

import copy
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from antre_contracts import CloudEvent, new_event
from antre_contracts.events import NotificationStatus
from pydantic import ValidationError

from estimation.adapters.memory import MemoryDatabase
from estimation.app.estimates import EstimationPolicy
from estimation.app.handlers import handle_event
from estimation.domain.learning import LearnedRates, LearningPolicy
from estimation.domain.predictor import OpenCounter, QueueSituation, WaitBand, wait_band

# No no-shows or cancellations expected: the bands below are then the plain queue-length model.
POLICY = EstimationPolicy(
    default_mean_service_min=10.0,
    arrival_margin=timedelta(minutes=5),
    learning=LearningPolicy(prior_no_show=0.0, prior_cancel=0.0),
)


def expected(position: int, *, mean: float, idle: int = 0, busy: int = 0, fallback: int = 1) -> WaitBand:
    """The band the predictor must give with ``idle`` and ``busy`` open counters of ``mean`` minutes."""
    counters = [OpenCounter(mean, 1.0, False)] * idle + [OpenCounter(mean, 1.0, True)] * busy
    rates = LearnedRates(
        occupancy_min=mean, occupancy_cv2=1.0, no_show=0.0, no_show_delay_min=3.0, cancel=0.0
    )
    return wait_band(
        QueueSituation(position=position, counters=counters, fallback_counters=fallback, rates=rates)
    )


def minutes_after(at: datetime, minutes: float) -> str:
    return (at + timedelta(seconds=round(minutes * 60))).isoformat()


async def feed(db: MemoryDatabase, *events: CloudEvent) -> None:
    for event in events:
        await handle_event(event, unit_of_work=db.unit_of_work, policy=POLICY)


def published(db: MemoryDatabase, type: str) -> list[dict[str, Any]]:
    return [event.data for event in db.state.published if event.type == type]


@pytest.fixture
def db() -> MemoryDatabase:
    return MemoryDatabase()


async def open_hall(db: MemoryDatabase, hall: Any, *, mean: float = 5, counters: int = 1) -> None:
    await feed(db, hall.site(), hall.service(mean_service_min=mean))
    for index in range(counters):
        await feed(db, hall.counter(index), hall.counter_state("counter.opened", index))
    db.state.published.clear()


async def test_an_estimate_is_resent_only_when_it_moves_visibly(db: MemoryDatabase, hall: Any) -> None:
    await open_hall(db, hall, mean=5)
    await feed(db, *(hall.issued(minute) for minute in (1, 2, 3, 4)))
    db.state.published.clear()

    # A second counter opens: every waiting citizen will be called well sooner.
    await feed(db, hall.counter(1), hall.counter_state("counter.opened", 1, minute=5))
    moved = {e["ticket_id"] for e in published(db, "ticket.estimated")}
    db.state.published.clear()
    # Reopening changes nothing anybody would notice: no estimate goes out.
    await feed(db, hall.counter_state("counter.opened", 1, minute=5.5))

    assert len(moved) >= 2
    assert published(db, "ticket.estimated") == []


async def test_each_new_ticket_is_told_its_place_and_call_band(db: MemoryDatabase, hall: Any) -> None:
    await open_hall(db, hall, mean=5)
    tickets = [hall.issued(minute) for minute in (1, 2, 3)]
    await feed(db, *tickets)

    estimates = published(db, "ticket.estimated")
    assert [e["position"] for e in estimates] == [1, 2, 3]
    assert [e["ticket_id"] for e in estimates] == [str(hall.ticket_id(t)) for t in tickets]
    third = estimates[2]
    # Position 3, 5 minutes each, one open counter that has not called anyone yet: the first
    # ticket goes at once, the third waits for two services.
    assert third["call_p50"] == minutes_after(hall.at(3), expected(3, mean=5, idle=1).p50)
    assert expected(3, mean=5, idle=1).p50 == 8.4  # the median of two 5-minute services
    assert third["at"] == "2026-05-04T08:03:00+08:00"
    assert third["call_p10"] < third["call_p50"] < third["call_p90"]
    assert third["arrive_by"] < third["call_p10"]


async def test_each_change_of_the_queue_publishes_the_wait_for_a_newcomer(
    db: MemoryDatabase, hall: Any
) -> None:
    await open_hall(db, hall, mean=5)
    await feed(db, *(hall.issued(minute) for minute in (1, 2, 3)))

    forecasts = published(db, "queue.forecast")
    assert [(f["waiting"], f["open_counters"], f["wait_p50"]) for f in forecasts] == [
        (w, 1, expected(w + 1, mean=5, idle=1).p50) for w in (1, 2, 3)
    ]
    band = expected(4, mean=5, idle=1)
    assert (forecasts[-1]["wait_p10"], forecasts[-1]["wait_p90"]) == (band.p10, band.p90)
    assert [f["wait_p50"] for f in forecasts] == sorted(f["wait_p50"] for f in forecasts)
    assert {f["service_id"] for f in forecasts} == {str(hall.service_id)}


async def test_a_call_shortens_the_queue_and_is_kept_for_accuracy(db: MemoryDatabase, hall: Any) -> None:
    await open_hall(db, hall)
    first, second = hall.issued(1), hall.issued(2)
    await feed(db, first, second)
    db.state.published.clear()

    await feed(db, hall.called(first, 9))

    assert [f["waiting"] for f in published(db, "queue.forecast")] == [1]
    assert db.state.calls == {hall.ticket_id(first): hall.at(9)}
    assert db.state.tickets[hall.ticket_id(first)].status == "called"


async def test_recalls_change_nothing_and_keep_the_first_call_time(db: MemoryDatabase, hall: Any) -> None:
    await open_hall(db, hall)
    ticket = hall.issued(1)
    await feed(db, ticket, hall.called(ticket, 9))
    db.state.published.clear()

    await feed(db, hall.called(ticket, 12, recall=1))

    assert db.state.published == []
    assert db.state.calls[hall.ticket_id(ticket)] == hall.at(9)


async def test_priority_citizens_go_ahead_of_regular_ones(db: MemoryDatabase, hall: Any) -> None:
    await open_hall(db, hall)
    regular = [hall.issued(1), hall.issued(2)]
    elderly = hall.issued(3, priority="elderly")
    await feed(db, *regular, elderly)
    estimates = published(db, "ticket.estimated")
    assert [e["position"] for e in estimates[:3]] == [1, 2, 1]
    assert estimates[2]["ticket_id"] == str(hall.ticket_id(elderly))
    # The two regular citizens now wait one service longer: each is told so at once.
    assert [(e["ticket_id"], e["position"]) for e in estimates[3:]] == [
        (str(hall.ticket_id(regular[0])), 2),
        (str(hall.ticket_id(regular[1])), 3),
    ]


async def test_priority_counts_for_nothing_where_the_service_disables_it(
    db: MemoryDatabase, hall: Any
) -> None:
    await feed(db, hall.site(), hall.service(priority_enabled=False))
    await feed(db, hall.issued(1), hall.issued(2, priority="pregnant"))
    assert [e["position"] for e in published(db, "ticket.estimated")] == [1, 2]


async def test_opening_a_second_counter_halves_the_expected_wait(db: MemoryDatabase, hall: Any) -> None:
    await open_hall(db, hall, mean=6)
    await feed(db, *(hall.issued(minute) for minute in (1, 2, 3, 4)))
    db.state.published.clear()

    await feed(db, hall.counter(1), hall.counter_state("counter.opened", 1, minute=5))
    opened = published(db, "queue.forecast")
    await feed(db, hall.counter_state("counter.paused", 1, minute=30))
    paused = published(db, "queue.forecast")[len(opened) :]

    assert [(f["open_counters"], f["wait_p50"]) for f in opened] == [(2, expected(5, mean=6, idle=2).p50)]
    assert [(f["open_counters"], f["wait_p50"]) for f in paused] == [(1, expected(5, mean=6, idle=1).p50)]
    assert opened[0]["wait_p50"] < paused[0]["wait_p50"] / 1.5


async def test_reopening_an_open_counter_publishes_nothing(db: MemoryDatabase, hall: Any) -> None:
    await open_hall(db, hall)
    await feed(db, hall.counter_state("counter.opened", 0, minute=3))
    assert db.state.published == []


async def test_with_no_counter_open_during_the_hours_each_has_a_service_to_finish_first(
    db: MemoryDatabase, hall: Any
) -> None:
    """08:01 on a Monday, the hall is open, but no counter is: when an officer comes back is
    unknown, so the registered counter is assumed to finish one service before calling the
    line, rather than to call the first citizen this minute."""
    await feed(db, hall.site(), hall.service(mean_service_min=8), hall.counter(0))
    await feed(db, hall.issued(1), hall.issued(2))
    last = published(db, "queue.forecast")[-1]
    assert (last["waiting"], last["open_counters"], last["wait_p50"]) == (2, 0, expected(3, mean=8).p50)


async def test_before_the_opening_the_counters_open_idle_at_the_opening(
    db: MemoryDatabase, hall: Any
) -> None:
    """07:30, before the 08:00 opening: the counter starts idle at 08:00, so the first citizen
    is called as it opens and the third after two services (shorter than a busy start)."""
    await feed(db, hall.site(), hall.service(mean_service_min=8), hall.counter(0))
    await feed(db, hall.issued(-30), hall.issued(-29))
    first = published(db, "ticket.estimated")[-2]
    assert datetime.fromisoformat(str(first["call_p50"])) == hall.at(0)
    last = published(db, "queue.forecast")[-1]
    assert (last["waiting"], last["open_counters"]) == (2, 0)
    # The forecast is read on the clock: the half hour until the opening is part of the wait.
    assert last["wait_p50"] == pytest.approx(29 + expected(3, mean=8, idle=1).p50, abs=0.11)  # at 07:31
    assert expected(3, mean=8, idle=1).p50 < expected(3, mean=8).p50


async def test_a_cancelled_waiting_ticket_leaves_the_queue(db: MemoryDatabase, hall: Any) -> None:
    await open_hall(db, hall)
    first, second = hall.issued(1), hall.issued(2)
    await feed(db, first, second, hall.cancelled(first, 4))
    assert published(db, "queue.forecast")[-1]["waiting"] == 1
    assert db.state.tickets[hall.ticket_id(first)].status == "cancelled"


async def test_events_after_the_call_leave_the_queue_as_it_is(db: MemoryDatabase, hall: Any) -> None:
    await open_hall(db, hall)
    ticket = hall.issued(1)
    await feed(db, ticket, hall.called(ticket, 5))
    db.state.published.clear()

    await feed(db, hall.started(ticket, 6))

    assert db.state.published == []
    assert db.state.tickets[hall.ticket_id(ticket)].started_at == hall.at(6)


async def test_a_finished_service_is_kept_with_its_times(db: MemoryDatabase, hall: Any) -> None:
    await open_hall(db, hall)
    ticket = hall.issued(1)
    await feed(db, ticket, hall.called(ticket, 5), hall.started(ticket, 6), hall.finished(ticket, 13))
    kept = db.state.tickets[hall.ticket_id(ticket)]
    assert (kept.status, kept.called_at, kept.started_at, kept.finished_at) == (
        "done",
        hall.at(5),
        hall.at(6),
        hall.at(13),
    )


async def test_a_no_show_after_the_call_closes_the_ticket_only(db: MemoryDatabase, hall: Any) -> None:
    await open_hall(db, hall)
    absent, present = hall.issued(1), hall.issued(2)
    await feed(db, absent, present, hall.called(absent, 5))
    db.state.published.clear()

    await feed(db, hall.no_show(absent, 8))

    assert db.state.published == []
    assert db.state.tickets[hall.ticket_id(absent)].status == "no_show"
    assert db.state.tickets[hall.ticket_id(present)].waiting


async def test_an_event_with_a_malformed_site_id_is_refused(db: MemoryDatabase, hall: Any) -> None:
    opened = hall.counter_state("counter.opened").model_copy(update={"siteid": "kupang"})
    with pytest.raises(ValidationError):
        await feed(db, opened)
    assert db.state.counters == {}


async def test_a_transferred_ticket_gets_an_estimate_in_its_new_service(
    db: MemoryDatabase, hall: Any
) -> None:
    await open_hall(db, hall)
    await feed(db, hall.service(mean_service_min=20, service_id=hall.other_service_id))
    ticket = hall.issued(1, priority="disabled")
    await feed(db, ticket, hall.called(ticket, 3))
    db.state.published.clear()

    transfer, new_ticket_id = hall.transferred(ticket, 10, to_service_id=hall.other_service_id)
    await feed(db, transfer)

    [estimate] = published(db, "ticket.estimated")
    assert (estimate["ticket_id"], estimate["service_id"], estimate["position"]) == (
        str(new_ticket_id),
        str(hall.other_service_id),
        1,
    )
    # 20 minutes, no counter open or registered yet: one is assumed.
    assert estimate["call_p50"] == minutes_after(hall.at(10), expected(1, mean=20).p50)
    assert db.state.tickets[new_ticket_id].priority == "disabled"
    assert db.state.tickets[hall.ticket_id(ticket)].status == "transferred"


async def test_a_service_the_registry_has_not_described_uses_the_default_mean(
    db: MemoryDatabase, hall: Any
) -> None:
    await feed(db, hall.issued(1))
    [estimate] = published(db, "ticket.estimated")
    call_p50 = datetime.fromisoformat(estimate["call_p50"])
    assert call_p50 == hall.at(1) + timedelta(seconds=round(expected(1, mean=10).p50 * 60))
    assert call_p50.utcoffset() == timedelta(0)  # no site known yet: UTC


async def test_a_changed_mean_service_time_is_published_at_once(db: MemoryDatabase, hall: Any) -> None:
    await open_hall(db, hall, mean=5)
    await feed(db, hall.issued(1))
    db.state.published.clear()

    await feed(db, hall.service(mean_service_min=12))

    [forecast] = published(db, "queue.forecast")
    # The registry's event is dated 07:00, an hour before the opening: on the clock, a ticket
    # taken then waits that hour too.
    assert (forecast["waiting"], forecast["wait_p50"]) == (1, 60 + expected(2, mean=12, idle=1).p50)


async def test_the_same_events_twice_change_nothing(db: MemoryDatabase, hall: Any) -> None:
    events = [
        hall.site(),
        hall.service(),
        hall.counter(0),
        hall.counter_state("counter.opened"),
        hall.issued(1),
        hall.issued(2),
    ]
    await feed(db, *events)
    published_once = list(db.state.published)
    tickets_once = dict(db.state.tickets)

    await feed(db, *events)

    assert db.state.published == published_once
    assert db.state.tickets == tickets_once


async def test_a_bad_registry_state_is_refused_and_leaves_nothing_half_done(
    db: MemoryDatabase, hall: Any
) -> None:
    await open_hall(db, hall, mean=5)
    broken = hall.service(mean_service_min=0)
    with pytest.raises(ValidationError):
        await feed(db, broken)
    assert db.state.services[hall.service_id].mean_service_min == 5
    assert broken.id not in db.state.applied


async def test_events_estimation_does_not_follow_are_ignored(db: MemoryDatabase, hall: Any) -> None:
    sent = new_event(
        type="notification.sent",
        source="antre/notify",
        site_id=hall.site_id,
        time=hall.at(0),
        data=NotificationStatus(notification_id=uuid4(), kind="called", at=hall.at(0)),
    )
    await feed(db, sent)
    assert db.state.applied == set() and db.state.published == []


async def test_deleting_an_open_counter_removes_it_from_the_forecast(db: MemoryDatabase, hall: Any) -> None:
    await open_hall(db, hall, counters=2)
    await feed(db, hall.counter(1, op="delete"))
    assert [f["open_counters"] for f in published(db, "queue.forecast")] == [1]


async def test_estimate_updates_per_event_stay_bounded_however_long_the_queue(hall: Any) -> None:
    db = MemoryDatabase(rollback=False)  # no copy of the whole state per event: 300 tickets stay quick
    await open_hall(db, hall, mean=5)
    await feed(db, *(hall.issued(minute / 10) for minute in range(300)))
    db.state.published.clear()

    # A second counter halves every wait: all 300 citizens' estimates move, yet one event
    # re-sends only the head of the queue (the forecast tells the rest of the hall).
    await feed(db, hall.counter(1), hall.counter_state("counter.opened", 1, minute=31))

    estimates = published(db, "ticket.estimated")
    assert 2 <= len(estimates) <= POLICY.recheck_head + POLICY.recheck_sweep
    assert [e["position"] for e in estimates] == sorted(e["position"] for e in estimates)
    assert published(db, "queue.forecast")[-1]["open_counters"] == 2


async def test_every_citizen_far_back_is_told_within_a_bounded_number_of_events(hall: Any) -> None:
    """The rotating re-check: each change of the line re-checks the head and the next few
    tickets after a cursor, so a citizen at place 250 learns that a second counter halved
    their wait within (waiting / recheck_sweep) events, not only when they reach the head."""
    db = MemoryDatabase(rollback=False)
    await open_hall(db, hall, mean=5)
    waiting = [hall.issued(minute / 10) for minute in range(300)]
    await feed(db, *waiting)
    db.state.published.clear()

    await feed(db, hall.counter(1), hall.counter_state("counter.opened", 1, minute=31))
    rounds = -(-(300 - POLICY.recheck_head) // POLICY.recheck_sweep)
    for minute in range(rounds):  # any change of the line: here more citizens take a number
        await feed(db, hall.issued(31 + minute / 10))

    told = {e["ticket_id"] for e in published(db, "ticket.estimated")}
    far_back = {str(event.data["ticket_id"]) for event in waiting[POLICY.recheck_head :]}
    assert far_back <= {str(t) for t in told}


async def test_a_rejoined_ticket_waits_again_at_the_back_of_its_line(db: MemoryDatabase, hall: Any) -> None:
    await open_hall(db, hall)
    absent, present, later = hall.issued(1, number="A-001"), hall.issued(2), hall.issued(3)
    await feed(db, absent, present, later, hall.called(absent, 5), hall.no_show(absent, 8))
    db.state.published.clear()

    rejoin = hall.rejoined(absent, 20)
    await feed(db, rejoin)

    [estimate] = [
        e for e in published(db, "ticket.estimated") if e["ticket_id"] == str(hall.ticket_id(absent))
    ]
    # TUNDA puts it behind everyone still waiting, at the rejoin time (ticketing's policy).
    assert (estimate["position"], estimate["at"]) == (3, "2026-05-04T08:20:00+08:00")
    assert [(f["waiting"], f["at"]) for f in published(db, "queue.forecast")] == [
        (3, "2026-05-04T08:20:00+08:00")
    ]
    assert db.state.tickets[hall.ticket_id(absent)].waiting

    # The same event again (a redelivery) changes nothing; the same stream elsewhere gives the same.
    once = list(db.state.published)
    await feed(db, rejoin)
    assert db.state.published == once
    twin = MemoryDatabase()
    await open_hall(twin, hall)
    await feed(twin, absent, present, later, hall.called(absent, 5), hall.no_show(absent, 8))
    twin.state.published.clear()
    await feed(twin, rejoin)
    assert [(e.type, e.data) for e in twin.state.published] == [(e.type, e.data) for e in once]


async def test_a_rejoined_ticket_does_not_count_twice_in_what_is_learned(
    db: MemoryDatabase, hall: Any
) -> None:
    await open_hall(db, hall)
    absent = hall.issued(1)
    await feed(db, absent, hall.called(absent, 5), hall.no_show(absent, 8))
    learned_after_first_wait = copy.deepcopy(db.state.learned)

    await feed(db, hall.rejoined(absent, 20), hall.called(absent, 21), hall.no_show(absent, 24))

    assert db.state.learned == learned_after_first_wait
    assert db.state.tickets[hall.ticket_id(absent)].status == "no_show"


async def test_a_rejoin_of_a_ticket_that_is_not_a_no_show_is_ignored(db: MemoryDatabase, hall: Any) -> None:
    await open_hall(db, hall)
    first = hall.issued(1)
    await feed(db, first)
    db.state.published.clear()

    await feed(db, hall.rejoined(first, 4))

    assert db.state.published == []


def wait_told(db: MemoryDatabase, issued: CloudEvent) -> float:
    """Minutes from issue to the P50 call the citizen was told at issue."""
    [told] = [e for e in published(db, "ticket.estimated") if e["ticket_id"] == issued.data["ticket_id"]][:1]
    return (
        datetime.fromisoformat(told["call_p50"]) - datetime.fromisoformat(told["at"])
    ).total_seconds() / 60


async def test_a_ticket_waits_for_the_older_tickets_of_a_service_sharing_its_counter(hall: Any) -> None:
    # One counter calls the oldest ticket across KTP (the other service, 12 min) and KK (7 min).
    async def kk_wait(ktp_ahead: int) -> float:
        db = MemoryDatabase()
        both = [hall.service_id, hall.other_service_id]
        await feed(
            db,
            hall.site(),
            hall.service(mean_service_min=7),
            hall.service(mean_service_min=12, service_id=hall.other_service_id),
            hall.counter(0, service_ids=both),
            hall.counter_state("counter.opened", 0, service_ids=both),
        )
        first = hall.issued(0)
        await feed(db, first, hall.called(first, 0), hall.started(first, 0))
        await feed(db, *(hall.issued(1 + i, service_id=hall.other_service_id) for i in range(ktp_ahead)))
        kk = hall.issued(5)
        await feed(db, kk)
        return wait_told(db, kk)

    # Three KTP citizens came first: the KK citizen waits for them, about 3 x 12 minutes more.
    assert await kk_wait(3) - await kk_wait(0) == pytest.approx(3 * 12, abs=4)


async def regular_desk(hall: Any, *, services: int) -> MemoryDatabase:
    """A counter that has served ``services`` citizens in exactly 10 minutes each, then starts one at 200."""
    db = MemoryDatabase()
    await open_hall(db, hall, mean=10)
    for index in range(services):
        ticket = hall.issued(10 * index)
        await feed(
            db,
            ticket,
            hall.called(ticket, 10 * index),
            hall.started(ticket, 10 * index),
            hall.finished(ticket, 10 * index + 10),
        )
    serving = hall.issued(200)
    await feed(db, serving, hall.called(serving, 200), hall.started(serving, 200))
    return db


@pytest.mark.parametrize("services", [20, 0])
async def test_the_time_a_citizen_has_been_at_the_desk_counts_where_service_is_regular(
    hall: Any, services: int
) -> None:
    just_started = await regular_desk(hall, services=services)
    nearly_done = await regular_desk(hall, services=services)
    early, late = hall.issued(200.5), hall.issued(209)
    await feed(just_started, early)
    await feed(nearly_done, late)
    if services:  # learned: a regular 10-minute desk, 9 minutes into a service, frees up soon
        assert wait_told(just_started, early) > 8 and wait_told(nearly_done, late) < 4
    else:  # nothing learned yet: service times are taken as exponential, and elapsed time is no clue
        assert wait_told(just_started, early) == wait_told(nearly_done, late) > 5


async def overtaking_hall(hall: Any, *, elderly_first: bool) -> MemoryDatabase:
    """Ten rounds of two citizens served in turn: a regular one, then one who came a minute later,
    elderly and called first (``elderly_first``) or regular and called second. Same service times."""
    db = MemoryDatabase()
    await open_hall(db, hall, mean=5)
    for round_ in range(10):
        minute = 10 * round_
        regular = hall.issued(minute)
        later = hall.issued(minute + 1, priority="elderly" if elderly_first else "regular")
        first, second = (later, regular) if elderly_first else (regular, later)
        await feed(db, regular, later)
        for ticket, start in ((first, minute + 2), (second, minute + 5)):
            await feed(
                db, hall.called(ticket, start), hall.started(ticket, start), hall.finished(ticket, start + 3)
            )
    busy = hall.issued(100)
    await feed(db, busy, hall.called(busy, 100), hall.started(busy, 100))
    return db


async def test_priority_tickets_seen_overtaking_make_regular_waits_longer(hall: Any) -> None:
    overtaken, in_order = (
        await overtaking_hall(hall, elderly_first=True),
        await overtaking_hall(hall, elderly_first=False),
    )
    waits = []
    for db in (overtaken, in_order):
        first, second = hall.issued(101), hall.issued(102)
        await feed(db, first, second)
        waits.append(wait_told(db, second))
    # Where later priority citizens took every other call, regular citizens are told to expect them.
    assert waits[0] > 1.2 * waits[1]
