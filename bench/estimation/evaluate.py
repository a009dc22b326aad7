"""Reference predictors, ground truth and accuracy measures, computed from the event log alone.

The reference predictors (naive, LES, queue-length) are written here, independently of the
estimation service, on their own small reading of the events.
"""

import bisect
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np


def _minutes(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 60


@dataclass
class Truth:
    """Per ticket: service, issue time, first call time and the reference predictions at issue."""

    service: dict[str, str] = field(default_factory=dict)
    issued: dict[str, datetime] = field(default_factory=dict)
    called: dict[str, datetime] = field(default_factory=dict)
    references: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))
    # Under the M/M/c model the exact conditional wait is Erlang(n, m/c): its n per ticket.
    erlang_shape: dict[str, int] = field(default_factory=dict)


@dataclass
class _HallReading:
    prior: dict[str, float] = field(default_factory=dict)
    counters: dict[str, set[str]] = field(default_factory=dict)
    open: set[str] = field(default_factory=set)
    busy: dict[str, str] = field(default_factory=dict)  # counter -> ticket
    waiting: dict[str, list[tuple[int, datetime, str]]] = field(default_factory=lambda: defaultdict(list))
    keys: dict[str, tuple[int, datetime, str]] = field(default_factory=dict)
    last_wait: dict[str, float] = field(default_factory=dict)
    occupancy: dict[str, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0.0, 0.0]))


def read_truth(events: list[dict[str, Any]]) -> Truth:
    """Replays the log with the reference predictors and records what really happened."""
    truth, hall = Truth(), _HallReading()
    for event in events:
        data, kind = event["data"], event["type"]
        if kind == "registry.changed":
            state = data["state"]
            if data["entity"] == "service":
                hall.prior[data["id"]] = float(state["mean_service_min"])
            elif data["entity"] == "counter":
                hall.counters[data["id"]] = set(state["service_ids"])
        elif kind == "counter.opened":
            hall.open.add(data["counter_id"])
        elif kind in ("counter.paused", "counter.closed"):
            hall.open.discard(data["counter_id"])
        elif kind == "ticket.issued":
            _issued(hall, truth, data)
        elif kind == "counter.called" and data["recall"] == 0:
            _called(hall, truth, data)
        elif kind in ("service.finished", "ticket.no_show"):
            _left_counter(hall, truth, data, event)
    return truth


def _issued(hall: _HallReading, truth: Truth, data: dict[str, Any]) -> None:
    ticket, service = data["ticket_id"], data["service_id"]
    at = datetime.fromisoformat(data["issued_at"])
    key = (0 if data["priority"] != "regular" else 1, at, ticket)
    bisect.insort(hall.waiting[service], key)
    hall.keys[ticket] = key
    truth.service[ticket], truth.issued[ticket] = service, at
    position = 1 + bisect.bisect_left(hall.waiting[service], key)
    serving = [c for c in hall.open if service in hall.counters.get(c, ())]
    counters = max(len(serving), 1)
    idle = sum(1 for c in serving if c not in hall.busy)
    total, count = hall.occupancy[service]
    mean = total / count if count else hall.prior.get(service, 10.0)
    ahead_needing_release = max(0, position - idle)
    truth.erlang_shape[ticket] = ahead_needing_release
    truth.references[ticket] = {
        "naive": position * hall.prior.get(service, 10.0) / counters,
        "LES": hall.last_wait.get(service, 0.0),
        "queue-length": ahead_needing_release * mean / counters,
    }


def _called(hall: _HallReading, truth: Truth, data: dict[str, Any]) -> None:
    ticket = data["ticket_id"]
    at = datetime.fromisoformat(data["called_at"])
    key = hall.keys.pop(ticket, None)
    if key is not None:
        line = hall.waiting[data["service_id"]]
        del line[bisect.bisect_left(line, key)]
    hall.busy[data["counter_id"]] = ticket
    if ticket in truth.issued:
        truth.called[ticket] = at
        hall.last_wait[data["service_id"]] = _minutes(at, truth.issued[ticket])


def _left_counter(hall: _HallReading, truth: Truth, data: dict[str, Any], event: dict[str, Any]) -> None:
    ticket = data["ticket_id"]
    hall.busy.pop(data["counter_id"], None)
    if event["type"] == "service.finished" and ticket in truth.called:
        held = _minutes(datetime.fromisoformat(data["finished_at"]), truth.called[ticket])
        hall.occupancy[data["service_id"]][0] += held
        hall.occupancy[data["service_id"]][1] += 1


@dataclass(frozen=True)
class Scores:
    n: int
    mae: float
    mse: float
    rase: float
    p90_abs: float
    bias: float
    coverage80: float | None = None
    # Coverage among tickets promised a real wait (P90 after the issue): a ticket issued while a
    # counter is idle is promised "now" and called at once, which any band covers trivially.
    coverage80_waiting: float | None = None
    below_p90: float | None = None
    above_p10: float | None = None
    miss: float | None = None
    idle_median: float | None = None


def score_points(predicted: list[float], actual: list[float], *, mean: list[float] | None = None) -> Scores:
    """Errors of a point prediction; with ``mean``, MSE, RASE and bias score that point instead.

    A median minimises the absolute error and a mean the squared error: a predictor that gives
    both is scored on each with the point meant for it (MAE and P90|e| on ``predicted``).
    """
    errors = np.array(predicted) - np.array(actual)
    squared_errors = np.array(mean) - np.array(actual) if mean is not None else errors
    mse = float(np.mean(squared_errors**2))
    mean_wait = float(np.mean(actual)) or 1.0
    return Scores(
        n=len(actual),
        mae=float(np.mean(np.abs(errors))),
        mse=mse,
        rase=math.sqrt(mse) / mean_wait,
        p90_abs=float(np.quantile(np.abs(errors), 0.9)),
        bias=float(np.mean(squared_errors)),
    )


def score_estimates(predictions: list[dict[str, Any]], truth: Truth) -> Scores:
    """Accuracy of the service's predictions at issue, for every ticket that was called.

    MAE and P90|e| score ``call_p50``; MSE, RASE and bias score ``call_mean``.
    """
    called = [p for p in predictions if p["ticket_id"] in truth.called]
    actual_at = [truth.called[p["ticket_id"]] for p in called]
    at = [datetime.fromisoformat(p["at"]) for p in called]
    p10, p50, p90, arrive = (
        [datetime.fromisoformat(p[k]) for p in called]
        for k in ("call_p10", "call_p50", "call_p90", "arrive_by")
    )
    means = [datetime.fromisoformat(p["call_mean"]) for p in called]
    points = score_points(
        [_minutes(x, a) for x, a in zip(p50, at, strict=True)],
        [_minutes(x, a) for x, a in zip(actual_at, at, strict=True)],
        mean=[_minutes(x, a) for x, a in zip(means, at, strict=True)],
    )
    inside = [lo <= x <= hi for lo, x, hi in zip(p10, actual_at, p90, strict=True)]
    missed = [x < a for x, a in zip(actual_at, arrive, strict=True)]
    idle = [_minutes(x, a) for x, a in zip(actual_at, arrive, strict=True) if x >= a]
    waited = [lo <= x <= hi for lo, x, hi, a in zip(p10, actual_at, p90, at, strict=True) if hi > a]
    return Scores(
        **{
            **points.__dict__,
            "coverage80": _share(inside),
            "coverage80_waiting": _share(waited),
            "below_p90": _share([x <= hi for x, hi in zip(actual_at, p90, strict=True)]),
            "above_p10": _share([x >= lo for x, lo in zip(actual_at, p10, strict=True)]),
            "miss": _share(missed),
            "idle_median": statistics.median(idle) if idle else 0.0,
        }
    )


def score_reference(name: str, truth: Truth, tickets: list[str]) -> Scores:
    called = [t for t in tickets if t in truth.called]
    return score_points(
        [truth.references[t][name] for t in called],
        [_minutes(truth.called[t], truth.issued[t]) for t in called],
    )


def mmc_floor(truth: Truth, tickets: list[str], *, counters: int, mean_min: float) -> Scores:
    """The oracle of M/M/c: each wait's exact conditional law Erlang(n, m/c), with the true m.

    Its mean is the best possible point for squared error and its median for absolute error; the
    scores are those two oracles' realised errors on the same tickets (the floor on this sample),
    on the same footing as ours: MSE, RASE and bias on the mean, MAE and P90|e| on the median.
    """
    scale = mean_min / counters
    called = [t for t in tickets if t in truth.called]
    shapes = [truth.erlang_shape[t] for t in called]
    actual = np.array([_minutes(truth.called[t], truth.issued[t]) for t in called])
    medians = {n: float(gamma_median(n)) * scale for n in set(shapes)}
    means = np.array([n * scale for n in shapes])
    by_median = np.array([medians[n] for n in shapes])
    mse = float(np.mean((means - actual) ** 2))
    return Scores(
        n=len(called),
        mae=float(np.mean(np.abs(by_median - actual))),
        mse=mse,
        rase=math.sqrt(mse) / (float(np.mean(actual)) or 1.0),
        p90_abs=float(np.quantile(np.abs(by_median - actual), 0.9)),
        bias=float(np.mean(means - actual)),
    )


def gamma_median(shape: int) -> float:
    if shape == 0:
        return 0.0
    return float(np.median(np.random.default_rng(shape).gamma(shape, 1.0, 200_000)))


def _share(flags: list[bool]) -> float:
    return sum(flags) / len(flags) if flags else float("nan")
