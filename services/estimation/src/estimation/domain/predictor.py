"""When will the ticket at position k be called? A queue-length predictor with learned rates.

Model (the queue-length predictor of Ibrahim & Whitt, "Real-time delay estimation based on
delay history" / "queue-length-based delay estimators", extended with what an MPP hall knows):

- Counters open now serve the queue. Each counter ``i`` releases a citizen of this service
  every ``m_i / share_i`` minutes on average, where ``m_i`` is its learned occupancy (call to
  end of service, shrunk toward the service and hour) and ``share_i`` the part of its calls
  that go to this service (a counter serving several services splits its calls in proportion
  to their waiting lines). Capacity ``c = sum(share_i)``; harmonic mean occupancy ``m``.
- Open counters that are idle call the first tickets at once.
- Tickets ahead cancel with the learned rate ``q`` (they need no release) and do not show with
  rate ``p`` (they hold a counter only the learned no-show delay ``d``).
- The ticket needs ``n = (k - 1)(1 - q) + 1 - idle`` releases. Each release takes the mixture
  occupancy ``o`` (mean ``(1-p)m + p d``, variance from the learned squared coefficient of
  variation), so the wait in *open minutes* has mean ``n·E[o]/c`` and variance ``n·Var[o]/c²``
  (renewal superposition: exact for exponential service, the M/M/c case).
- The band is the gamma distribution with that mean and variance (P10, P50, P90); open minutes
  become clock times through the opening hours, so a lunch break, a Friday prayer break or the
  closing time push the call later instead of being ignored.
- ``arrive_by`` is the ``arrival_quantile`` (default 10%) call time minus a margin: about one
  citizen in ten who follows it would be called before arriving, and a recall covers most.

Simplified on purpose: the elapsed time of services in progress is not used (exact for
exponential occupancy, slightly pessimistic for regular desks); priority tickets that will
arrive later and overtake a regular ticket are not forecast; counters that will open later
than now are only known through the opening hours, not as extra capacity.
"""

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import NormalDist

from estimation.domain.learning import LearnedRates

DEFAULT_ARRIVAL_MARGIN = timedelta(minutes=0)
DEFAULT_ARRIVAL_QUANTILE = 0.10
# Beyond this gamma shape the Wilson–Hilferty approximation is within a few seconds on these
# waits; it keeps the cost of one estimate small and constant however long the queue is.
EXACT_SHAPE_LIMIT = 5.0
_BISECTION_STEPS = 48


@dataclass(frozen=True)
class WaitBand:
    """Open minutes until a call: 10% of calls come sooner than p10, 10% later than p90."""

    p10: float
    p50: float
    p90: float
    arrival: float


@dataclass(frozen=True)
class CallEstimate:
    position: int
    call_p10: datetime
    call_p50: datetime
    call_p90: datetime
    arrive_by: datetime


@dataclass(frozen=True)
class OpenCounter:
    """A counter open now that calls this service's tickets."""

    occupancy_min: float
    share: float
    busy: bool


@dataclass(frozen=True)
class QueueSituation:
    """Everything the band of one waiting ticket depends on, at one moment."""

    position: int
    counters: Sequence[OpenCounter]
    # Counters assumed to serve when none is open now (the ones registered, at least one).
    fallback_counters: int
    rates: LearnedRates
    arrival_quantile: float = DEFAULT_ARRIVAL_QUANTILE


def wait_band(situation: QueueSituation) -> WaitBand:
    """The wait band of the ticket at ``situation.position`` (1-based), in open minutes."""
    if situation.position < 1:
        raise ValueError(f"position is 1-based, got {situation.position}")
    mean, variance = _wait_moments(situation)
    if mean <= 0:
        return WaitBand(0.0, 0.0, 0.0, 0.0)
    quantile = _gamma_quantiles(mean, variance)
    p50 = quantile(0.5)
    # Each half of the band stretched by what the hall taught (see learning.band_stretch); the
    # centre is left alone: shifting it by the learned bias raised the squared error.
    upper, lower = situation.rates.upper_stretch, situation.rates.lower_stretch

    def below(probability: float) -> float:
        return max(p50 - lower * (p50 - quantile(probability)), 0.0)

    return WaitBand(
        p10=round(below(0.1), 1),
        p50=round(p50, 1),
        p90=round(p50 + upper * (quantile(0.9) - p50), 1),
        arrival=round(below(situation.arrival_quantile), 1),
    )


def _wait_moments(situation: QueueSituation) -> tuple[float, float]:
    rates = situation.rates
    idle = sum(1 for counter in situation.counters if not counter.busy)
    releases = (situation.position - 1) * (1 - rates.cancel) + 1 - idle
    if releases <= 0:
        return 0.0, 0.0
    capacity = sum(counter.share for counter in situation.counters)
    if capacity > 0:
        occupancy = capacity / sum(counter.share / counter.occupancy_min for counter in situation.counters)
    else:
        capacity, occupancy = float(max(situation.fallback_counters, 1)), rates.occupancy_min
    shows = 1 - rates.no_show
    release_mean = shows * occupancy + rates.no_show * rates.no_show_delay_min
    release_second = (
        shows * occupancy * occupancy * (1 + rates.occupancy_cv2) + rates.no_show * rates.no_show_delay_min**2
    )
    release_variance = max(release_second - release_mean**2, 1e-9)
    mean = releases * release_mean / capacity
    variance = releases * release_variance / capacity**2
    return mean, variance


def _gamma_quantiles(mean: float, variance: float) -> Callable[[float], float]:
    # Shapes rounded to 0.01 (a change far below a second of wait) let quantiles be cached.
    shape = round(mean * mean / variance, 2) or 0.01
    scale = variance / mean
    return lambda probability: _cached_quantile(probability, shape) * scale


@functools.lru_cache(maxsize=65536)
def _cached_quantile(probability: float, shape: float) -> float:
    return gamma_quantile(probability, shape=shape)


@dataclass(frozen=True)
class OpeningHours:
    """The intervals, in order, in which the service's counters work from now on."""

    intervals: Sequence[tuple[datetime, datetime]]

    def after(self, at: datetime, open_minutes: float) -> datetime:
        """The clock time once ``open_minutes`` of opening time have passed from ``at``."""
        remaining = timedelta(seconds=round(open_minutes * 60))
        cursor = at
        for start, end in self.intervals:
            if end <= cursor:
                continue
            start = max(start, cursor)
            if start + remaining <= end:
                return start + remaining
            remaining -= end - start
            cursor = end
        # Past the last opening: the hall would have to stay open; say so by running on.
        return cursor + remaining


ALWAYS_OPEN = OpeningHours(intervals=())


def call_estimate(
    *,
    at: datetime,
    situation: QueueSituation,
    hours: OpeningHours = ALWAYS_OPEN,
    arrival_margin: timedelta = DEFAULT_ARRIVAL_MARGIN,
    travel_minutes: int | None = None,
) -> CallEstimate:
    """Call-time band seen from ``at``, and when to be at the hall."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    band = wait_band(situation)
    earliest_arrival = at + timedelta(minutes=travel_minutes or 0)
    return CallEstimate(
        position=situation.position,
        call_p10=hours.after(at, band.p10) if band.p10 > 0 else at,
        call_p50=hours.after(at, band.p50) if band.p50 > 0 else at,
        call_p90=hours.after(at, band.p90) if band.p90 > 0 else at,
        arrive_by=max(
            earliest_arrival, (hours.after(at, band.arrival) if band.arrival > 0 else at) - arrival_margin
        ),
    )


def gamma_quantile(probability: float, *, shape: float) -> float:
    """The ``probability`` quantile of Gamma(shape, scale=1)."""
    if not 0 < probability < 1:
        raise ValueError(f"probability must be strictly between 0 and 1, got {probability}")
    if shape <= 0:
        raise ValueError(f"shape must be positive, got {shape}")
    if shape > EXACT_SHAPE_LIMIT:
        return _wilson_hilferty(probability, shape)
    low, high = 0.0, shape + 12 * math.sqrt(shape) + 40
    for _ in range(_BISECTION_STEPS):
        middle = (low + high) / 2
        if gamma_cdf(middle, shape=shape) < probability:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def gamma_cdf(x: float, *, shape: float) -> float:
    """Regularised lower incomplete gamma P(shape, x) (series below shape+1, else a continued fraction)."""
    if x <= 0:
        return 0.0
    log_front = -x + shape * math.log(x) - math.lgamma(shape)
    if x < shape + 1:
        term = total = 1 / shape
        denominator = shape
        for _ in range(1000):
            denominator += 1
            term *= x / denominator
            total += term
            if term < total * 1e-13:
                break
        return min(1.0, total * math.exp(log_front))
    tiny = 1e-300
    b = x + 1 - shape
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 1000):
        a_i = -i * (i - shape)
        b += 2
        d = a_i * d + b
        d = tiny if abs(d) < tiny else d
        c = b + a_i / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-13:
            break
    return max(0.0, 1 - math.exp(log_front) * h)


def _wilson_hilferty(probability: float, shape: float) -> float:
    z = NormalDist().inv_cdf(probability)
    spread = 1 / (9 * shape)
    return shape * (1 - spread + z * math.sqrt(spread)) ** 3
