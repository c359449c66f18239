"""Versioned schema migrations: numbered up/down SQL scripts per dialect.

The scripts live in ``agbotkit/db/sql/<dialect>/`` as ``NNNN_name.up.sql`` and
``NNNN_name.down.sql``, one pair per version, numbered from 1 without gaps. The dialects are
``sqlite``, ``postgresql`` (native range partitioning) and ``timescaledb`` (hypertables): a
new version needs a pair in each, giving the same tables and columns.

A backend is a :class:`MigrationTarget`: it says which versions it has applied and applies
one script (with its bookkeeping row) in one transaction. This module decides the order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib import resources
from typing import Literal, Protocol

import attrs

from agbotkit.errors import SchemaVersionError, StorageError

__all__ = [
    "DIALECTS",
    "Direction",
    "Migration",
    "MigrationTarget",
    "SchemaStatus",
    "check_schema",
    "downgrade",
    "latest_version",
    "load_migrations",
    "schema_status",
    "upgrade",
]

#: The dialects with scripts of their own.
DIALECTS = ("sqlite", "postgresql", "timescaledb")
#: The table where a database records the versions applied to it.
VERSION_TABLE = "agbotkit_schema_migrations"

Direction = Literal["up", "down"]
_SCRIPT = re.compile(r"^(\d{4})_([a-z0-9_]+)\.(up|down)\.sql$")


@attrs.frozen
class Migration:
    """One schema version: the scripts that go to it (``up``) and back from it (``down``)."""

    version: int
    name: str
    up: str = attrs.field(repr=False)
    down: str = attrs.field(repr=False)

    @property
    def label(self) -> str:
        """``0001_initial``."""
        return f"{self.version:04d}_{self.name}"


class MigrationTarget(Protocol):
    """A database migrations can be applied to (each backend is one)."""

    @property
    def dialect(self) -> str:
        """Which scripts apply: ``sqlite``, ``postgresql`` or ``timescaledb``."""

    def applied_versions(self) -> list[int]:
        """The versions applied, ascending (empty for a new database)."""

    def apply_migration(self, migration: Migration, direction: Direction) -> None:
        """Run ``migration.up`` and record the version, or run ``migration.down`` and
        forget it: in one transaction.

        Raises:
            StorageError: the script failed (nothing of it stays).
        """


def load_migrations(dialect: str) -> tuple[Migration, ...]:
    """The migrations of ``dialect``, oldest first.

    Raises:
        StorageError: an unknown dialect, a script without its pair, or a gap in numbering.
    """
    if dialect not in DIALECTS:
        raise StorageError(f"no migrations for dialect {dialect!r}; known: {DIALECTS}")
    folder = resources.files("agbotkit.db") / "sql" / dialect
    scripts: dict[tuple[int, str], dict[str, str]] = {}
    for entry in folder.iterdir():
        match = _SCRIPT.match(entry.name)
        if match is None:
            continue
        key = (int(match[1]), match[2])
        scripts.setdefault(key, {})[match[3]] = entry.read_text(encoding="utf-8")
    migrations = []
    for expected, ((version, name), pair) in enumerate(sorted(scripts.items()), start=1):
        if version != expected:
            raise StorageError(
                f"{dialect} migrations: expected version {expected}, found {version}"
            )
        if set(pair) != {"up", "down"}:
            raise StorageError(f"{dialect} migration {version:04d}_{name} lacks an up or down")
        migrations.append(Migration(version, name, pair["up"], pair["down"]))
    return tuple(migrations)


def latest_version(dialect: str) -> int:
    """The newest schema version this agbotkit knows for ``dialect`` (0 when none)."""
    migrations = load_migrations(dialect)
    return migrations[-1].version if migrations else 0


@attrs.frozen
class SchemaStatus:
    """Where a database's schema stands.

    Attributes:
        dialect: the scripts that apply to it.
        current: the newest version applied (0: no schema).
        latest: the newest version this agbotkit knows.
        pending: the migrations an upgrade would apply, oldest first.
    """

    dialect: str
    current: int
    latest: int
    pending: tuple[Migration, ...]

    @property
    def too_new(self) -> bool:
        """The database has a schema newer than this agbotkit knows."""
        return self.current > self.latest


def schema_status(target: MigrationTarget) -> SchemaStatus:
    """Where ``target``'s schema stands."""
    migrations = load_migrations(target.dialect)
    applied = target.applied_versions()
    current = max(applied, default=0)
    latest = migrations[-1].version if migrations else 0
    pending = tuple(m for m in migrations if m.version not in applied)
    return SchemaStatus(target.dialect, current, latest, pending)


def _too_new(status: SchemaStatus) -> SchemaVersionError:
    return SchemaVersionError(
        f"the database schema is version {status.current}, newer than the {status.latest} this "
        f"agbotkit knows ({status.dialect}): upgrade agbotkit, or downgrade the schema with the "
        "agbotkit that wrote it",
        found=status.current,
        known=status.latest,
    )


def upgrade(target: MigrationTarget, to: int | None = None) -> list[Migration]:
    """Apply the pending migrations up to version ``to`` (default: the latest), in order.

    Returns:
        The migrations applied (empty when already there).

    Raises:
        SchemaVersionError: the schema is newer than this agbotkit knows.
        StorageError: ``to`` is unknown or below the current version, or a script failed
            (the versions before it stay applied).
    """
    status = schema_status(target)
    if status.too_new:
        raise _too_new(status)
    goal = status.latest if to is None else to
    if not 0 <= goal <= status.latest:
        raise StorageError(f"no schema version {goal}: versions run from 0 to {status.latest}")
    if goal < status.current:
        raise StorageError(
            f"the schema is at version {status.current}, past {goal}: use downgrade to go back"
        )
    done = []
    for migration in status.pending:
        if migration.version > goal:
            break
        target.apply_migration(migration, "up")
        done.append(migration)
    return done


def downgrade(target: MigrationTarget, to: int | None = None) -> list[Migration]:
    """Undo migrations, newest first, down to version ``to`` (default: one step back;
    ``0`` removes every table agbotkit created).

    Returns:
        The migrations undone.

    Raises:
        SchemaVersionError: the schema is newer than this agbotkit knows (it has no scripts
            to undo it).
        StorageError: ``to`` is above the current version, or a script failed.
    """
    status = schema_status(target)
    if status.too_new:
        raise _too_new(status)
    goal = max(status.current - 1, 0) if to is None else to
    if not 0 <= goal <= status.current:
        raise StorageError(
            f"cannot downgrade to version {goal}: the schema is at version {status.current}"
        )
    by_version = {m.version: m for m in load_migrations(target.dialect)}
    done = []
    for version in sorted(target.applied_versions(), reverse=True):
        if version <= goal:
            break
        target.apply_migration(by_version[version], "down")
        done.append(by_version[version])
    return done


def check_schema(target: MigrationTarget, *, auto_upgrade: bool) -> Sequence[Migration]:
    """Make sure ``target`` has the schema this agbotkit writes, before using it.

    With ``auto_upgrade`` the pending migrations are applied; without, a schema that is not
    the latest is an error naming the command that fixes it.

    Returns:
        The migrations applied now.

    Raises:
        SchemaVersionError: the schema is newer than this agbotkit knows (always refused),
            or older and ``auto_upgrade`` is off.
    """
    status = schema_status(target)
    if status.too_new:
        raise _too_new(status)
    if not status.pending:
        return []
    if not auto_upgrade:
        raise SchemaVersionError(
            f"the database schema is version {status.current}, this agbotkit writes version "
            f"{status.latest}: run `agbotkit db upgrade --stack STACK` (or set "
            "auto_upgrade: true)",
            found=status.current,
            known=status.latest,
        )
    return upgrade(target)
