"""`python -m antre_devstack run|prepare|compose-env`: what `make run` and `make test` call."""

import argparse
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from antre_contracts.topics import PARTITIONS

from antre_devstack import prereq
from antre_devstack.errors import PrerequisiteError
from antre_devstack.infra import Infra, default_cache_dir
from antre_devstack.kafka import KafkaNode
from antre_devstack.secrets import DevSecrets
from antre_devstack.stack import DATABASES, ServiceFailed, ServicePorts, Stack


def _say(line: str) -> None:
    print(line, flush=True)


class _Stop(Exception):
    pass


def _raise_stop(signum: int, _: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def run(state_dir: Path) -> int:
    """Start everything, seed the demo MPP, print the URLs, run until Ctrl-C."""
    started = time.monotonic()
    # Both set explicitly: a shell that starts us without job control ignores SIGINT.
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    ports = ServicePorts.from_env()
    infra = Infra.from_env(state_dir)
    secrets = DevSecrets.load_or_create(state_dir / "secrets.env")
    stack = Stack(state_dir=state_dir, kafka_bootstrap=infra.kafka.bootstrap_servers,
                  database_url=infra.postgres.dsn, secrets=secrets, ports=ports)
    try:
        stack.check_ports()
        infra.up(DATABASES, PARTITIONS, progress=_say)
        stack.start(progress=_say)
        stack.seed(progress=_say)
        _print_urls(stack, secrets, time.monotonic() - started)
        while not (failed := stack.exited()):
            time.sleep(0.5)
        _say(f"[stack] {', '.join(failed)} stopped unexpectedly; see {state_dir}/logs/. Shutting down.")
        return 1
    except (KeyboardInterrupt, _Stop):
        _say("\n[stack] stopping ...")
        return 0
    except (PrerequisiteError, ServiceFailed) as exc:
        _say(f"error: {exc}")
        return 1
    finally:
        stack.stop()
        infra.down(progress=_say)


def _print_urls(stack: Stack, secrets: DevSecrets, elapsed: float) -> None:
    site_hint = "(GET /v1/sites?code=MPP-KPG gives the site id)"
    lines = [
        "",
        f"Antre is running (ready in {elapsed:.1f} s). Ctrl-C stops everything.",
        "",
        f"  registry      {stack.url('registry')}/docs   catalog: /v1/sites/<site_id>/catalog {site_hint}",
        f"  ticketing     {stack.url('ticketing')}/docs",
        f"  estimation    {stack.url('estimation')}/docs",
        f"  notify        {stack.url('notify')}/docs    webhook: /webhooks/whatsapp",
        f"  wa-sandbox    {stack.url('wa_sandbox')}/      (phone simulator)",
        f"  Kafka         {stack.kafka_bootstrap}",
        "",
        "  dev secrets (also in .antre/secrets.env; set ANTRE_* to choose your own):",
        f"    ANTRE_ADMIN_TOKEN={secrets.admin_token}",
        f"    ANTRE_WHATSAPP_APP_SECRET={secrets.whatsapp_app_secret}",
        f"    ANTRE_WHATSAPP_VERIFY_TOKEN={secrets.whatsapp_verify_token}",
        "",
    ]
    _say("\n".join(lines))


def prepare() -> int:
    """Check prerequisites and fetch the Kafka jars once, so test sessions start fast."""
    try:
        prereq.check_java()
        node = KafkaNode(Path("/tmp/antre-unused"), 0, 0, default_cache_dir())
        if not node.jars_ready:
            prereq.check_maven()
            _say("[setup] Kafka jars: first run, downloading from Maven Central ...")
        node.ensure_jars()
    except PrerequisiteError as exc:
        _say(f"error: {exc}")
        return 1
    return 0


def compose_env(out: Path) -> int:
    """Write a .env for docker compose with freshly generated secrets (kept if it exists)."""
    if out.exists():
        _say(f"{out} exists; keeping it")
        return 0
    secrets = DevSecrets.generate()
    out.write_text(secrets.as_env_file())
    out.chmod(0o600)
    _say(f"wrote {out}: ANTRE_ADMIN_TOKEN={secrets.admin_token}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="antre_devstack", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="start the whole system with the demo MPP")
    run_parser.add_argument("--state", type=Path, default=Path(".antre"))
    sub.add_parser("prepare", help="check prerequisites and fetch the Kafka jars")
    env_parser = sub.add_parser("compose-env", help="write .env for docker compose")
    env_parser.add_argument("--out", type=Path, default=Path(".env"))
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args.state.resolve())
    if args.command == "prepare":
        return prepare()
    return compose_env(args.out)


if __name__ == "__main__":
    sys.exit(main())
