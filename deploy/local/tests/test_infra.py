"""The local servers do what services and tests rely on: they answer, and they keep data."""

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import antre_devstack
import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from antre_devstack.errors import NodeError
from antre_devstack.infra import (
    CACHE_DIR_ENV,
    KAFKA_CONTROLLER_PORT_ENV,
    KAFKA_PORT_ENV,
    PG_PORT_ENV,
    Infra,
    default_cache_dir,
)
from antre_devstack.kafka import KafkaNode
from antre_devstack.ports import free_port, free_ports

DATABASE = "devstack_probe"
TOPIC = "devstack.probe"


@pytest.fixture(scope="module")
def infra() -> Iterator[Infra]:
    """Kafka and PostgreSQL on free ports, for this module only: under `make test` the
    repository's own session servers run too, and two brokers should not outlive this module."""
    # Not tmp_path: pytest's base temp dir is 0700 root, which the PostgreSQL user cannot enter.
    state_dir = Path(tempfile.mkdtemp(prefix="antre-devstack-", dir="/tmp"))
    kafka_port, controller_port, pg_port = free_ports(3)
    infra = Infra(state_dir, kafka_port, controller_port, pg_port, default_cache_dir())
    infra.up(databases=[DATABASE], topics={TOPIC: 3})
    yield infra
    infra.down()
    shutil.rmtree(state_dir)


async def produce(infra: Infra, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka.bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(TOPIC, value)
    finally:
        await producer.stop()


async def topic_contains(infra: Infra, value: bytes, group_id: str | None = None) -> bool:
    """Read the topic from the beginning until `value` shows up, for at most 20 s."""
    consumer = AIOKafkaConsumer(TOPIC, bootstrap_servers=infra.kafka.bootstrap_servers,
                                group_id=group_id, auto_offset_reset="earliest")
    await consumer.start()
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            if any(record.value == value for records in batches.values() for record in records):
                return True
        return False
    finally:
        await consumer.stop()


async def execute(infra: Infra, sql: str) -> None:
    connection = await asyncpg.connect(infra.postgres.dsn(DATABASE))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def fetch_values(infra: Infra, sql: str) -> list[object]:
    connection = await asyncpg.connect(infra.postgres.dsn(DATABASE))
    try:
        return [row[0] for row in await connection.fetch(sql)]
    finally:
        await connection.close()


def unique(label: str) -> bytes:
    return f"{label}-{uuid.uuid4()}".encode()


@pytest.mark.asyncio
async def test_a_produced_record_reaches_a_consumer_group(infra: Infra) -> None:
    value = unique("hello")
    await produce(infra, value)
    assert await topic_contains(infra, value, group_id="devstack-test")


@pytest.mark.asyncio
async def test_the_created_database_answers_over_tcp(infra: Infra) -> None:
    assert await fetch_values(infra, "select 1") == [1]


@pytest.mark.asyncio
async def test_creating_existing_databases_and_topics_changes_nothing(infra: Infra) -> None:
    await execute(infra, "create table if not exists kept (note text)")
    await execute(infra, "insert into kept values ('still here')")
    infra.postgres.create_database(DATABASE)
    infra.kafka.create_topics({TOPIC: 3, "devstack.second": 1})
    assert "still here" in await fetch_values(infra, "select note from kept")


@pytest.mark.asyncio
async def test_kafka_restart_loses_nothing(infra: Infra) -> None:
    value = unique("before-restart")
    await produce(infra, value)
    infra.kafka.stop()
    assert not infra.kafka.is_running
    infra.kafka.start()
    infra.kafka.wait_ready()
    assert await topic_contains(infra, value)


@pytest.mark.asyncio
async def test_kafka_crash_keeps_acknowledged_records(infra: Infra) -> None:
    value = unique("before-crash")
    await produce(infra, value)
    infra.kafka.kill()
    infra.kafka.start()
    infra.kafka.wait_ready()
    assert await topic_contains(infra, value)


@pytest.mark.asyncio
async def test_postgres_restart_keeps_tables(infra: Infra) -> None:
    await execute(infra, "create table restarted (note text)")
    await execute(infra, "insert into restarted values ('kept')")
    infra.postgres.stop()
    assert not infra.postgres.is_running
    infra.postgres.start()
    infra.postgres.wait_ready()
    assert await fetch_values(infra, "select note from restarted") == ["kept"]


@pytest.mark.asyncio
async def test_postgres_crash_keeps_committed_rows(infra: Infra) -> None:
    await execute(infra, "create table crashed (note text)")
    await execute(infra, "insert into crashed values ('committed')")
    infra.postgres.kill()
    infra.postgres.start()
    infra.postgres.wait_ready()
    assert await fetch_values(infra, "select note from crashed") == ["committed"]


@pytest.mark.asyncio
async def test_cli_down_and_up_from_other_processes_keep_data(infra: Infra) -> None:
    value = unique("before-cli")
    await produce(infra, value)
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(antre_devstack.__file__).parents[1]),
        KAFKA_PORT_ENV: str(infra.kafka.port),
        KAFKA_CONTROLLER_PORT_ENV: str(infra.kafka.controller_port),
        PG_PORT_ENV: str(infra.postgres.port),
        CACHE_DIR_ENV: str(infra.kafka.libs_dir.parents[1]),
    }

    def cli(*args: str) -> str:
        command = [sys.executable, "-m", "antre_devstack", "infra", *args, "--state", str(infra.state_dir)]
        return subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout

    cli("down")
    assert not infra.kafka.is_running
    assert not infra.postgres.is_running
    output = cli("up", "--database", DATABASE)
    assert infra.postgres.dsn(DATABASE) in output
    assert infra.kafka.is_running
    assert await topic_contains(infra, value)


def test_a_second_broker_on_a_taken_port_fails_with_the_reason(infra: Infra) -> None:
    """The broker already on the port answers, but it is not ours: wait_ready must not
    report ready, and must say why ours stopped."""
    state_dir = Path(tempfile.mkdtemp(prefix="antre-devstack-", dir="/tmp"))
    node = KafkaNode(state_dir, infra.kafka.port, free_port(), default_cache_dir())
    node.start()
    try:
        with pytest.raises(NodeError, match=r"^Kafka exited while starting \(.*\): .*Address already in use"):
            node.wait_ready(timeout=60)
    finally:
        node.stop()
        shutil.rmtree(state_dir)
