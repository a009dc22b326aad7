"""`python -m antre_devstack`: `infra up|down` here; run, prepare and compose-env in cli.py.

`infra up` starts only the local Kafka and PostgreSQL, which keep running after it
returns; `infra down` (from any shell) stops them through the pid files in the state
directory.
"""

import argparse
import sys
from pathlib import Path

from antre_devstack.errors import DevstackError
from antre_devstack.infra import Infra


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["infra"]:
        return infra(args[1:])
    # Imported here: the launcher needs the services' contracts, `infra` does not.
    from antre_devstack.cli import main as launcher

    return launcher(args)


def infra(argv: list[str]) -> int:
    args = _infra_parser().parse_args(argv)
    local = Infra.from_env(args.state.resolve())
    try:
        if args.action == "up":
            local.up(args.database, dict(args.topic))
            _print_endpoints(local, args.database)
        else:
            local.down()
    except DevstackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def _infra_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m antre_devstack infra",
                                     description="start or stop the local Kafka and PostgreSQL")
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("--state", type=Path, default=Path(".antre"),
                        help="directory for data and logs (default: .antre)")
    parser.add_argument("--database", action="append", default=[], metavar="NAME",
                        help="database to create if missing (repeatable)")
    parser.add_argument("--topic", action="append", default=[], type=_topic, metavar="NAME[:PARTITIONS]",
                        help="topic to create if missing, 6 partitions unless given (repeatable)")
    return parser


def _topic(value: str) -> tuple[str, int]:
    name, _, partitions = value.partition(":")
    try:
        return name, int(partitions or 6)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME or NAME:PARTITIONS, got {value!r}") from None


def _print_endpoints(local: Infra, databases: list[str]) -> None:
    print(f"Kafka       {local.kafka.bootstrap_servers}   (log: {local.kafka.log_path})")
    for database in databases or ["postgres"]:
        print(f"PostgreSQL  {local.postgres.dsn(database)}")
    print(f"            (log: {local.postgres.log_path})")


if __name__ == "__main__":
    sys.exit(main())
