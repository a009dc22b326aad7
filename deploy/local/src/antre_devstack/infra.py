"""Kafka and PostgreSQL together: what `make run` and the test suites start before anything else."""

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from antre_devstack import prereq
from antre_devstack.kafka import KafkaNode
from antre_devstack.postgres import PostgresNode

KAFKA_PORT_ENV = "ANTRE_KAFKA_PORT"
KAFKA_CONTROLLER_PORT_ENV = "ANTRE_KAFKA_CONTROLLER_PORT"
PG_PORT_ENV = "ANTRE_PG_PORT"
CACHE_DIR_ENV = "ANTRE_CACHE_DIR"
DEFAULT_PORTS = {KAFKA_PORT_ENV: 9092, KAFKA_CONTROLLER_PORT_ENV: 9093, PG_PORT_ENV: 5432}

Progress = Callable[[str], None]


class Infra:
    """The local Kafka broker and PostgreSQL server under one state directory."""

    def __init__(self, state_dir: Path, kafka_port: int, kafka_controller_port: int,
                 pg_port: int, cache_dir: Path) -> None:
        self.state_dir = state_dir
        self.kafka = KafkaNode(state_dir / "kafka", kafka_port, kafka_controller_port, cache_dir)
        self.postgres = PostgresNode(state_dir / "postgres", pg_port)

    @classmethod
    def from_env(cls, state_dir: Path, environ: Mapping[str, str] = os.environ) -> "Infra":
        """Ports from ANTRE_KAFKA_PORT, ANTRE_KAFKA_CONTROLLER_PORT and ANTRE_PG_PORT
        (9092, 9093, 5432 by default); the jar cache from ANTRE_CACHE_DIR (~/.cache/antre)."""
        ports = {name: int(environ.get(name, default)) for name, default in DEFAULT_PORTS.items()}
        return cls(state_dir, ports[KAFKA_PORT_ENV], ports[KAFKA_CONTROLLER_PORT_ENV],
                   ports[PG_PORT_ENV], default_cache_dir(environ))

    def up(self, databases: Iterable[str] = (), topics: Mapping[str, int] | None = None,
           progress: Progress = print) -> None:
        """Start both servers, wait until they answer, then create the databases and topics.

        PostgreSQL starts while the Kafka JVM boots. If any step fails, both servers are
        stopped again, so a failed start leaves nothing behind.
        """
        databases, topics = list(databases), dict(topics or {})
        try:
            with _step(progress, "prerequisites"):
                self._check_prerequisites()
            if not self.kafka.jars_ready:
                progress("[infra] Kafka jars: first run, downloading from Maven Central ...")
            with _step(progress, "Kafka jars"):
                self.kafka.ensure_jars()
            kafka_launched = time.monotonic()
            with _step(progress, "Kafka launch"):
                self.kafka.start()
            with _step(progress, f"PostgreSQL on 127.0.0.1:{self.postgres.port}"):
                self.postgres.start()
                self.postgres.wait_ready()
            with _step(progress, f"Kafka on {self.kafka.bootstrap_servers}", since=kafka_launched):
                self.kafka.wait_ready()
            with _step(progress, f"databases: {', '.join(databases) or 'none'}"):
                for database in databases:
                    self.postgres.create_database(database)
            with _step(progress, f"topics: {len(topics)}"):
                self.kafka.create_topics(topics)
        except BaseException:
            self.down(progress)
            raise

    def down(self, progress: Progress = print) -> None:
        """Stop both servers cleanly; their data stays in the state directory."""
        with _step(progress, "stop Kafka"):
            self.kafka.stop()
        with _step(progress, "stop PostgreSQL"):
            self.postgres.stop()

    def _check_prerequisites(self) -> None:
        """Java always; Maven only before the first download; ports only of servers not yet ours."""
        prereq.check_java()
        if not self.kafka.jars_ready:
            prereq.check_maven()
        if not self.kafka.is_running:
            prereq.check_port_free(self.kafka.port, "Kafka", KAFKA_PORT_ENV)
            prereq.check_port_free(self.kafka.controller_port, "Kafka controller", KAFKA_CONTROLLER_PORT_ENV)
        if not self.postgres.is_running:
            prereq.check_port_free(self.postgres.port, "PostgreSQL", PG_PORT_ENV)


def default_cache_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """Where the Kafka jars are kept between checkouts: ANTRE_CACHE_DIR, else the XDG cache."""
    if CACHE_DIR_ENV in environ:
        return Path(environ[CACHE_DIR_ENV])
    xdg_cache = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg_cache) / "antre"


@contextmanager
def _step(progress: Progress, label: str, since: float | None = None) -> Iterator[None]:
    """Report one step as '[infra] <label> ... ok (1.2 s)', or '... failed' before re-raising."""
    started = time.monotonic() if since is None else since
    try:
        yield
    except BaseException:
        progress(f"[infra] {label} ... failed")
        raise
    progress(f"[infra] {label} ... ok ({time.monotonic() - started:.1f} s)")
