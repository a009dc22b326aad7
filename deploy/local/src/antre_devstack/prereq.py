"""Checks run before starting anything, so a missing tool is one clear line, not a stack trace."""

import re
import shutil
import socket
import subprocess

from antre_devstack.errors import PrerequisiteError

__all__ = ["PrerequisiteError", "check_java", "check_maven", "check_port_free"]

MIN_JAVA = 17
_INSTALL_JAVA = "install openjdk-17-jre-headless (apt-get install -y openjdk-17-jre-headless)"


def check_java() -> int:
    """Return the major version of the `java` on PATH; Kafka 4 brokers need 17 or newer."""
    java = shutil.which("java")
    if java is None:
        raise PrerequisiteError(f"Java {MIN_JAVA}+ is needed for the local Kafka broker: {_INSTALL_JAVA}")
    major = _java_major(java)
    if major < MIN_JAVA:
        raise PrerequisiteError(
            f"Java {major} is first on PATH ({java}) but the local Kafka broker needs Java "
            f"{MIN_JAVA}+: {_INSTALL_JAVA} and put it first on PATH"
        )
    return major


def _java_major(java: str) -> int:
    """Parse `java -version` (printed on stderr): '"17.0.15"' is 17, the old '"1.8.0_392"' is 8."""
    banner = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', banner)
    if match is None:
        raise PrerequisiteError(f"could not read the Java version from `{java} -version`: {_INSTALL_JAVA}")
    first, second = int(match.group(1)), int(match.group(2) or 0)
    return second if first == 1 else first


def check_maven() -> None:
    """Maven downloads the Kafka jars from Maven Central; only the first start needs it."""
    if shutil.which("mvn") is None:
        raise PrerequisiteError(
            "Maven is needed once to download the Kafka jars from Maven Central: "
            "install maven (apt-get install -y maven)"
        )


def check_port_free(port: int, what: str, env_var: str | None = None) -> None:
    """Fail early when another process listens on 127.0.0.1:`port`.

    SO_REUSEADDR makes the probe ignore connections lingering in TIME_WAIT after our own
    restart, exactly as Kafka and PostgreSQL ignore them when they bind.
    """
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            remedy = f"set {env_var}" if env_var else "choose another port"
            raise PrerequisiteError(
                f"port {port} ({what}) is taken by another process: stop it or {remedy}"
            ) from None
