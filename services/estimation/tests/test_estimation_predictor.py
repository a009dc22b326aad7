"""The predictor alone: the band a citizen is told, and its promises under its own model."""

import itertools
import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from estimation.domain.predictor import (
    EXACT_SHAPE_LIMIT,
    call_estimate,
    gamma_quantile,
    wait_band,
)

AT = datetime(2026, 5, 4, 0, 0, tzinfo=UTC)


def test_p50_is_position_times_mean_over_open_counters() -> None:
    assert wait_band(position=6, mean_service_min=5, open_counters=2).p50 == 15.0
    assert wait_band(position=1, mean_service_min=12, open_counters=1).p50 == 12.0


def test_band_is_ordered_for_every_queue_shape() -> None:
    for position in (1, 2, 3, 10, 50, 100, 101, 400):
        for counters in (0, 1, 3, 8):
            band = wait_band(position=position, mean_service_min=7, open_counters=counters)
            assert 0 <= band.p10 <= band.p50 <= band.p90, (position, counters, band)


def test_later_positions_never_wait_less() -> None:
    bands = [wait_band(position=k, mean_service_min=5, open_counters=2) for k in range(1, 300)]
    for earlier, later in itertools.pairwise(bands):
        assert later.p10 >= earlier.p10 and later.p50 > earlier.p50 and later.p90 >= earlier.p90


def test_more_open_counters_shorten_the_wait() -> None:
    one, two, four = (wait_band(position=12, mean_service_min=10, open_counters=c) for c in (1, 2, 4))
    assert one.p50 > two.p50 > four.p50
    assert one.p90 > two.p90 > four.p90
    assert two.p50 == pytest.approx(one.p50 / 2)


def test_no_open_counter_is_treated_as_one_about_to_open() -> None:
    assert wait_band(position=4, mean_service_min=5, open_counters=0) == \
        wait_band(position=4, mean_service_min=5, open_counters=1)


def test_same_inputs_give_the_same_answer() -> None:
    first = call_estimate(at=AT, position=9, mean_service_min=6.5, open_counters=3)
    assert all(call_estimate(at=AT, position=9, mean_service_min=6.5, open_counters=3) == first
               for _ in range(5))


def test_first_in_line_matches_the_exponential_closed_form() -> None:
    # Gamma(1) is the exponential: p10 = -ln(0.9), p90 = ln(10).
    assert gamma_quantile(0.1, shape=1) == pytest.approx(-math.log(0.9), rel=1e-9)
    assert gamma_quantile(0.9, shape=1) == pytest.approx(math.log(10), rel=1e-9)


def test_large_queues_switch_to_the_approximation_without_a_jump() -> None:
    exact = gamma_quantile(0.9, shape=EXACT_SHAPE_LIMIT)
    approximate = gamma_quantile(0.9, shape=EXACT_SHAPE_LIMIT + 1)
    assert 0 < approximate - exact < 1.5  # one more citizen adds about one service time


def test_band_holds_80_percent_of_simulated_waits() -> None:
    # Under the model's own assumptions (exponential service, c busy counters), 10% of
    # calls come before p10 and 10% after p90.
    rng = random.Random(7)
    band = wait_band(position=5, mean_service_min=6, open_counters=2)
    waits = [sum(rng.expovariate(2 / 6) for _ in range(5)) for _ in range(20_000)]
    early = sum(w < band.p10 for w in waits) / len(waits)
    late = sum(w > band.p90 for w in waits) / len(waits)
    assert early == pytest.approx(0.10, abs=0.015)
    assert late == pytest.approx(0.10, abs=0.015)


def test_call_times_and_arrival_advice() -> None:
    estimate = call_estimate(at=AT, position=3, mean_service_min=10, open_counters=1)
    band = wait_band(position=3, mean_service_min=10, open_counters=1)
    assert estimate.position == 3
    assert estimate.call_p50 == AT + timedelta(minutes=30)
    assert estimate.call_p10 == AT + timedelta(seconds=round(band.p10 * 60))
    assert estimate.call_p90 == AT + timedelta(seconds=round(band.p90 * 60))
    assert estimate.arrive_by == estimate.call_p10 - timedelta(minutes=5)


def test_arrive_by_is_never_in_the_past() -> None:
    # First in line at a quick desk: the earliest call is within the margin, so come now.
    estimate = call_estimate(at=AT, position=1, mean_service_min=3, open_counters=2)
    assert estimate.arrive_by == AT


def test_arrival_margin_is_configurable() -> None:
    estimate = call_estimate(at=AT, position=20, mean_service_min=10, open_counters=1,
                             arrival_margin=timedelta(minutes=30))
    assert estimate.arrive_by == estimate.call_p10 - timedelta(minutes=30)


@pytest.mark.parametrize(("position", "mean"), [(0, 5.0), (-1, 5.0), (1, 0.0), (1, -2.0)])
def test_nonsense_inputs_are_refused(position: int, mean: float) -> None:
    with pytest.raises(ValueError):
        wait_band(position=position, mean_service_min=mean, open_counters=1)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call_estimate(at=datetime(2026, 5, 4, 8, 0), position=1, mean_service_min=5, open_counters=1)
