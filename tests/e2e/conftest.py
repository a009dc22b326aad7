"""The whole Antre system, started once for the end-to-end tests, as `make run` starts it:
the five service processes on free ports over the session's real Kafka and PostgreSQL,
with the demo MPP Kota Kupang seeded through the registry API."""

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from antre_contracts.topics import PARTITIONS
from antre_devstack.infra import default_cache_dir
from antre_devstack.kafka import KafkaNode
from antre_devstack.ports import free_port, free_ports
from antre_devstack.postgres import PostgresNode
from antre_devstack.secrets import DevSecrets
from antre_devstack.stack import DATABASES, SEED_DATA, ServicePorts, Stack

from tests.e2e.helpers import System

ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def all_day_demo(folder: Path) -> Path:
    """The demo MPP, open all day every day: what citizens are told (a band, or "at the
    opening") must not depend on the hour or weekday CI runs at; hours are tested with a fixed
    clock in ticketing and estimation. Seeded so, not patched afterwards: a later change of
    the site could reach estimation after the first tickets."""
    demo = json.loads(SEED_DATA.read_text())
    for site in demo["sites"]:
        site["hours"], site["closed_dates"] = ALL_DAY, []
    path = folder / "kupang-demo-all-day.json"
    path.write_text(json.dumps(demo))
    return path


@pytest.fixture(scope="session")
def e2e_kafka(infra_dir: Path) -> Iterator[KafkaNode]:
    """A broker of the system's own: other suites publish registry events for sites of
    theirs (some with the demo's codes) on the shared one, which the system would learn."""
    port, controller_port = free_ports(2)
    node = KafkaNode(infra_dir / "kafka-e2e", port=port, controller_port=controller_port,
                     cache_dir=default_cache_dir())
    node.start()
    node.wait_ready()
    node.create_topics(PARTITIONS)
    yield node
    node.stop()


@pytest.fixture(scope="session")
def system(infra_dir: Path, e2e_kafka: KafkaNode, postgres: PostgresNode) -> Iterator[System]:
    kafka = e2e_kafka
    prefix = f"e2e_{uuid.uuid4().hex[:6]}"
    for name in DATABASES:
        postgres.create_database(f"{prefix}_{name}")
    stack = Stack(
        state_dir=infra_dir / "stack",
        kafka_bootstrap=kafka.bootstrap_servers,
        database_url=lambda service: postgres.dsn(f"{prefix}_{service}"),
        secrets=DevSecrets.generate(),
        ports=ServicePorts(**{name: free_port() for name, _ in ServicePorts().items()}),
        env="test",
        # the tests run at any hour; opening hours are tested in ticketing with a fixed clock.
        # A leave-home reminder may be due 10 s after the ticket (production: 5 min), so the
        # journey test need not wait minutes for it (test_e2e_6c).
        extra_env={"ANTRE_ENFORCE_HOURS": "false", "ANTRE_REMINDER_MIN_LEAD_SECONDS": "10"},
    )
    try:
        stack.start(progress=print)
        stack.seed(progress=print, data=all_day_demo(infra_dir))
        with httpx.Client(base_url=stack.url("registry"), timeout=10) as registry:
            sites = registry.get("/v1/sites", params={"code": "MPP-KPG"},
                                 headers={"Authorization": f"Bearer {stack.secrets.admin_token}"})
            sites.raise_for_status()
            items = sites.json()
            site = (items["items"] if isinstance(items, dict) else items)[0]
            catalog = registry.get(f"/v1/sites/{site['id']}/catalog").json()
        yield System(stack=stack, kafka=kafka, secrets=stack.secrets, site_id=str(site["id"]),
                     catalog=catalog)
    finally:
        stack.stop()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=15) as client:
        yield client
