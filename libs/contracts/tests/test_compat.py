"""Fail when a contract change would break a consumer written against an older version.

Two guards: (1) events exactly as v1 producers sent them (fixtures) still parse into the
current models; (2) against the committed JSON schemas, no field a consumer may rely on
was removed or retyped, and no new field became required (an old producer would not send
it). Intentional schema changes are exported with ``python -m antre_contracts.schemas``.
"""

import json
from pathlib import Path
from typing import Any, Literal

import pytest
from antre_contracts import events, parse_event
from antre_contracts.schemas import SCHEMA_DIR, current_schemas, main
from pydantic import ValidationError

FIXTURES = Path(__file__).parent / "fixtures" / "v1"


def _field_types(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        name: {key: prop.get(key) for key in ("type", "anyOf", "format", "$ref", "enum", "const")}
        for name, prop in schema.get("properties", {}).items()
    }


def _shape_change(name: str, old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """Why the field's new shape breaks someone, or None. Adding enum values is allowed:
    an old consumer meets an event whose data does not validate, and the platform's
    cloudevent_handler logs and skips it. Removing a value strands old producers."""
    if {k: v for k, v in old.items() if k != "enum"} != {k: v for k, v in new.items() if k != "enum"}:
        return f"field {name!r} changed type: {old} -> {new}"
    old_values, new_values = old.get("enum"), new.get("enum")
    if old_values == new_values:
        return None
    if old_values is None or new_values is None:
        return f"field {name!r} changed type: {old} -> {new}"
    removed = [value for value in old_values if value not in new_values]
    return f"field {name!r} lost enum values {removed}" if removed else None


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What in ``new`` breaks a consumer or producer that follows ``old``."""
    problems = []
    old_fields, new_fields = _field_types(old), _field_types(new)
    for name, shape in old_fields.items():
        if name not in new_fields:
            problems.append(f"field {name!r} was removed")
        elif (change := _shape_change(name, shape, new_fields[name])) is not None:
            problems.append(change)
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


def test_breaking_change_detector_allows_enum_widening_and_refuses_narrowing() -> None:
    old = events.RegistryChanged.model_json_schema()
    assert "credential" in old["properties"]["entity"]["enum"]
    narrower = json.loads(json.dumps(old))
    narrower["properties"]["entity"]["enum"] = ["site", "agency", "service", "counter", "journey"]
    # Widening: a consumer of the narrower contract still reads every event it knew.
    assert breaking_changes(narrower, old) == []
    assert breaking_changes(old, narrower) == ["field 'entity' lost enum values ['credential']"]
    retyped = json.loads(json.dumps(old))
    retyped["properties"]["entity"] = {"type": "integer"}
    assert breaking_changes(old, retyped)[0].startswith("field 'entity' changed type")


def test_an_old_consumer_skips_the_new_credential_entity_but_reads_known_ones() -> None:
    """What a consumer built before "credential" existed does with such an event."""
    raw = json.loads((FIXTURES / "registry.changed.credential.json").read_text())
    assert parse_event(raw).typed_data() is not None
    old_model = type(
        "OldRegistryChanged",
        (events.RegistryChanged,),
        {"__annotations__": {"entity": Literal["site", "agency", "service", "counter", "journey"]}},
    )
    with pytest.raises(ValidationError):
        old_model.model_validate(raw["data"])
    known = json.loads((FIXTURES / "registry.changed.json").read_text())
    assert old_model.model_validate(known["data"]).entity == "service"


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
