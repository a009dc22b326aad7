"""The first-pass predictor: when will the ticket at position k be called?

Model. ``c`` counters serve the queue, each taking on average ``m`` minutes per citizen,
and every counter is assumed busy right now. If service times are exponential, the
counters together release a citizen every ``m / c`` minutes on average (a Poisson
stream), so the ticket at position ``k`` is called at the k-th release: its wait is
Gamma(shape=k, scale=m/c), mean ``k·m/c``.

What the band reports:
- ``p50`` is that mean, ``k·m/c``, as the product asks. The true median of the gamma is
  a little lower (about ``m/(3c)`` less), so the centre leans late: a citizen told to
  expect 10:30 is rarely called long before it.
- ``p10`` and ``p90`` are the gamma's 10th and 90th percentiles. For k up to
  ``EXACT_SHAPE_LIMIT`` they are exact (Erlang CDF solved by bisection); beyond, the
  Wilson–Hilferty cube-root normal approximation, whose error there is far below a minute.

Simplified on purpose (the learning pass replaces these): one mean per service, not
per counter or hour; every open counter assumed busy (an idle one would call at once);
no counter opening or closing during the wait; no priority ticket arriving later and
overtaking; breaks and the end of opening hours ignored; exponential service times,
whose spread is wider than most real desks.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import NormalDist

EXACT_SHAPE_LIMIT = 100
DEFAULT_ARRIVAL_MARGIN = timedelta(minutes=5)
_BISECTION_STEPS = 60


@dataclass(frozen=True)
class WaitBand:
    """Minutes until a call: 10% of calls come sooner than p10, 10% later than p90."""

    p10: float
    p50: float
    p90: float


@dataclass(frozen=True)
class CallEstimate:
    position: int
    call_p10: datetime
    call_p50: datetime
    call_p90: datetime
    arrive_by: datetime


def serving_counters(open_counters: int) -> int:
    """Counters to divide the queue by: with none open, assume one will open."""
    return max(open_counters, 1)


def wait_band(*, position: int, mean_service_min: float, open_counters: int) -> WaitBand:
    """The wait band, in minutes rounded to 0.1, of the ticket at ``position`` (1-based)."""
    if position < 1:
        raise ValueError(f"position is 1-based, got {position}")
    if mean_service_min <= 0:
        raise ValueError(f"mean service time must be positive, got {mean_service_min}")
    scale = mean_service_min / serving_counters(open_counters)
    return WaitBand(
        p10=round(gamma_quantile(0.1, shape=position) * scale, 1),
        p50=round(position * scale, 1),
        p90=round(gamma_quantile(0.9, shape=position) * scale, 1),
    )


def call_estimate(*, at: datetime, position: int, mean_service_min: float, open_counters: int,
                  arrival_margin: timedelta = DEFAULT_ARRIVAL_MARGIN) -> CallEstimate:
    """Call-time band seen from ``at``, and when to be at the hall: ``margin`` before p10."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    band = wait_band(position=position, mean_service_min=mean_service_min, open_counters=open_counters)
    call_p10 = at + _minutes(band.p10)
    return CallEstimate(
        position=position,
        call_p10=call_p10,
        call_p50=at + _minutes(band.p50),
        call_p90=at + _minutes(band.p90),
        arrive_by=max(at, call_p10 - arrival_margin),
    )


def gamma_quantile(probability: float, *, shape: int) -> float:
    """The ``probability`` quantile of Gamma(shape, scale=1), for a whole-number shape."""
    if not 0 < probability < 1:
        raise ValueError(f"probability must be strictly between 0 and 1, got {probability}")
    if shape < 1:
        raise ValueError(f"shape must be at least 1, got {shape}")
    if shape > EXACT_SHAPE_LIMIT:
        return _wilson_hilferty(probability, shape)
    low, high = 0.0, shape + 10 * math.sqrt(shape) + 10
    for _ in range(_BISECTION_STEPS):
        middle = (low + high) / 2
        if erlang_cdf(middle, shape=shape) < probability:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def erlang_cdf(x: float, *, shape: int) -> float:
    """P(X <= x) for X ~ Gamma(shape, 1): one minus the Poisson(x) mass below ``shape``."""
    if x <= 0:
        return 0.0
    term = math.exp(-x)
    below = term
    for n in range(1, shape):
        term *= x / n
        below += term
    return max(0.0, 1.0 - below)


def _wilson_hilferty(probability: float, shape: int) -> float:
    z = NormalDist().inv_cdf(probability)
    spread = 1 / (9 * shape)
    return shape * (1 - spread + z * math.sqrt(spread)) ** 3


def _minutes(value: float) -> timedelta:
    # Whole seconds: a call time is read by people, and rounding keeps replays byte-identical.
    return timedelta(seconds=round(value * 60))
