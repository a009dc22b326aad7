"""``python -m bench.estimation [--quick]``: accuracy on Ciw-simulated days, and cost per event.

Every prediction comes from ``estimation.replay`` (the production handlers and predictor);
the reference predictors and the ground truth are read from the same event log.
"""

import argparse
import asyncio
import json
import math
import sys
import time
from collections import defaultdict
from typing import Any

from bench.estimation.cost import run_cost
from bench.estimation.evaluate import (
    Scores,
    mmc_floor,
    read_truth,
    score_estimates,
    score_reference,
)
from bench.estimation.scenarios import MppDay, Scenario, all_scenarios
from estimation.replay import replay

REFERENCES = ("naive", "LES", "queue-length")


async def _predictions(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p async for p in replay(json.dumps(e) for e in events)]


def _fmt(value: float | None, pct: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{100 * value:5.1f}%" if pct else f"{value:7.2f}"


def _row(name: str, s: Scores) -> str:
    return (
        f"  {name:<22} {s.n:>5} {_fmt(s.mae)} {_fmt(s.mse):>9} {_fmt(s.rase)} {_fmt(s.p90_abs)} "
        f"{_fmt(s.bias)} {_fmt(s.coverage80, True):>7} {_fmt(s.coverage80_waiting, True):>7} "
        f"{_fmt(s.below_p90, True):>7} "
        f"{_fmt(s.above_p10, True):>7} {_fmt(s.miss, True):>7} {_fmt(s.idle_median)}"
    )


HEADER = (
    "  predictor                  n  MAE:p50  MSE:mean RAS:mn P90|e|50 bias:mn  cov80  cov80w   <=P90"
    "   >=P10    miss  idle50"
)


def run_scenario(scenario: Scenario) -> dict[str, Any]:
    began = time.perf_counter()
    events = list(scenario.events())
    predictions = asyncio.run(_predictions(events))
    truth = read_truth(events)
    tickets = [p["ticket_id"] for p in predictions]
    ours = score_estimates(predictions, truth)
    refs = {name: score_reference(name, truth, tickets) for name in REFERENCES}
    print(
        f"\n{scenario.name}: {len(events)} events, {len(tickets)} tickets, "
        f"{time.perf_counter() - began:.1f} s"
    )
    print(HEADER)
    print(_row("estimation (ours)", ours))
    for name, scores in refs.items():
        print(_row(name, scores))
    result: dict[str, Any] = {"ours": ours, **refs}
    if scenario.mmc is not None:
        floor = mmc_floor(truth, tickets, counters=scenario.mmc[0], mean_min=scenario.mmc[1])
        print(_row("oracle (exact Erlang)", floor))
        result["floor"] = floor
    if isinstance(scenario, MppDay):
        codes = {
            e["data"]["id"]: e["data"]["state"]["code"]
            for e in events
            if e["type"] == "registry.changed" and e["data"]["entity"] == "service"
        }
        result["by_service"] = _by_service(predictions, truth, codes)
    return result


def _by_service(predictions: list[dict[str, Any]], truth: Any, codes: dict[str, str]) -> dict[str, Scores]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for prediction in predictions:
        grouped[truth.service[prediction["ticket_id"]]].append(prediction)
    print("  by service (ours):")
    scores = {codes.get(service, service): score_estimates(rows, truth) for service, rows in grouped.items()}
    for code, service_scores in sorted(scores.items()):
        print(_row(f"service {code}", service_scores))
    return scores


def _targets(results: dict[str, dict[str, Any]]) -> list[tuple[str, bool, str]]:
    checks = []
    for name, result in results.items():
        ours = result["ours"]
        if "floor" in result:
            ratio = ours.mse / result["floor"].mse
            mae_ratio = ours.mae / result["floor"].mae
            checks.append(
                (
                    f"{name}: MSE within 5% of floor",
                    ratio <= 1.05,
                    f"MSE x{ratio:.3f} of floor, MAE x{mae_ratio:.3f} of floor",
                )
            )
            checks.append(
                (
                    f"{name}: 80% band coverage within +-2 pts (tickets that had to wait)",
                    abs(ours.coverage80_waiting - 0.8) <= 0.02,
                    f"{100 * ours.coverage80_waiting:.1f}% ({100 * ours.coverage80:.1f}% over all tickets)",
                )
            )
        else:
            best = min(result["naive"].mse, result["LES"].mse)
            gain = 1 - ours.mse / best
            checks.append(
                (f"{name}: MSE >= 30% below best of naive/LES", gain >= 0.30, f"{100 * gain:.0f}% lower")
            )
            worst = max(abs(s.coverage80_waiting - 0.8) for s in result["by_service"].values())
            checks.append(
                (
                    f"{name}: 80% coverage within +-3 pts in every service (tickets that had to wait)",
                    worst <= 0.03,
                    f"worst service off by {100 * worst:.1f} pts",
                )
            )
        checks.append(
            (
                f"{name}: arrive_by followers miss <= ~10%",
                ours.miss <= 0.11,
                f"{100 * ours.miss:.1f}% miss, median idle {ours.idle_median:.1f} min",
            )
        )
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.estimation", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer simulated days (a smoke run)")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    print(
        "Accuracy at issue time (minutes; MAE and P90|e| score the P50 (median), MSE, RASE and bias"
        " the mean call time (call_mean; the references have one point);\n cov80: called between P10"
        " and P90, nominal 80%; <=P90 and >=P10: nominal 90% each; miss/idle50: citizens arriving at"
        " arrive_by)"
    )
    results = {s.name: run_scenario(s) for s in all_scenarios(quick=args.quick)}
    print("\nCost per event, one service, 3 counters (production handlers, in-memory store)")
    print("  waiting   us/event   ticket.estimated per event")
    costs = run_cost()
    for size, micros, estimates in costs:
        print(f"  {size:>7} {micros:>10.0f} {estimates:>12.2f}")
    ratio = max(c[1] for c in costs) / min(c[1] for c in costs)
    beyond_head = [c[1] for c in costs if c[0] >= 100]
    head_ratio = max(beyond_head) / min(beyond_head)
    print(
        f"  largest / smallest cost: {ratio:.2f} (10 waiting re-checks 10 tickets, the others the"
        f" bounded 10 at the head and 10 more in turn); from 100 to 10,000 waiting: {head_ratio:.2f}"
    )
    print("\nTargets")
    checks = [
        *_targets(results),
        (
            "cost per event does not grow with the queue (100 -> 10,000 ratio <= 1.5)",
            head_ratio <= 1.5,
            f"ratio {head_ratio:.2f}, 10 -> 10,000: {ratio:.2f}",
        ),
    ]
    for label, held, detail in checks:
        print(f"  [{'held' if held else 'MISSED'}] {label}: {detail}")
    print(f"\nTotal {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
