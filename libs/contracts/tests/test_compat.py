"""Fail when a contract change would break a consumer written against an older version.

Two guards: (1) events exactly as v1 producers sent them (fixtures) still parse into the
current models; (2) against the committed JSON schemas, no field a consumer may rely on
was removed or retyped, and no new field became required (an old producer would not send
it). Intentional schema changes are exported with ``python -m antre_contracts.schemas``.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from antre_contracts import events, parse_event
from antre_contracts.schemas import SCHEMA_DIR, current_schemas, main

FIXTURES = Path(__file__).parent / "fixtures" / "v1"


def _field_types(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        name: {key: prop.get(key) for key in ("type", "anyOf", "format", "$ref", "enum", "const")}
        for name, prop in schema.get("properties", {}).items()
    }


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What in ``new`` breaks a consumer or producer that follows ``old``."""
    problems = []
    old_fields, new_fields = _field_types(old), _field_types(new)
    for name, shape in old_fields.items():
        if name not in new_fields:
            problems.append(f"field {name!r} was removed")
        elif new_fields[name] != shape:
            problems.append(f"field {name!r} changed type: {shape} -> {new_fields[name]}")
    added_required = set(new.get("required", [])) - set(old.get("required", []))
    problems += [f"new field {name!r} is required" for name in sorted(added_required)]
    return problems


@pytest.mark.parametrize("name", sorted(current_schemas()))
def test_no_breaking_change_against_committed_schema(name: str) -> None:
    committed = json.loads((SCHEMA_DIR / name).read_text())
    assert breaking_changes(committed, current_schemas()[name]) == []


def test_committed_schemas_are_current() -> None:
    assert main(["--check"]) == 0, "run: python -m antre_contracts.schemas"


def test_breaking_change_detector_notices_removal_retype_and_new_requirement() -> None:
    old = events.CounterCalled.model_json_schema()
    renamed = dict(old, properties={k: v for k, v in old["properties"].items() if k != "recall"})
    retyped = json.loads(json.dumps(old))
    retyped["properties"]["recall"] = {"type": "string"}
    stricter = dict(old, required=[*old["required"], "number"])
    assert breaking_changes(old, renamed) == ["field 'recall' was removed"]
    assert breaking_changes(old, retyped)[0].startswith("field 'recall' changed type")
    assert breaking_changes(old, stricter) == ["new field 'number' is required"]


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_v1_events_as_sent_still_parse(path: Path) -> None:
    event = parse_event(path.read_bytes())
    data = event.typed_data()
    assert event.siteid and data is not None


def test_every_event_type_has_a_fixture() -> None:
    covered = {parse_event(p.read_bytes()).type for p in FIXTURES.glob("*.json")}
    assert covered == set(events.DATA_MODELS)


def test_unknown_fields_are_ignored_and_bad_data_refused() -> None:
    raw = json.loads((FIXTURES / "ticket.issued.json").read_text())
    raw["data"]["colour_of_the_day"] = "blue"
    raw["future_attribute"] = 1
    assert parse_event(raw).typed_data() is not None
    raw["data"]["priority"] = "vip"
    with pytest.raises(ValidationError):
        parse_event(raw).typed_data()
