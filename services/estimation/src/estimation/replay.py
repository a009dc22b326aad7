"""Offline replay: ``python -m estimation.replay events.jsonl > predictions.jsonl``.

Reads v1 CloudEvents, one JSON object per line in time order (a log may begin with the
``registry.changed`` events of its site), applies them with exactly the production handlers
and predictor on the in-memory store, and writes one JSON line per ticket at its issue time:
``{ticket_id, at, position, call_p10, call_p50, call_p90, arrive_by, call_mean}`` (``call_mean``:
the expected call time, the point for squared error; the others as in ``ticket.estimated``). With
``--every-update`` it also writes each later ``ticket.estimated`` (a citizen-visible change).
"""

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timedelta
from typing import Any, TextIO
from uuid import UUID

from antre_contracts import parse_event
from pydantic import ValidationError

from estimation.adapters.memory import MemoryDatabase
from estimation.app.estimates import EstimationPolicy
from estimation.app.handlers import handle_event

PREDICTION_FIELDS = ("ticket_id", "at", "position", "call_p10", "call_p50", "call_p90", "arrive_by")


class ReplayError(ValueError):
    """A line that is not a v1 CloudEvent; says which line and why."""


async def replay(
    lines: Iterable[str], *, policy: EstimationPolicy | None = None, every_update: bool = False
) -> AsyncIterator[dict[str, Any]]:
    """The predictions the production code makes while the events of ``lines`` happen."""
    policy = policy or EstimationPolicy()
    database = MemoryDatabase(rollback=False)
    predicted: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = parse_event(line)
        except (ValidationError, ValueError) as exc:
            raise ReplayError(f"line {number} is not a CloudEvent JSON object: {exc}") from exc
        await handle_event(event, unit_of_work=database.unit_of_work, policy=policy)
        for published in database.state.published:
            if published.type != "ticket.estimated":
                continue
            ticket_id = published.data["ticket_id"]
            if every_update or ticket_id not in predicted:
                predicted.add(ticket_id)
                yield {
                    **{name: published.data[name] for name in PREDICTION_FIELDS},
                    "call_mean": _call_mean(database, published.data),
                }
        # Published events are consumed as they come: memory stays bounded by the live queue.
        database.state.published.clear()


def _call_mean(database: MemoryDatabase, estimated: dict[str, Any]) -> str:
    """The mean call time kept with the last estimate sent, in the offset of the event's times."""
    last = database.state.last_estimates[UUID(estimated["ticket_id"])]
    offset = datetime.fromisoformat(estimated["at"]).tzinfo
    return (last.call_mean or datetime.fromisoformat(estimated["call_p50"])).astimezone(offset).isoformat()


async def _run(source: TextIO, sink: TextIO, *, policy: EstimationPolicy, every_update: bool) -> None:
    async for prediction in replay(source, policy=policy, every_update=every_update):
        sink.write(json.dumps(prediction) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m estimation.replay", description=__doc__.splitlines()[0])
    parser.add_argument("events", help="JSON-lines file of v1 CloudEvents in time order ('-' for stdin)")
    parser.add_argument(
        "--every-update",
        action="store_true",
        help="also write every later ticket.estimated, not only the one at issue",
    )
    parser.add_argument(
        "--default-mean-service-min",
        type=float,
        default=10.0,
        help="mean service minutes of a service no registry event describes (default 10)",
    )
    parser.add_argument(
        "--arrival-margin-min",
        type=float,
        default=0.0,
        help="minutes subtracted from the arrive_by quantile (default 0)",
    )
    args = parser.parse_args(argv)
    policy = EstimationPolicy(
        default_mean_service_min=args.default_mean_service_min,
        arrival_margin=timedelta(minutes=args.arrival_margin_min),
    )
    try:
        source = sys.stdin if args.events == "-" else open(args.events, encoding="utf-8")
    except OSError as exc:
        print(f"cannot read {args.events}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_run(source, sys.stdout, policy=policy, every_update=args.every_update))
    except ReplayError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        source.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
