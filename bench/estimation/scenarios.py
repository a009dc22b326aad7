"""The simulated days of the benchmark: stationary M/M/c, and realistic MPP days."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import ciw

from bench.estimation.simulate import CounterGroup, DayPlan, ServiceSpec, _id, simulate_day

MONDAY = date(2026, 6, 1)
MMC_COUNTERS = 3
MMC_MEAN_MIN = 10.0
MPP_HOURS = {day: [["08:00", "12:00"], ["13:00", "15:00"]] for day in ("mon", "tue", "wed", "thu")}
MPP_HOURS["fri"] = [["08:00", "11:30"], ["13:30", "15:00"]]


@dataclass(frozen=True)
class Scenario:
    name: str
    days: int
    # True service-time parameters, for the theoretical floor (M/M/c only).
    mmc: tuple[int, float] | None = None

    def events(self) -> Iterator[dict[str, Any]]:
        site_id = _id("site", self.name)
        for index in range(self.days):
            plan = self.plan(MONDAY + timedelta(days=_weekday_offset(index)))
            yield from simulate_day(plan, site_id=site_id, seed=1000 * index + 7)

    def plan(self, day: date) -> DayPlan:
        raise NotImplementedError


def _weekday_offset(index: int) -> int:
    """Monday to Friday, week after week."""
    return 7 * (index // 5) + index % 5


@dataclass(frozen=True)
class MMc(Scenario):
    utilisation: float = 0.83

    def plan(self, day: date) -> DayPlan:
        rate = self.utilisation * MMC_COUNTERS / MMC_MEAN_MIN
        spec = ServiceSpec(
            code="MMC",
            prefix="M",
            prior_mean_min=MMC_MEAN_MIN,
            service_time=ciw.dists.Exponential(1 / MMC_MEAN_MIN),
            true_mean_min=MMC_MEAN_MIN,
            arrival_rates=[rate] * 7,
        )
        # Arrivals for seven hours; the counters serve until everyone is done.
        return DayPlan(
            day=day,
            groups=[CounterGroup("Loket", [spec], [(MMC_COUNTERS, 1200.0)])],
            arrivals_until_min=420.0,
        )


def mmc(utilisation: float, days: int) -> MMc:
    return MMc(
        name=f"M/M/3 rho={utilisation}", days=days, mmc=(MMC_COUNTERS, MMC_MEAN_MIN), utilisation=utilisation
    )


def _lognormal(mean: float, sd: float) -> Any:
    import math

    sigma2 = math.log(1 + (sd / mean) ** 2)
    return ciw.dists.Lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))


@dataclass(frozen=True)
class MppDay(Scenario):
    def plan(self, day: date) -> DayPlan:
        friday = day.weekday() == 4
        # Minutes after 08:00: the break is 12:00-13:00, on Friday 11:30-13:30 (Friday prayer).
        pause, resume = (210.0, 330.0) if friday else (240.0, 300.0)
        # Morning peak at 08-10, quiet lunch hour, a surge 13-14 (a batch of WhatsApp tickets).
        peak = [1.25, 1.15, 0.85, 0.55, 0.35, 1.3, 0.6]
        samsat = ServiceSpec(
            code="PKB",
            prefix="A",
            prior_mean_min=5,
            service_time=_lognormal(6.0, 3.0),
            true_mean_min=6.0,
            arrival_rates=[0.42 * p for p in peak],
            no_show=0.08,
            priority_share=0.1,
        )
        ktp = ServiceSpec(
            code="KTP",
            prefix="K",
            prior_mean_min=10,
            service_time=ciw.dists.Gamma(shape=4.0, scale=3.0),
            true_mean_min=12.0,
            arrival_rates=[0.09 * p for p in peak],
            no_show=0.12,
            priority_share=0.1,
        )
        kk = ServiceSpec(
            code="KK",
            prefix="KK",
            prior_mean_min=8,
            service_time=_lognormal(7.0, 2.0),
            true_mean_min=7.0,
            arrival_rates=[0.07 * p for p in peak],
            no_show=0.05,
            priority_share=0.1,
        )
        bpjs = ServiceSpec(
            code="BPJS",
            prefix="B",
            prior_mean_min=15,
            service_time=ciw.dists.Exponential(1 / 15),
            true_mean_min=15.0,
            arrival_rates=[0.11 * p for p in peak],
            no_show=0.15,
            priority_share=0.1,
        )
        groups = [
            # One SAMSAT counter closes unexpectedly at 10:00 (system outage) until the break.
            CounterGroup(
                "Loket SAMSAT",
                [samsat],
                [(3, 120.0), (2, pause), (0, resume), (3, 540.0)],
                unexpected=frozenset({120.0}),
            ),
            # Disdukcapil's two counters serve both KTP and KK from one hall.
            CounterGroup("Loket Dukcapil", [ktp, kk], [(2, pause), (0, resume), (2, 540.0)]),
            CounterGroup("Loket BPJS", [bpjs], [(2, pause), (0, resume), (2, 540.0)]),
        ]
        return DayPlan(day=day, groups=groups, arrivals_until_min=390.0, hours=MPP_HOURS)


def all_scenarios(*, quick: bool = False) -> list[Scenario]:
    days = 4 if quick else 25
    return [
        mmc(0.7, days),
        mmc(0.83, days),
        mmc(0.95, days),
        MppDay(name="MPP days", days=5 if quick else 25),
    ]
