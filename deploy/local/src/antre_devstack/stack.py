"""The Antre services as local processes on top of the local infrastructure.

Each service runs as ``python -m <package>`` with its settings in ANTRE_* variables,
exactly as in a container; logs go to ``<state>/logs/<service>.log``. `make run` and
the end-to-end tests both use this, so what is tested is what a developer runs.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from antre_devstack import prereq
from antre_devstack._processes import log_tail
from antre_devstack.errors import PrerequisiteError
from antre_devstack.secrets import DevSecrets

REPO = Path(__file__).resolve().parents[4]
SEED_DATA = REPO / "deploy" / "seed" / "kupang-demo.json"
DATABASES = ("registry", "ticketing", "estimation", "notify")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ServicePorts:
    registry: int = 8001
    ticketing: int = 8002
    estimation: int = 8003
    notify: int = 8004
    wa_sandbox: int = 8009

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "ServicePorts":
        defaults = cls()
        return cls(**{
            name: int(environ.get(f"ANTRE_{name.upper()}_PORT", getattr(defaults, name)))
            for name in ("registry", "ticketing", "estimation", "notify", "wa_sandbox")
        })

    def items(self) -> list[tuple[str, int]]:
        return [(name, getattr(self, name)) for name in
                ("registry", "ticketing", "estimation", "notify", "wa_sandbox")]


class ServiceFailed(RuntimeError):
    pass


@dataclass
class Stack:
    """Starts, watches and stops the five service processes."""

    state_dir: Path
    kafka_bootstrap: str
    database_url: Callable[[str], str]
    secrets: DevSecrets
    ports: ServicePorts = field(default_factory=ServicePorts)
    host: str = "127.0.0.1"
    env: str = "dev"
    extra_env: Mapping[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://{self.host}:{getattr(self.ports, service)}"

    def service_env(self, service: str) -> dict[str, str]:
        env = {
            # Any ANTRE_* setting of the caller's reaches every service (make run honours them);
            # what the stack must decide itself (ports, URLs, databases) is set below.
            **os.environ,
            **self.secrets.as_env(),
            "ANTRE_ENV": self.env,
            "ANTRE_HTTP_HOST": self.host,
            "ANTRE_HTTP_PORT": str(getattr(self.ports, service)),
            "ANTRE_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
            "ANTRE_TICKETING_URL": self.url("ticketing"),
            "ANTRE_ESTIMATION_URL": self.url("estimation"),
            "ANTRE_NOTIFY_URL": self.url("notify"),
            "ANTRE_REGISTRY_URL": self.url("registry"),
            "ANTRE_PUBLIC_BASE_URL": self.url("ticketing"),
            "ANTRE_WHATSAPP_API_URL": self.url("wa_sandbox"),
            "ANTRE_SANDBOX_WEBHOOK_URL": f"{self.url('notify')}/webhooks/whatsapp",
            "ANTRE_RELAY_POLL_SECONDS": "0.2",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        if service in DATABASES:
            env["ANTRE_DATABASE_URL"] = self.database_url(service)
        return env

    def check_ports(self) -> None:
        for service, port in self.ports.items():
            if service not in self.processes:
                prereq.check_port_free(port, service, f"ANTRE_{service.upper()}_PORT")

    def start(self, progress: Progress = print) -> None:
        self.check_ports()
        for service, _ in self.ports.items():
            self.start_service(service)
        self.wait_ready(progress)

    def start_service(self, service: str) -> None:
        logs = self.state_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log_file = (logs / f"{service}.log").open("ab")
        self.processes[service] = subprocess.Popen(
            [sys.executable, "-m", service], env=self.service_env(service), cwd=REPO,
            stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_ready(self, progress: Progress = print, timeout: float = 90.0) -> None:
        started = time.monotonic()
        pending = dict(self.ports.items())
        with httpx.Client(timeout=2.0) as client:
            while pending:
                for service in list(pending):
                    self._raise_if_exited(service)
                    path = "/healthz" if service == "wa_sandbox" else "/readyz"
                    try:
                        if client.get(f"{self.url(service)}{path}").status_code == 200:
                            progress(f"[stack] {service} ready on {self.url(service)} "
                                     f"({time.monotonic() - started:.1f} s)")
                            del pending[service]
                    except httpx.TransportError:
                        pass
                if time.monotonic() - started > timeout:
                    names = ", ".join(pending)
                    raise ServiceFailed(
                        f"{names} not ready after {timeout:.0f} s; see {self.state_dir}/logs/"
                    )
                time.sleep(0.2)

    def _raise_if_exited(self, service: str) -> None:
        process = self.processes[service]
        if process.poll() is not None:
            log = self.state_dir / "logs" / f"{service}.log"
            raise ServiceFailed(f"{service} exited with code {process.returncode}:\n{log_tail(log)}")

    def seed(self, progress: Progress = print, *, data: Path = SEED_DATA) -> str:
        """Load the demo MPP (or ``data``, a file of the same shape) through the registry API."""
        result = subprocess.run(
            [sys.executable, "-m", "registry.seed", "--registry-url", self.url("registry"),
             "--admin-token", self.secrets.admin_token, "--data", str(data)],
            capture_output=True, text=True, cwd=REPO, env=self.service_env("registry"), check=False,
        )
        if result.returncode != 0:
            raise ServiceFailed(f"seeding the demo MPP failed:\n{result.stdout}\n{result.stderr}")
        summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "seeded"
        progress(f"[seed] {summary}")
        return summary

    def stop_service(self, service: str, *, kill: bool = False, timeout: float = 15.0) -> None:
        process = self.processes.pop(service, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop(self) -> None:
        for service in reversed([name for name, _ in self.ports.items()]):
            self.stop_service(service)

    def restart_service(self, service: str, *, kill: bool = False, progress: Progress = print) -> None:
        self.stop_service(service, kill=kill)
        self.start_service(service)
        self.wait_ready(progress)

    def exited(self) -> list[str]:
        return [name for name, process in self.processes.items() if process.poll() is not None]


__all__ = ["DATABASES", "PrerequisiteError", "ServiceFailed", "ServicePorts", "Stack"]
