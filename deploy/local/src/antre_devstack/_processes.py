"""Process helpers shared by the Kafka and PostgreSQL nodes."""

import time
from pathlib import Path

import psutil


def wait_exit(process: psutil.Process, timeout: float) -> bool:
    """Wait until `process` has exited; False if it still runs after `timeout`.

    A zombie has exited: a broker started by another, still running process (the launcher,
    when `infra down` runs in a second shell) stays a zombie until that process reaps it.
    """
    deadline = time.monotonic() + timeout
    while is_alive(process):
        if time.monotonic() >= deadline:
            return False
        try:
            process.wait(0.05)
        except (psutil.TimeoutExpired, psutil.NoSuchProcess):
            pass
    return True


def _is_zombie(process: psutil.Process) -> bool:
    try:
        return bool(process.status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def is_alive(process: psutil.Process) -> bool:
    """Whether `process` still runs (a zombie does not)."""
    return process.is_running() and not _is_zombie(process)


def log_tail(path: Path, lines: int = 30) -> str:
    """The last `lines` lines of a log file, for error messages."""
    if not path.exists():
        return f"({path} does not exist)"
    tail = path.read_text(errors="replace").splitlines()[-lines:]
    return "\n".join(tail)
