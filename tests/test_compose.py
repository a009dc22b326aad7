"""docker-compose.yml cannot run on this machine (no Docker engine), so it is checked here:
against the Compose specification's JSON schema, and against the code it deploys."""

import importlib
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from antre_contracts.topics import PARTITIONS

REPO = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
# The Compose specification schema as shipped in docker-compose 1.29.2 (PyPI), vendored
# because this machine cannot fetch it at test time.
SCHEMA = json.loads((REPO / "deploy" / "compose" / "compose-spec.schema.json").read_text())
SERVICE_PACKAGES = {"registry": "registry", "ticketing": "ticketing", "estimation": "estimation",
                    "notify": "notify", "wa-sandbox": "wa_sandbox", "seed": "registry"}
SCALED = {"estimation"}


def _built_services() -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in COMPOSE["services"].items() if "build" in svc}


def test_compose_file_follows_the_compose_specification() -> None:
    jsonschema.validate(COMPOSE, SCHEMA)


def test_the_schema_check_notices_a_mistake() -> None:
    broken = json.loads(json.dumps(COMPOSE))
    broken["services"]["registry"]["depends_on"] = {"postgres": {"condition": "when_ready"}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


@pytest.mark.parametrize("name", sorted(_built_services()))
def test_every_built_service_has_its_dockerfile(name: str) -> None:
    build = COMPOSE["services"][name]["build"]
    dockerfile = REPO / build["context"] / build["dockerfile"]
    assert dockerfile.is_file(), f"{name}: {dockerfile} is missing"
    text = dockerfile.read_text()
    assert "libs/" in text, f"{name}: the image must install the shared libs"
    assert "-c requirements/constraints.txt" in text, f"{name}: the image must use the pinned versions"


@pytest.mark.parametrize("name", sorted(_built_services()))
def test_compose_sets_only_variables_the_service_reads(name: str) -> None:
    package = SERVICE_PACKAGES[name]
    settings_cls = importlib.import_module(f"{package}.settings").Settings
    read = {f"ANTRE_{field.upper()}" for field in settings_cls.model_fields}
    env = COMPOSE["services"][name].get("environment", {})
    set_here = {key for key in env if key.startswith("ANTRE_")}
    assert set_here - read == set(), f"{name} sets variables its Settings never reads"


def test_scaled_services_publish_no_fixed_host_port() -> None:
    for name in SCALED:
        assert "ports" not in COMPOSE["services"][name], f"{name} cannot scale with a fixed host port"


def test_services_wait_for_healthy_infrastructure() -> None:
    for name in ("registry", "ticketing", "estimation", "notify"):
        service = COMPOSE["services"][name]
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "healthcheck" in service


def test_topics_job_creates_the_contract_topics() -> None:
    script = "\n".join(COMPOSE["services"]["kafka-topics"]["command"])
    created = dict(re.findall(r"(antre\.[a-z]+\.v\d+):(\d+)", script))
    assert {topic: int(n) for topic, n in created.items()} == PARTITIONS


def test_each_service_gets_its_own_database() -> None:
    init = (REPO / "deploy" / "compose" / "postgres-init.sql").read_text()
    for name in ("registry", "ticketing", "estimation", "notify"):
        url = COMPOSE["services"][name]["environment"]["ANTRE_DATABASE_URL"]
        assert url.endswith(f"/{name}")
        assert f"CREATE DATABASE {name};" in init
