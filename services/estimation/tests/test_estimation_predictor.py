"""The predictor alone: the band a citizen is told, and its promises under its own model."""

import itertools
import math
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from estimation.app.registry import SiteState
from estimation.domain.hours import opening_hours
from estimation.domain.learning import LearnedRates
from estimation.domain.predictor import (
    EXACT_SHAPE_LIMIT,
    LineAhead,
    OpenCounter,
    QueueSituation,
    ServiceInProgress,
    WaitBand,
    call_estimate,
    gamma_quantile,
    residual_occupancy,
    wait_band,
)

AT = datetime(2026, 5, 4, 0, 0, tzinfo=UTC)
WITA = ZoneInfo("Asia/Makassar")


def rates(
    mean: float = 6.0, *, cv2: float = 1.0, no_show: float = 0.0, delay: float = 2.0, cancel: float = 0.0
) -> LearnedRates:
    return LearnedRates(
        occupancy_min=mean, occupancy_cv2=cv2, no_show=no_show, no_show_delay_min=delay, cancel=cancel
    )


def situation(
    position: int, *, busy: int = 1, idle: int = 0, mean: float = 6.0, fallback: int = 1, **learned: float
) -> QueueSituation:
    counters = [OpenCounter(mean, 1.0, True)] * busy + [OpenCounter(mean, 1.0, False)] * idle
    return QueueSituation(
        position=position, counters=counters, fallback_counters=fallback, rates=rates(mean, **learned)
    )


def band(position: int, **kwargs: float) -> WaitBand:
    return wait_band(situation(position, **kwargs))  # type: ignore[arg-type]


def test_mmc_band_is_the_exact_erlang_law_of_the_kth_release() -> None:
    # Exponential service at c busy counters: the k-th call is Gamma(k, m/c).
    result = band(6, busy=2, mean=5)
    assert result.p50 == round(gamma_quantile(0.5, shape=6) * 2.5, 1)
    assert result.p10 == round(gamma_quantile(0.1, shape=6) * 2.5, 1)
    assert result.p90 == round(gamma_quantile(0.9, shape=6) * 2.5, 1)


def test_band_holds_80_percent_of_simulated_waits() -> None:
    rng = random.Random(7)
    result = band(5, busy=2, mean=6)
    waits = [sum(rng.expovariate(2 / 6) for _ in range(5)) for _ in range(20_000)]
    assert sum(w < result.p10 for w in waits) / len(waits) == pytest.approx(0.10, abs=0.015)
    assert sum(w > result.p90 for w in waits) / len(waits) == pytest.approx(0.10, abs=0.015)


def test_regular_desks_get_a_narrower_band_than_exponential_ones() -> None:
    steady, erratic = band(8, cv2=0.2), band(8, cv2=1.0)
    assert steady.p90 - steady.p10 < 0.6 * (erratic.p90 - erratic.p10)
    assert steady.p50 == pytest.approx(erratic.p50, rel=0.1)


def test_an_idle_counter_calls_the_first_in_line_at_once() -> None:
    assert band(1, busy=0, idle=1) == WaitBand(0.0, 0.0, 0.0, 0.0)
    assert band(2, busy=1, idle=1).p50 == band(1, busy=2).p50


def test_expected_no_shows_and_cancellations_ahead_shorten_the_wait() -> None:
    everyone = band(20)
    assert band(20, no_show=0.15, delay=2).p50 < everyone.p50
    assert band(20, cancel=0.1).p50 == pytest.approx(everyone.p50 * (19 * 0.9 + 1) / 20, rel=0.02)


def test_later_positions_never_wait_less() -> None:
    bands = [band(k, busy=2, mean=5) for k in range(1, 300)]
    for earlier, later in itertools.pairwise(bands):
        assert later.p10 >= earlier.p10 and later.p50 > earlier.p50 and later.p90 >= earlier.p90


def test_more_open_counters_shorten_the_wait() -> None:
    one, two, four = (band(12, busy=c, mean=10) for c in (1, 2, 4))
    assert one.p50 > two.p50 > four.p50 and one.p90 > two.p90 > four.p90
    assert two.p50 == pytest.approx(one.p50 / 2, abs=0.1)


def test_a_counter_shared_with_another_service_counts_for_its_share() -> None:
    shared = QueueSituation(
        position=10, counters=[OpenCounter(6, 0.5, True)], fallback_counters=1, rates=rates(6)
    )
    assert wait_band(shared).p50 == pytest.approx(2 * band(10, busy=1).p50, abs=0.2)


def test_no_open_counter_assumes_the_registered_ones_open() -> None:
    assert band(4, busy=0, fallback=2) == band(4, busy=2)
    assert band(4, busy=0, fallback=0) == band(4, busy=1)


def test_large_queues_switch_to_the_approximation_without_a_jump() -> None:
    exact = gamma_quantile(0.9, shape=EXACT_SHAPE_LIMIT)
    approximate = gamma_quantile(0.9, shape=EXACT_SHAPE_LIMIT + 1e-6)
    assert approximate == pytest.approx(exact, rel=0.01)


def test_fractional_shapes_match_the_exponential_closed_form() -> None:
    assert gamma_quantile(0.1, shape=1) == pytest.approx(-math.log(0.9), rel=1e-9)
    assert gamma_quantile(0.9, shape=1) == pytest.approx(math.log(10), rel=1e-9)
    assert gamma_quantile(0.5, shape=0.5) == pytest.approx(0.2275, abs=1e-3)  # chi-square(1)/2 median


def test_a_wait_that_crosses_the_lunch_break_is_pushed_past_it() -> None:
    hours = {"mon": [["08:00", "12:00"], ["13:00", "15:00"]]}
    at = datetime(2026, 5, 4, 11, 40, tzinfo=WITA)
    estimate = call_estimate(
        at=at, situation=situation(8, busy=1, mean=5), hours=opening_hours(hours, at=at, zone=WITA)
    )
    plain = call_estimate(at=at, situation=situation(8, busy=1, mean=5))
    assert plain.call_p50 > datetime(2026, 5, 4, 12, 0, tzinfo=WITA)
    assert estimate.call_p50 == plain.call_p50 + timedelta(hours=1)


def test_a_day_that_ends_at_24_00_is_open_until_midnight() -> None:
    """The registry accepts "24:00" as the end of a day; it must not read as closed."""
    at = datetime(2026, 5, 4, 22, 0, tzinfo=WITA)
    [(opens, closes)] = opening_hours({"mon": [["18:00", "24:00"]]}, at=at, zone=WITA).intervals
    assert (opens, closes) == (
        datetime(2026, 5, 4, 18, 0, tzinfo=WITA),
        datetime(2026, 5, 5, 0, 0, tzinfo=WITA),
    )
    estimate = call_estimate(
        at=at,
        situation=situation(4, busy=1, mean=5),
        hours=opening_hours({"mon": [["18:00", "24:00"]]}, at=at, zone=WITA),
    )
    assert estimate.call_p50 == call_estimate(at=at, situation=situation(4, busy=1, mean=5)).call_p50


def test_friday_prayer_break_comes_from_the_friday_hours() -> None:
    hours = {"fri": [["08:00", "11:30"], ["13:30", "15:00"]]}
    at = datetime(2026, 5, 8, 11, 20, tzinfo=WITA)
    estimate = call_estimate(
        at=at, situation=situation(4, busy=1, mean=5), hours=opening_hours(hours, at=at, zone=WITA)
    )
    assert estimate.call_p50 >= datetime(2026, 5, 8, 13, 30, tzinfo=WITA)


def test_arrive_by_is_the_ten_percent_call_time_less_the_margin() -> None:
    estimate = call_estimate(at=AT, situation=situation(10), arrival_margin=timedelta(minutes=5))
    assert estimate.arrive_by == estimate.call_p10 - timedelta(minutes=5)
    assert estimate.call_p10 < estimate.call_p50 < estimate.call_p90


def test_arrive_by_is_never_before_the_citizen_can_get_there() -> None:
    assert call_estimate(at=AT, situation=situation(1, busy=0, idle=1)).arrive_by == AT
    far = call_estimate(at=AT, situation=situation(2), travel_minutes=90)
    assert far.arrive_by == AT + timedelta(minutes=90)


def test_same_inputs_give_the_same_answer() -> None:
    first = call_estimate(at=AT, situation=situation(9, busy=3, mean=6.5))
    assert all(call_estimate(at=AT, situation=situation(9, busy=3, mean=6.5)) == first for _ in range(5))


@pytest.mark.parametrize("position", [0, -1])
def test_nonsense_positions_are_refused(position: int) -> None:
    with pytest.raises(ValueError, match="1-based"):
        band(position)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call_estimate(at=datetime(2026, 5, 4, 8, 0), situation=situation(1))


def test_the_demo_sites_hours_and_null_closed_days_are_understood() -> None:
    state = SiteState.model_validate(
        {
            "id": "00000000-0000-0000-0000-000000000001",
            "timezone": "Asia/Makassar",
            "closed_dates": None,
            "hours": {"fri": [["08:00", "11:30"], ["13:00", "15:00"]], "mon": [["8am", "x"]]},
        }
    )
    friday = datetime(2026, 5, 8, 9, 0, tzinfo=WITA)
    assert len(opening_hours(state.hours, at=friday, zone=WITA).intervals) == 2
    # A malformed pair is ignored: that day counts as closed, estimates still flow.
    monday = datetime(2026, 5, 4, 9, 0, tzinfo=WITA)
    assert opening_hours(state.hours, at=monday, zone=WITA).intervals == ((monday, monday),)


def serving_for(elapsed: float, *, mean: float = 10.0, cv2: float) -> QueueSituation:
    """One counter, busy for ``elapsed`` minutes with a citizen of a ``mean``-minute service."""
    counter = OpenCounter(mean, 1.0, True, in_service=ServiceInProgress(elapsed, mean, cv2))
    return QueueSituation(position=1, counters=[counter], fallback_counters=1, rates=rates(mean, cv2=cv2))


def test_a_regular_desk_nine_minutes_into_a_ten_minute_service_calls_the_next_citizen_soon() -> None:
    almost_done, just_started = wait_band(serving_for(9, cv2=0.05)), wait_band(serving_for(0, cv2=0.05))
    assert just_started.p50 == pytest.approx(10, abs=0.5)
    # The counter almost done is surely free before the one that just started could be.
    assert almost_done.p90 < just_started.p10
    assert almost_done.mean < just_started.mean - 6


def test_elapsed_service_time_changes_nothing_for_exponential_service() -> None:
    # Memoryless: a citizen served for 9 minutes has as long to go as one who just sat down.
    assert wait_band(serving_for(9, cv2=1.0)) == wait_band(serving_for(0, cv2=1.0))
    assert residual_occupancy(ServiceInProgress(9, 10, 1.0)) == (10, 100)


def test_an_erratic_service_that_has_run_long_tends_to_run_on() -> None:
    assert wait_band(serving_for(20, cv2=2.0)).mean > wait_band(serving_for(0, cv2=2.0)).mean


@pytest.mark.parametrize(("elapsed", "cv2"), [(2, 0.25), (6, 0.25), (12, 0.25), (5, 0.5), (10, 2.0)])
def test_the_rest_of_a_service_matches_simulated_gamma_services(elapsed: float, cv2: float) -> None:
    rng = random.Random(11)
    rests = [o - elapsed for o in (rng.gammavariate(1 / cv2, 6 * cv2) for _ in range(200_000)) if o > elapsed]
    mean, variance = residual_occupancy(ServiceInProgress(elapsed, 6.0, cv2))
    simulated_mean = sum(rests) / len(rests)
    assert mean == pytest.approx(simulated_mean, rel=0.02)
    assert variance == pytest.approx(sum((r - simulated_mean) ** 2 for r in rests) / len(rests), rel=0.05)


def test_older_tickets_of_a_service_sharing_the_counters_are_called_first() -> None:
    # Two busy counters call the oldest ticket across KTP (12 min) and KK (7 min). With 4 older KTP
    # tickets waiting, the first KK ticket is called at the 5th release: the two citizens at the
    # desks leave, then three of the KTP citizens.
    counters = [OpenCounter(7, 1.0, True)] * 2
    alone = QueueSituation(position=1, counters=counters, fallback_counters=2, rates=rates(7))
    behind = replace(alone, others_ahead=[LineAhead(tickets=4, release_mean_min=12, release_variance=36)])
    assert wait_band(alone).mean == pytest.approx(7 / 2, abs=0.05)
    assert wait_band(behind).mean == pytest.approx((2 * 7 + 3 * 12) / 2, abs=0.05)
    assert wait_band(behind).p10 > wait_band(alone).p90


def test_priority_tickets_expected_to_overtake_delay_a_regular_ticket() -> None:
    plain = situation(10, busy=2)
    overtaken = replace(plain, overtaking=0.1)
    assert wait_band(overtaken).mean == pytest.approx(wait_band(plain).mean / 0.9, abs=0.1)
    assert wait_band(overtaken).p90 > wait_band(plain).p90


def test_the_mean_call_is_the_erlang_mean_and_never_before_the_median() -> None:
    # M/M/c: the 6th release at 2 counters of 5 minutes comes after 6 x 2.5 minutes on average.
    result = band(6, busy=2, mean=5)
    assert result.mean == 15.0 and result.mean > result.p50
    estimate = call_estimate(at=AT, situation=situation(6, busy=2, mean=5))
    assert estimate.call_mean == AT + timedelta(minutes=15)


def test_with_every_counter_closed_the_first_citizen_is_called_when_they_open() -> None:
    hours = {"mon": [["08:00", "12:00"], ["13:00", "15:00"]]}
    lunch = datetime(2026, 5, 4, 12, 20, tzinfo=WITA)
    idle_after_lunch = replace(situation(1, busy=0, idle=1), open_now=False)
    estimate = call_estimate(
        at=lunch, situation=idle_after_lunch, hours=opening_hours(hours, at=lunch, zone=WITA)
    )
    assert estimate.call_p10 == estimate.call_p50 == datetime(2026, 5, 4, 13, 0, tzinfo=WITA)
