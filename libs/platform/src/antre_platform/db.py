"""PostgreSQL access: a pool per service and an ordered-SQL migration runner.

Migrations are plain ``NNNN_name.sql`` files applied in order, each in its own
transaction, recorded in ``schema_migrations`` with a checksum so an edited migration
that already ran is refused instead of silently ignored. An advisory lock lets several
replicas start at once.
"""

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import asyncpg

PLATFORM_MIGRATIONS = Path(str(resources.files("antre_platform") / "migrations"))
_MIGRATION_LOCK = 7_310_001


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    namespace: str
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(namespace: str, directory: Path) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        version, _, name = path.stem.partition("_")
        if not version.isdigit():
            raise MigrationError(f"{path}: migration files are named NNNN_name.sql")
        migrations.append(Migration(namespace, version, name, path.read_text()))
    return migrations


async def migrate(dsn: str, service: str, directory: Path) -> list[str]:
    """Apply the platform's and then the service's pending migrations; returns what ran."""
    pending = load_migrations("platform", PLATFORM_MIGRATIONS) + load_migrations(service, directory)
    applied: list[str] = []
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   namespace text NOT NULL, version text NOT NULL, name text NOT NULL,
                   checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),
                   PRIMARY KEY (namespace, version))"""
        )
        done = {
            (row["namespace"], row["version"]): row["checksum"]
            for row in await conn.fetch("SELECT namespace, version, checksum FROM schema_migrations")
        }
        for migration in pending:
            key = (migration.namespace, migration.version)
            if key in done:
                if done[key] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.namespace}/{migration.version}_{migration.name} "
                        "changed after it was applied: add a new migration instead"
                    )
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (namespace, version, name, checksum) "
                    "VALUES ($1, $2, $3, $4)",
                    migration.namespace, migration.version, migration.name, migration.checksum,
                )
            applied.append(f"{migration.namespace}/{migration.version}_{migration.name}")
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
        await conn.close()
    return applied


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size)
    assert pool is not None
    return pool
