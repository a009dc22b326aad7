"""The offline replay CLI: the production predictor over a JSON-lines event log."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from antre_contracts import CloudEvent

from estimation.adapters.memory import MemoryDatabase
from estimation.app.estimates import EstimationPolicy
from estimation.app.handlers import handle_event


def a_morning(hall: Any) -> list[CloudEvent]:
    tickets = [hall.issued(minute) for minute in (1, 2, 3, 4, 5)]
    return [
        hall.site(),
        hall.service(mean_service_min=6),
        hall.counter(0),
        hall.counter_state("counter.opened", minute=0),
        *tickets[:3],
        hall.called(tickets[0], 3.5),
        hall.started(tickets[0], 4),
        *tickets[3:],
        hall.finished(tickets[0], 9),
        hall.called(tickets[1], 9.5),
    ]


def replay_cli(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "estimation.replay", str(path), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_replay_writes_each_tickets_prediction_at_issue(tmp_path: Path, hall: Any) -> None:
    events = a_morning(hall)
    log = tmp_path / "events.jsonl"
    log.write_text("".join(event.to_json().decode() + "\n" for event in events))

    result = replay_cli(log)

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    issued = [str(hall.ticket_id(e)) for e in events if e.type == "ticket.issued"]
    assert [line["ticket_id"] for line in lines] == issued
    published_fields = {"ticket_id", "at", "position", "call_p10", "call_p50", "call_p90", "arrive_by"}
    assert all(set(line) == published_fields | {"call_mean"} for line in lines)
    # The expected call time: a wait is right-skewed, so its mean is never before its median.
    assert all(line["call_mean"] >= line["call_p50"] for line in lines)
    assert any(line["call_mean"] > line["call_p50"] for line in lines)
    # Exactly what the running service publishes at issue (same handlers, same predictor).
    live = MemoryDatabase()
    for event in events:
        await handle_event(event, unit_of_work=live.unit_of_work, policy=EstimationPolicy())
    at_issue: dict[str, dict[str, Any]] = {}
    for event in live.state.published:
        if event.type == "ticket.estimated":
            at_issue.setdefault(event.data["ticket_id"], event.data)
    assert [{k: line[k] for k in published_fields} for line in lines] == [
        {k: at_issue[line["ticket_id"]][k] for k in published_fields} for line in lines
    ]
    assert lines[3]["at"] == "2026-05-04T08:04:00+08:00"


def test_replay_with_every_update_adds_the_visible_changes(tmp_path: Path, hall: Any) -> None:
    events = a_morning(hall)
    log = tmp_path / "events.jsonl"
    log.write_text("".join(event.to_json().decode() + "\n" for event in events))
    at_issue = replay_cli(log).stdout.splitlines()
    every = replay_cli(log, "--every-update").stdout.splitlines()
    assert len(every) >= len(at_issue) and set(at_issue) <= set(every)


def test_a_line_that_is_not_an_event_is_named(tmp_path: Path, hall: Any) -> None:
    log = tmp_path / "events.jsonl"
    log.write_text(hall.site().to_json().decode() + "\n" + "not json\n")
    result = replay_cli(log)
    assert result.returncode == 1
    assert "line 2 is not a CloudEvent" in result.stderr


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    result = replay_cli(tmp_path / "nowhere.jsonl")
    assert result.returncode == 2 and "cannot read" in result.stderr
