"""When will the ticket at position k be called? A queue-length predictor with learned rates.

Model (the queue-length predictor of Ibrahim & Whitt, "Real-time delay estimation based on
delay history" / "queue-length-based delay estimators", extended with what an MPP hall knows):

- The counters that serve the ticket are those open now (or, while every one is paused or
  closed, the registered ones, expected to open as they are). Counter ``i`` releases a citizen
  every ``m_i / share_i`` minutes on average, ``m_i`` its learned occupancy (call to end of
  service, shrunk toward the service and hour). Capacity ``c = sum(share_i)``; harmonic mean
  occupancy ``m``.
- Idle counters call the first tickets at once.
- A counter that also serves other services calls the first ticket across all of them (priority
  class, then issue time): the older tickets of those sibling lines are ahead too
  (:class:`LineAhead`), each with its own service's release law.
- Tickets ahead cancel with the learned rate ``q`` (they need no release) and do not show with
  rate ``p`` (they hold a counter only the learned no-show delay ``d``).
- The ticket needs ``n = (k - 1)(1 - q) + sibling tickets ahead + 1 - idle`` releases. The first
  ones are the busy counters': a citizen served for ``e`` minutes leaves after the residual
  ``O - e`` given ``O > e`` of a gamma occupancy with the learned mean and squared CV
  (:func:`residual_occupancy`; for exponential service, ``cv2 = 1``, it is the full occupancy).
  The others are the tickets ahead, each a mixture occupancy ``o`` (mean ``(1-p)m + p d``,
  variance from the learned squared coefficient of variation). The wait in *open minutes* is their
  sum over the capacity: mean ``sum E[o]/c``, variance ``sum Var[o]/c²`` (renewal superposition:
  exact for exponential service, the M/M/c case).
- A regular ticket also loses the learned share of calls that go to later priority tickets
  overtaking it: while a line is long, about as many join as are called, so ``n`` releases become
  ``n / (1 - share)`` on average, the extra ones a random (compound Poisson) number.
- The band is the gamma distribution with that mean and variance (P10, P50, P90), and ``mean``
  is its mean (the point for squared error, above the median); open minutes become clock times
  through the opening hours, so a lunch or Friday-prayer break or the closing time push the call
  later instead of being ignored.
- ``arrive_by`` is the ``arrival_quantile`` (default 10%) call time minus a margin: about one
  citizen in ten who follows it would be called before arriving, and a recall covers most.

Simplified on purpose: counters that will open later than now are only known through the
opening hours, not as extra capacity; the overtaking share assumes a long line (arrivals about
equal to calls), so it over-delays a line that is draining; the residual of a citizen still at
the desk is read from a gamma law whatever the real shape (lognormal desks have a heavier tail).
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
# Beyond this share of calls to overtaking priority tickets the line would never move.
MAX_OVERTAKING = 0.5


@dataclass(frozen=True)
class WaitBand:
    """Open minutes until a call: 10% of calls come sooner than p10, 10% later than p90.

    ``mean`` is the model's expected wait: the point that minimises the squared error (the
    median ``p50`` minimises the absolute error; for a right-skewed wait it lies below the mean).
    """

    p10: float
    p50: float
    p90: float
    arrival: float
    mean: float = 0.0


@dataclass(frozen=True)
class CallEstimate:
    position: int
    call_p10: datetime
    call_p50: datetime
    call_p90: datetime
    arrive_by: datetime
    # The expected call time (the wait's mean through the opening hours): the point estimate for
    # squared error. P10/P50/P90 keep their meaning.
    call_mean: datetime


@dataclass(frozen=True)
class ServiceInProgress:
    """The citizen a busy counter is serving: minutes held so far, and the law of their occupancy."""

    elapsed_min: float
    mean_min: float
    cv2: float


@dataclass(frozen=True)
class OpenCounter:
    """A counter that calls this service's tickets: open now, or expected to open."""

    occupancy_min: float
    # The part of its calls that go to this service: 1 when the other lines it calls from are
    # given as :class:`LineAhead` (what the estimates do), less for a counter known to split.
    share: float
    busy: bool
    # Known when the counter serves a citizen who showed up (their service started).
    in_service: ServiceInProgress | None = None


@dataclass(frozen=True)
class LineAhead:
    """Tickets of another service that the same counters will call before this ticket.

    A counter serving several services calls the first ticket across all of them (priority
    class, then issue time), so the older tickets of a sibling service are ahead too.
    """

    # Expected tickets that will hold a counter (cancellations removed; weighted by the part of
    # that service's counters that also serve this one).
    tickets: float
    release_mean_min: float
    release_variance: float


@dataclass(frozen=True)
class QueueSituation:
    """Everything the band of one waiting ticket depends on, at one moment."""

    position: int
    counters: Sequence[OpenCounter]
    # Counters assumed to serve when none is open now (the ones registered, at least one).
    fallback_counters: int
    rates: LearnedRates
    arrival_quantile: float = DEFAULT_ARRIVAL_QUANTILE
    others_ahead: Sequence[LineAhead] = ()
    # Share of the calls that go to priority tickets joining after this one and overtaking it
    # (0 for a priority ticket, or where the service has no priority classes).
    overtaking: float = 0.0
    # False while every counter is paused or closed and ``counters`` are the ones expected to
    # open: a wait of zero then means the next opening, not now.
    open_now: bool = True


def wait_band(situation: QueueSituation) -> WaitBand:
    """The wait band of the ticket at ``situation.position`` (1-based), in open minutes."""
    if situation.position < 1:
        raise ValueError(f"position is 1-based, got {situation.position}")
    mean, variance = _wait_moments(situation)
    if mean <= 0:
        return WaitBand(0.0, 0.0, 0.0, 0.0, 0.0)
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
        mean=round(mean, 1),
    )


def _wait_moments(situation: QueueSituation) -> tuple[float, float]:
    """Mean and variance of the wait in open minutes: the releases needed, spread over the capacity.

    The first releases are those of the busy counters: a citizen in service for ``e`` minutes
    leaves after the residual ``O - e`` given ``O > e`` (see :func:`residual_occupancy`); the
    next ones are the tickets ahead, each with its own service's release law.
    """
    rates = situation.rates
    own_ahead = (situation.position - 1) * (1 - rates.cancel)
    others_ahead = sum(line.tickets for line in situation.others_ahead)
    idle = sum(1 for counter in situation.counters if not counter.busy)
    releases = own_ahead + others_ahead + 1 - idle
    if releases <= 0:
        return 0.0, 0.0
    capacity = sum(counter.share for counter in situation.counters)
    if capacity > 0:
        occupancy = capacity / sum(counter.share / counter.occupancy_min for counter in situation.counters)
    else:
        capacity, occupancy = float(max(situation.fallback_counters, 1)), rates.occupancy_min
    own_mean, own_variance = release_moments(
        occupancy, cv2=rates.occupancy_cv2, no_show=rates.no_show, no_show_delay_min=rates.no_show_delay_min
    )
    # Releases by the citizens at the counters now (weighted by each counter's share)...
    first_weight = first_mean = first_second = 0.0
    for counter in situation.counters:
        if not counter.busy:
            continue
        if counter.in_service is not None:
            mean_i, variance_i = residual_occupancy(counter.in_service)
        else:
            mean_i, variance_i = own_mean, own_variance
        first_weight += counter.share
        first_mean += counter.share * mean_i
        first_second += counter.share * (variance_i + mean_i * mean_i)
    heads = min(releases, first_weight)
    # ...then by the tickets ahead, a mixture of this service's and its siblings' release laws.
    lines = [(own_ahead, own_mean, own_variance)] + [
        (line.tickets, line.release_mean_min, line.release_variance) for line in situation.others_ahead
    ]
    ahead = own_ahead + others_ahead
    if ahead > 0:
        rest_mean = sum(n * m for n, m, _ in lines) / ahead
        rest_second = sum(n * (v + m * m) for n, m, v in lines) / ahead
    else:
        rest_mean, rest_second = own_mean, own_variance + own_mean * own_mean
    rest = releases - heads
    total_mean = rest * rest_mean
    total_variance = rest * max(rest_second - rest_mean * rest_mean, 0.0)
    # While a line is long, about as many citizens join as are called: a share ``overtaking`` of
    # the calls go to later priority tickets, a random number (compound Poisson) of extra releases.
    overtaking = min(max(situation.overtaking, 0.0), MAX_OVERTAKING)
    overtakers = releases * overtaking / (1 - overtaking)
    total_mean += overtakers * rest_mean
    total_variance += overtakers * rest_second
    if heads > 0:
        head_mean = first_mean / first_weight
        total_mean += heads * head_mean
        total_variance += heads * max(first_second / first_weight - head_mean * head_mean, 0.0)
    return total_mean / capacity, max(total_variance, 1e-9) / capacity**2


def release_moments(
    occupancy_min: float, *, cv2: float, no_show: float, no_show_delay_min: float
) -> tuple[float, float]:
    """Mean and variance of the time one called ticket holds a counter: served, or a no-show."""
    shows = 1 - no_show
    mean = shows * occupancy_min + no_show * no_show_delay_min
    second = shows * occupancy_min**2 * (1 + cv2) + no_show * no_show_delay_min**2
    return mean, max(second - mean * mean, 1e-9)


@functools.lru_cache(maxsize=4096)
def residual_occupancy(service: ServiceInProgress) -> tuple[float, float]:
    """Mean and variance of ``O - e`` given ``O > e``: the rest of a service that has run ``e`` minutes.

    ``O`` is gamma-shaped with the learned mean and squared CV. An exponential occupancy
    (``cv2 == 1``) is memoryless: the residual is the full occupancy whatever ``e``; a regular desk
    (``cv2 < 1``) that has served a while is close to releasing; an erratic one (``cv2 > 1``) that
    has run long tends to run on. Constant work: three incomplete gamma functions, once per
    counter and event (every ticket of the queue asks the same question).
    """
    mean, cv2, elapsed = service.mean_min, service.cv2, max(service.elapsed_min, 0.0)
    if cv2 == 1.0 or elapsed == 0.0 or cv2 <= 0 or mean <= 0:
        return mean, max(cv2, 0.0) * mean * mean
    shape, scale = 1 / cv2, mean * cv2
    x = elapsed / scale
    survive = 1 - gamma_cdf(x, shape=shape)
    if survive < 1e-12:
        # Far in the tail the gamma hazard tends to 1/scale: an exponential rest.
        return scale, scale * scale
    first = scale * shape * (1 - gamma_cdf(x, shape=shape + 1)) / survive
    second = scale * scale * shape * (shape + 1) * (1 - gamma_cdf(x, shape=shape + 2)) / survive
    residual = max(first - elapsed, 0.0)
    variance = max(second - 2 * elapsed * first + elapsed * elapsed - residual * residual, 1e-9)
    return residual, variance


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

    def open_at(self, at: datetime) -> bool:
        """Whether ``at`` falls in an opening (always, when no hours are known)."""
        if not self.intervals:
            return True
        return any(start <= at < end for start, end in self.intervals)

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

    def clock(open_minutes: float) -> datetime:
        # An idle counter open now calls at once, even outside the registered hours.
        return hours.after(at, open_minutes) if open_minutes > 0 or not situation.open_now else at

    return CallEstimate(
        position=situation.position,
        call_p10=clock(band.p10),
        call_p50=clock(band.p50),
        call_p90=clock(band.p90),
        call_mean=clock(band.mean),
        arrive_by=max(earliest_arrival, clock(band.arrival) - arrival_margin),
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
