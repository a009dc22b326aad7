"""A missing tool or a busy port is reported as one line that says what to do."""

import shutil
import socket
import tempfile
from pathlib import Path

import pytest
from antre_devstack.errors import PrerequisiteError
from antre_devstack.infra import PG_PORT_ENV, Infra, default_cache_dir
from antre_devstack.ports import free_port, free_ports
from antre_devstack.prereq import check_java, check_port_free


def fake_java(directory: Path, banner: str) -> None:
    java = directory / "java"
    java.write_text(f"#!/bin/sh\necho '{banner}' >&2\n")
    java.chmod(0o755)


def test_java_on_this_machine_is_new_enough() -> None:
    assert check_java() >= 17


def test_missing_java_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PrerequisiteError, match=r"apt-get install -y openjdk-17-jre-headless"):
        check_java()


@pytest.mark.parametrize(("banner", "major"), [('openjdk version "11.0.2" 2019-01-15', 11),
                                               ('java version "1.8.0_392"', 8)])
def test_old_java_is_refused_with_its_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              banner: str, major: int) -> None:
    fake_java(tmp_path, banner)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PrerequisiteError, match=rf"^Java {major} is first on PATH .* needs Java 17\+"):
        check_java()


def test_taken_port_names_the_port_and_the_setting() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(PrerequisiteError) as caught:
            check_port_free(port, "Kafka", "ANTRE_KAFKA_PORT")
    assert str(caught.value) == (
        f"port {port} (Kafka) is taken by another process: stop it or set ANTRE_KAFKA_PORT"
    )


def test_free_port_passes_the_check() -> None:
    check_port_free(free_port(), "PostgreSQL")


def test_up_with_a_taken_port_starts_nothing() -> None:
    state_dir = Path(tempfile.mkdtemp(prefix="antre-devstack-", dir="/tmp"))
    kafka_port, controller_port = free_ports(2)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        infra = Infra(state_dir, kafka_port, controller_port, listener.getsockname()[1], default_cache_dir())
        lines: list[str] = []
        with pytest.raises(PrerequisiteError, match=PG_PORT_ENV):
            infra.up(progress=lines.append)
    shutil.rmtree(state_dir)
    assert lines[0] == "[infra] prerequisites ... failed"
    assert not infra.kafka.is_running
    assert not infra.postgres.is_running
