"""What the hall teaches: service-time moments, no-show and cancellation rates, recall delays.

Everything is learned online from the queue events, in event time, as running moments
(count, sum, sum of squares), so the same stream always teaches the same numbers and a
restart reloads them from PostgreSQL unchanged. Sparse data is shrunk toward a prior with
a pseudo-count: a service starts from the registry's ``mean_service_min``, a counter or an
hour of the day starts from its service, and each observation moves it a little.
"""

from dataclasses import dataclass
from enum import StrEnum
from statistics import NormalDist
from uuid import UUID


class Measure(StrEnum):
    """The quantities learned per service (and per counter and hour for occupancy)."""

    # Minutes a showing citizen holds a counter: from the first call to the end of service.
    OCCUPANCY = "occupancy_min"
    # 1 when a called ticket ends as a no-show, 0 when its service starts.
    NO_SHOW = "no_show"
    # Minutes a counter spends on a no-show: from the first call (and recalls) to the no-show mark.
    NO_SHOW_DELAY = "no_show_delay_min"
    # 1 when a waiting ticket is cancelled, 0 when it is called.
    CANCEL = "cancel"
    # At each first call of a ticket promised a band: 1 when it came after the model's own P90
    # (before its P10), else 0. Nominally 10% each; the hall's real shares stretch each half of the
    # band (what a renewal model cannot see: surges, closures, priority tickets overtaking).
    LATE = "late_beyond_p90"
    EARLY = "early_before_p10"
    # At each first call made while an older regular ticket waits: 1 when the called ticket is a
    # priority one (elderly, disabled, pregnant) that joined later and overtook, 0 when it is the
    # regular one. The share of calls a waiting regular ticket loses to later priority tickets.
    OVERTAKING = "overtaking"


ALL = "all"


def counter_scope(counter_id: UUID) -> str:
    return f"counter:{counter_id}"


def hour_scope(hour: int) -> str:
    return f"hour:{hour:02d}"


@dataclass(frozen=True)
class Moments:
    """Running count, sum and sum of squares of one measure."""

    count: float = 0.0
    total: float = 0.0
    total_sq: float = 0.0

    def add(self, value: float) -> "Moments":
        return Moments(self.count + 1, self.total + value, self.total_sq + value * value)

    def shrunk_mean(self, *, prior: float, pseudo_count: float) -> float:
        """The mean, pulled toward ``prior`` as if ``pseudo_count`` prior observations were seen."""
        return (prior * pseudo_count + self.total) / (pseudo_count + self.count)

    def shrunk_cv2(self, *, prior_cv2: float, pseudo_count: float) -> float:
        """Squared coefficient of variation, shrunk toward ``prior_cv2`` the same way."""
        if self.count < 2:
            return prior_cv2
        mean = self.total / self.count
        variance = max(self.total_sq / self.count - mean * mean, 0.0) * self.count / (self.count - 1)
        observed = variance / (mean * mean) if mean > 0 else prior_cv2
        return (prior_cv2 * pseudo_count + observed * self.count) / (pseudo_count + self.count)


@dataclass(frozen=True)
class LearningPolicy:
    """Priors and how strongly they hold (pseudo-counts, in observations)."""

    # Exponential service times until the hall shows otherwise: the cautious (wide) choice.
    prior_cv2: float = 1.0
    service_pseudo_count: float = 5.0
    # A counter or an hour must show this many services before it is trusted half-way.
    scope_pseudo_count: float = 10.0
    prior_no_show: float = 0.08
    prior_no_show_delay_min: float = 3.0
    prior_cancel: float = 0.02
    # No overtaking is assumed until the hall shows some.
    prior_overtaking: float = 0.0
    rate_pseudo_count: float = 20.0
    calibration_pseudo_count: float = 30.0
    # A half-band is never stretched or shrunk beyond these factors.
    stretch_limits: tuple[float, float] = (0.5, 3.0)


@dataclass(frozen=True)
class ServiceLearning:
    """What has been learned about one service, as moments per measure and scope."""

    occupancy: Moments
    occupancy_by_scope: dict[str, Moments]
    no_show: Moments
    no_show_delay: Moments
    cancel: Moments
    late: Moments = Moments()
    early: Moments = Moments()
    overtaking: Moments = Moments()


@dataclass(frozen=True)
class LearnedRates:
    """The numbers a prediction uses for one service, already shrunk."""

    occupancy_min: float
    occupancy_cv2: float
    no_show: float
    no_show_delay_min: float
    cancel: float
    # Factors on the upper (P50 to P90) and lower (P10 to P50) halves of the model's band.
    upper_stretch: float = 1.0
    lower_stretch: float = 1.0
    # Share of calls, while regular tickets wait, that go to priority tickets which joined later.
    overtaking: float = 0.0

    def counter_occupancy_min(self, learned: ServiceLearning, *, scope: str, policy: LearningPolicy) -> float:
        moments = learned.occupancy_by_scope.get(scope, Moments())
        return moments.shrunk_mean(prior=self.occupancy_min, pseudo_count=policy.scope_pseudo_count)


def learned_rates(
    learned: ServiceLearning, *, prior_mean_min: float, hour: int, policy: LearningPolicy
) -> LearnedRates:
    """Shrink the service's moments to its registry prior, then its hour to the service."""
    service_mean = learned.occupancy.shrunk_mean(
        prior=prior_mean_min, pseudo_count=policy.service_pseudo_count
    )
    hour_moments = learned.occupancy_by_scope.get(hour_scope(hour), Moments())
    return LearnedRates(
        occupancy_min=hour_moments.shrunk_mean(prior=service_mean, pseudo_count=policy.scope_pseudo_count),
        occupancy_cv2=learned.occupancy.shrunk_cv2(
            prior_cv2=policy.prior_cv2, pseudo_count=policy.service_pseudo_count
        ),
        no_show=learned.no_show.shrunk_mean(
            prior=policy.prior_no_show, pseudo_count=policy.rate_pseudo_count
        ),
        no_show_delay_min=learned.no_show_delay.shrunk_mean(
            prior=policy.prior_no_show_delay_min, pseudo_count=policy.rate_pseudo_count
        ),
        cancel=learned.cancel.shrunk_mean(prior=policy.prior_cancel, pseudo_count=policy.rate_pseudo_count),
        upper_stretch=band_stretch(learned.late, policy),
        lower_stretch=band_stretch(learned.early, policy),
        overtaking=learned.overtaking.shrunk_mean(
            prior=policy.prior_overtaking, pseudo_count=policy.rate_pseudo_count
        ),
    )


_NORMAL = NormalDist()
_Z90 = _NORMAL.inv_cdf(0.9)


def band_stretch(misses: Moments, policy: LearningPolicy) -> float:
    """How much to stretch one half of the band so that 10% of calls fall beyond it.

    If a share ``r`` of calls fell beyond the model's P90, the model's half-band reaches the
    ``1 - r`` quantile; read through a normal law, the true P90 lies ``z(0.9) / z(1 - r)`` times as
    far from the P50. Under a correct model ``r`` is 10% and the factor 1.
    """
    share = misses.shrunk_mean(prior=0.1, pseudo_count=policy.calibration_pseudo_count)
    share = min(max(share, 0.005), 0.45)
    low, high = policy.stretch_limits
    return min(max(_Z90 / _NORMAL.inv_cdf(1 - share), low), high)


def calibration_misses(
    *, actual_min: float, p10_min: float, p50_min: float, p90_min: float, upper: float, lower: float
) -> tuple[float, float] | None:
    """(late, early) of one call against the model's own band, unstretched (None: no band to judge).

    ``p10_min`` .. ``p90_min`` is the band promised, stretched by ``upper`` and ``lower`` (the
    factors in force when it was promised); the model's own P90 and P10 are recovered from it.
    """
    if p90_min - p10_min <= 0.1:
        return None  # promised "at once": an idle counter, nothing to calibrate
    model_p90 = p50_min + (p90_min - p50_min) / upper
    model_p10 = p50_min - (p50_min - p10_min) / lower
    return (1.0 if actual_min > model_p90 else 0.0), (1.0 if actual_min < model_p10 else 0.0)
