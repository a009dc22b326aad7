"""A single-node Apache Kafka (KRaft, broker and controller in one JVM) run from Maven Central jars.

The node owns one state directory: server.properties, the cluster id, the log segments,
kafka.log and a pid file. The pid file lets a later process (`infra down`, or the next
`make run`) find and stop a broker that an earlier process started.
"""

import base64
import hashlib
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import psutil
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code

from antre_devstack._aio import run_sync
from antre_devstack._processes import is_alive, log_tail, wait_exit
from antre_devstack.errors import NodeError

# deploy/local/kafka: found from the source tree, so the package must be installed editable.
KAFKA_DEPLOY_DIR = Path(__file__).resolve().parents[2] / "kafka"
POM = KAFKA_DEPLOY_DIR / "pom.xml"
LOG_CONFIG = KAFKA_DEPLOY_DIR / "log4j2.properties"

STOP_GRACE_SECONDS = 20.0
# The shipped start script uses 1 GB; a development broker needs far less.
BROKER_HEAP = ("-Xms256m", "-Xmx512m")
_LEADER_WAIT_MS = 30_000
# Written to kafka.log before each launch, so a failure is read from that launch's lines only.
_LAUNCH_MARKER = "--- antre-devstack: broker launched ---"
_NODE_ID = 1


class KafkaNode:
    """One combined KRaft broker and controller listening on 127.0.0.1."""

    def __init__(self, state_dir: Path, port: int, controller_port: int, cache_dir: Path) -> None:
        self.state_dir = state_dir
        self.port = port
        self.controller_port = controller_port
        # Jars are shared between state directories: one download per Kafka version.
        self.libs_dir = cache_dir / f"kafka-{_kafka_version()}" / "libs"
        self._child: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.state_dir / "kafka.log"

    @property
    def jars_ready(self) -> bool:
        """Whether the classpath was assembled from the current pom.xml."""
        marker = self._jars_marker
        return marker.exists() and marker.read_text() == _pom_digest()

    @property
    def is_running(self) -> bool:
        # Our own child counts as running from fork on: between fork and exec its command
        # line is still Python's, which _running_broker would not recognise.
        return self._broker_process() is not None

    def _broker_process(self) -> psutil.Process | None:
        if self._child is not None and self._child.poll() is None:
            try:
                return psutil.Process(self._child.pid)
            except psutil.NoSuchProcess:
                return None
        return self._running_broker()

    def ensure_jars(self) -> None:
        """Copy the broker's runtime classpath from Maven Central into the cache, once.

        The marker holds the pom's digest, so a version bump in pom.xml replaces the jars
        instead of mixing two versions on one classpath.
        """
        if self.jars_ready:
            return
        shutil.rmtree(self.libs_dir, ignore_errors=True)
        result = subprocess.run(
            [
                "mvn", "-B", "-q", "-f", str(POM), "dependency:copy-dependencies",
                "-DincludeScope=runtime", f"-DoutputDirectory={self.libs_dir}",
            ],
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            output = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
            raise NodeError(f"Maven could not fetch the Kafka jars (is Maven Central reachable?):\n{output}")
        self._jars_marker.write_text(_pom_digest())

    def start(self) -> None:
        """Launch the broker in the background; `wait_ready` tells when it answers.

        A broker already running from this state directory is kept as it is, so an
        interrupted `make run` can simply be run again.
        """
        if self.is_running:
            return
        self.ensure_jars()
        self._data_dir.mkdir(parents=True, exist_ok=True)
        self._config_path.write_text(self._server_properties())
        self._format_storage()
        self._launch()

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Block until this node's broker answers metadata requests on its port."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.is_running:
                raise NodeError(f"Kafka exited while starting ({self._exit_status()}): "
                                f"{self._startup_failure()}\nlast lines of {self.log_path}:\n"
                                f"{log_tail(self.log_path)}")
            if self._answers_as_this_node():
                return
            if time.monotonic() >= deadline:
                raise NodeError(f"Kafka did not answer on {self.bootstrap_servers} within "
                                f"{timeout:.0f} s; last lines of {self.log_path}:\n{log_tail(self.log_path)}")
            time.sleep(0.2)

    def stop(self) -> None:
        """Shut down cleanly (SIGTERM), killing the broker if it takes over 20 s."""
        broker = self._broker_process()
        if broker is None:
            return
        broker.terminate()
        if not self._wait_exit(broker, STOP_GRACE_SECONDS):
            broker.kill()
            self._wait_exit(broker, STOP_GRACE_SECONDS)
        self._forget()

    def kill(self) -> None:
        """Crash the broker (SIGKILL), for tests of what survives a crash."""
        broker = self._broker_process()
        if broker is None:
            return
        broker.kill()
        self._wait_exit(broker, STOP_GRACE_SECONDS)
        self._forget()

    def create_topics(self, topics: Mapping[str, int]) -> None:
        """Create each topic (name -> partitions) that does not exist yet; existing ones stay as they are.

        Returns once the new topics accept writes.
        """
        created = run_sync(self._create_missing_topics(topics))
        run_sync(_wait_for_leaders(self.bootstrap_servers, created))

    @property
    def _data_dir(self) -> Path:
        return self.state_dir / "data"

    @property
    def _config_path(self) -> Path:
        return self.state_dir / "server.properties"

    @property
    def _pid_file(self) -> Path:
        return self.state_dir / "kafka.pid"

    @property
    def _jars_marker(self) -> Path:
        return self.libs_dir.parent / "pom.sha256"

    def _server_properties(self) -> str:
        settings = {
            "process.roles": "broker,controller",
            "node.id": str(_NODE_ID),
            # Static voters: no --standalone at format time, and never mixed with
            # controller.quorum.bootstrap.servers (KAFKA-18987).
            "controller.quorum.voters": f"{_NODE_ID}@127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self._data_dir),
            # One broker: internal topics cannot have the default three replicas.
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            # The 3 s default delays every consumer group join, so every test that consumes.
            "group.initial.rebalance.delay.ms": "0",
            "num.partitions": "6",
            # After a crash the restarted controller waits out the dead incarnation's
            # session before the broker may register again: 9 s by default, 4 s here.
            # Heartbeats stay on loopback inside one JVM, so 4 s is still ample.
            "broker.heartbeat.interval.ms": "1000",
            "broker.session.timeout.ms": "4000",
            # Topics are declared by the services; a typo must fail, not create a topic.
            "auto.create.topics.enable": "false",
        }
        return "".join(f"{key}={value}\n" for key, value in settings.items())

    def _format_storage(self) -> None:
        """Write the KRaft metadata directory on first start only (meta.properties marks it)."""
        if (self._data_dir / "meta.properties").exists():
            return
        result = subprocess.run(
            self._java("kafka.tools.StorageTool", "format", "-t", self._cluster_id(),
                       "-c", str(self._config_path), "--ignore-formatted"),
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            output = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
            raise NodeError(f"Kafka storage format failed in {self._data_dir}:\n{output}")

    def _cluster_id(self) -> str:
        """The cluster id, generated once and kept so a re-format joins the same cluster."""
        path = self.state_dir / "cluster.id"
        if not path.exists():
            path.write_text(_new_cluster_id())
        return path.read_text().strip()

    def _launch(self) -> None:
        if self._child is not None:
            self._child.poll()  # reap a broker that died since our last start
        with self.log_path.open("ab") as log:
            log.write(f"{_LAUNCH_MARKER}\n".encode())
            log.flush()
            # A session of its own: Ctrl-C in the terminal reaches the launcher only,
            # which then stops the broker in order instead of racing it.
            self._child = subprocess.Popen(
                self._java("kafka.Kafka", str(self._config_path), jvm_options=BROKER_HEAP),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=self.state_dir, start_new_session=True,
            )
        self._pid_file.write_text(str(self._child.pid))

    def _java(self, main_class: str, *args: str, jvm_options: Sequence[str] = ()) -> list[str]:
        """A java command line with the Kafka classpath and logging configuration."""
        return [
            "java", *jvm_options, "-cp", f"{self.libs_dir}/*",
            f"-Dlog4j2.configurationFile={LOG_CONFIG}", main_class, *args,
        ]

    def _running_broker(self) -> psutil.Process | None:
        """The broker started from this state directory, if it still runs.

        The command line must name our server.properties, so a recycled pid of an
        unrelated process is never mistaken for the broker.
        """
        try:
            pid = int(self._pid_file.read_text())
            process = psutil.Process(pid)
            if is_alive(process) and str(self._config_path) in process.cmdline():
                return process
        except (FileNotFoundError, ValueError, psutil.Error):
            pass
        return None

    def _wait_exit(self, broker: psutil.Process, timeout: float) -> bool:
        """Wait for the broker to exit, through Popen when we forked it so Popen records the exit."""
        if self._child is None or self._child.pid != broker.pid:
            return wait_exit(broker, timeout)
        try:
            self._child.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def _exit_status(self) -> str:
        """How our broker ended: a signal means something outside the node stopped it."""
        returncode = None if self._child is None else self._child.poll()
        if returncode is None:
            return "exit status unknown"
        if returncode < 0:
            return f"killed by {signal.Signals(-returncode).name}"
        return f"exit code {returncode}"

    def _startup_failure(self) -> str:
        """The root cause in the log of the latest launch: its innermost 'Caused by', else its
        first ERROR. The last 30 lines alone often miss it, buried under shutdown messages."""
        log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        lines = log.rpartition(_LAUNCH_MARKER)[2].splitlines()
        causes = [line for line in lines if line.startswith("Caused by: ")]
        errors = [line for line in lines if " ERROR " in line]
        return (causes or errors[:1] or ["no error in the log"])[-1]

    def _forget(self) -> None:
        self._pid_file.unlink(missing_ok=True)
        self._child = None

    def _answers_as_this_node(self) -> bool:
        """Whether our port answers metadata with a registered broker of our own cluster.

        The cluster id tells our broker from another one already on the port (an earlier
        run's, another checkout's), which would otherwise pass for ours until ours dies
        on its bind. A silent TCP probe goes first: aiokafka logs an error for every
        refused bootstrap.
        """
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return run_sync(self._answering_cluster_id()) == self._cluster_id()
        except (OSError, KafkaError):
            return False

    async def _answering_cluster_id(self) -> str | None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers, request_timeout_ms=2000)
        await admin.start()
        try:
            cluster = await admin.describe_cluster()
        finally:
            await admin.close()
        return str(cluster["cluster_id"]) if cluster["brokers"] else None

    async def _create_missing_topics(self, topics: Mapping[str, int]) -> dict[str, int]:
        """Create the topics that do not exist yet and return those (name -> partitions)."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers)
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = {name: partitions for name, partitions in topics.items() if name not in existing}
            if missing:
                new_topics = [NewTopic(name, partitions, 1) for name, partitions in missing.items()]
                _raise_topic_errors(await admin.create_topics(new_topics))
            return missing
        finally:
            await admin.close()


async def _wait_for_leaders(bootstrap_servers: str, topics: Mapping[str, int]) -> None:
    """Block until the leader of every partition of `topics` serves requests.

    CreateTopics answers before that, and even metadata names a leader a moment before
    the leader accepts writes: a producer starting in that gap logs NotLeaderForPartition
    retries. ListOffsets is served by the leader itself, so its answer is the real signal.
    """
    if not topics:
        return
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, request_timeout_ms=_LEADER_WAIT_MS)
    await consumer.start()
    try:
        await consumer.end_offsets([
            TopicPartition(name, partition) for name, partitions in topics.items()
            for partition in range(partitions)
        ])
    finally:
        await consumer.stop()


def _raise_topic_errors(response: Any) -> None:
    """CreateTopics answers per topic instead of raising; 'already exists' is a race we accept."""
    for name, code, *details in response.topic_errors:
        if code not in (0, TopicAlreadyExistsError.errno):
            message = details[0] if details and details[0] else for_code(code).__name__
            raise NodeError(f"Kafka refused to create topic {name!r}: {message}")


def _new_cluster_id() -> str:
    """A base64url UUID without padding, as `kafka-storage random-uuid` prints.

    A leading '-' would be read as a command-line option by the storage tool.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


def _pom_digest() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def _kafka_version() -> str:
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", POM.read_text())
    if match is None:
        raise NodeError(f"no <kafka.version> property in {POM}")
    return match.group(1)
