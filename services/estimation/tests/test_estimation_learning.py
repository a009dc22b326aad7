"""Learning from the hall: service times per service, counter and hour; no-shows; cancellations."""

from datetime import timedelta
from typing import Any

import pytest
from antre_contracts import CloudEvent

from estimation.adapters.memory import MemoryDatabase
from estimation.app.estimates import EstimationPolicy, ticket_estimate
from estimation.app.handlers import handle_event
from estimation.domain.learning import LearningPolicy, Moments, learned_rates

POLICY = EstimationPolicy(arrival_margin=timedelta(0))


async def feed(db: MemoryDatabase, *events: CloudEvent) -> None:
    for event in events:
        await handle_event(event, unit_of_work=db.unit_of_work, policy=POLICY)


def test_few_observations_stay_near_the_registry_prior() -> None:
    one_long = Moments().add(30.0)
    assert one_long.shrunk_mean(prior=5.0, pseudo_count=5) == pytest.approx((25 + 30) / 6)


def test_many_observations_outweigh_the_prior() -> None:
    moments = Moments()
    for minutes in [8.0, 9.0, 10.0, 11.0, 12.0] * 40:
        moments = moments.add(minutes)
    assert moments.shrunk_mean(prior=5.0, pseudo_count=5) == pytest.approx(10.0, abs=0.2)
    assert moments.shrunk_cv2(prior_cv2=1.0, pseudo_count=5) < 0.1


async def serve(db: MemoryDatabase, hall: Any, *, minutes: float, count: int, start: float = 0) -> float:
    """``count`` citizens, each holding the counter ``minutes`` from call to finish."""
    clock = start
    for index in range(count):
        ticket = hall.issued(clock)
        await feed(
            db,
            ticket,
            hall.called(ticket, clock),
            hall.started(ticket, clock),
            hall.finished(ticket, clock + minutes),
        )
        clock += minutes + 0.01 * index
    return clock


async def test_served_citizens_teach_the_service_time(db: MemoryDatabase, hall: Any) -> None:
    await feed(
        db,
        hall.site(),
        hall.service(mean_service_min=5),
        hall.counter(0),
        hall.counter_state("counter.opened"),
    )
    await serve(db, hall, minutes=12, count=60)

    async with db.unit_of_work() as store:
        learned = await store.learning(hall.service_id)
    rates = learned_rates(learned, prior_mean_min=5, hour=9, policy=LearningPolicy())
    assert rates.occupancy_min == pytest.approx(12, abs=1.0)
    assert rates.no_show < 0.05  # everyone showed
    assert learned.occupancy_by_scope[f"counter:{hall.counter_ids[0]}"].count == 60


async def test_a_slow_service_pushes_the_next_estimates_later(db: MemoryDatabase, hall: Any) -> None:
    await feed(
        db,
        hall.site(),
        hall.service(mean_service_min=5),
        hall.counter(0),
        hall.counter_state("counter.opened"),
    )
    clock = await serve(db, hall, minutes=15, count=30, start=1)
    waiting = [hall.issued(clock + 1), hall.issued(clock + 1.5)]
    await feed(db, *waiting)
    async with db.unit_of_work() as store:
        ticket = await store.ticket(hall.ticket_id(waiting[1]))
        assert ticket is not None
        estimate = await ticket_estimate(store, POLICY, ticket=ticket, at=hall.at(clock + 2))
    # Prior 5 minutes; the hall showed 15: the estimate is now far beyond 5 minutes a head.
    assert (estimate.call.call_p50 - hall.at(clock + 2)) > timedelta(minutes=10)


async def test_no_shows_are_learned_with_their_delay(db: MemoryDatabase, hall: Any) -> None:
    await feed(
        db,
        hall.site(),
        hall.service(mean_service_min=5),
        hall.counter(0),
        hall.counter_state("counter.opened"),
    )
    for index in range(40):
        ticket = hall.issued(index * 5)
        await feed(db, ticket, hall.called(ticket, index * 5 + 1), hall.no_show(ticket, index * 5 + 3))
    async with db.unit_of_work() as store:
        learned = await store.learning(hall.service_id)
    rates = learned_rates(learned, prior_mean_min=5, hour=9, policy=LearningPolicy())
    assert rates.no_show > 0.6
    assert rates.no_show_delay_min == pytest.approx(2.0, abs=0.5)


async def test_cancellations_are_learned(db: MemoryDatabase, hall: Any) -> None:
    await feed(db, hall.site(), hall.service(mean_service_min=5))
    for index in range(40):
        ticket = hall.issued(index)
        await feed(db, ticket, hall.cancelled(ticket, index + 0.5))
    async with db.unit_of_work() as store:
        learned = await store.learning(hall.service_id)
    assert learned_rates(learned, prior_mean_min=5, hour=9, policy=LearningPolicy()).cancel > 0.6


@pytest.fixture
def db() -> MemoryDatabase:
    return MemoryDatabase()
