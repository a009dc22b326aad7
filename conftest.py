"""Session-wide real infrastructure for every test that asks for it.

One Apache Kafka (KRaft) and one PostgreSQL start once per test session in a fresh
folder under /tmp (the postgres user cannot enter pytest's tmp_path) and stop at the
end. Tests that need neither never start them. Each test gets a database of its own.
"""

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from antre_contracts.topics import PARTITIONS
from antre_devstack.infra import default_cache_dir
from antre_devstack.kafka import KafkaNode
from antre_devstack.ports import free_port, free_ports
from antre_devstack.postgres import PostgresNode


@pytest.fixture(scope="session")
def infra_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="antre-test-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres(infra_dir: Path) -> Iterator[PostgresNode]:
    node = PostgresNode(infra_dir / "postgres", port=free_port())
    node.start()
    node.wait_ready()
    yield node
    node.stop()


@pytest.fixture(scope="session")
def kafka(infra_dir: Path) -> Iterator[KafkaNode]:
    port, controller_port = free_ports(2)
    node = KafkaNode(infra_dir / "kafka", port=port, controller_port=controller_port,
                     cache_dir=default_cache_dir())
    node.ensure_jars()
    node.start()
    node.wait_ready()
    node.create_topics(PARTITIONS)
    yield node
    node.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka: KafkaNode) -> str:
    return f"127.0.0.1:{kafka.port}"


@pytest.fixture
def database_url(postgres: PostgresNode) -> str:
    """A fresh, empty database for this test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    postgres.create_database(name)
    return postgres.dsn(name)


