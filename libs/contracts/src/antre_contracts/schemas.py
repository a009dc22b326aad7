"""Export the v1 JSON schemas: ``python -m antre_contracts.schemas [--check]``.

The exported files under ``schemas/v1/`` are committed. They are what other teams (an
agency's own consumer, a data warehouse) read, and what the compatibility test compares
a changed model against.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from antre_contracts.envelope import CloudEvent
from antre_contracts.events import DATA_MODELS

SCHEMA_DIR = Path(__file__).parent / "schemas" / "v1"


def current_schemas() -> dict[str, dict[str, Any]]:
    """File name -> JSON schema, for the envelope and every event type's data."""
    schemas = {"envelope.json": CloudEvent.model_json_schema()}
    for event_type, model in DATA_MODELS.items():
        schemas[f"{event_type}.json"] = model.model_json_schema()
    return schemas


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the files are stale")
    args = parser.parse_args(argv)
    stale = []
    for name, schema in current_schemas().items():
        path = SCHEMA_DIR / name
        text = render(schema)
        if path.exists() and path.read_text() == text:
            continue
        stale.append(name)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if args.check and stale:
        print(f"stale schemas: {', '.join(stale)}; run python -m antre_contracts.schemas")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
