"""The schema bookkeeping of the PostgreSQL backend: which dialect, which versions.

The dialect of a database is the one its bookkeeping rows name (a schema keeps the
dialect it was created with); a database without a schema gets the one the
``timescaledb`` option asks for: ``on`` requires the extension, ``auto`` uses it when the
server has it, ``off`` never does.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import psycopg

from agbotkit.db.migrations import VERSION_TABLE, Direction, Migration
from agbotkit.errors import StorageError
from agbotkit.toolkit.clock import wall_clock_ms

__all__ = ["EXTENSION", "applied_versions", "apply_migration", "detect_dialect"]

LOGGER = logging.getLogger(__name__)

#: The TimescaleDB extension's name.
EXTENSION = "timescaledb"

_CREATE_VERSION_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version integer PRIMARY KEY, "
    "name text NOT NULL, dialect text NOT NULL, applied_at_ms bigint NOT NULL)"
)


def _version_table_exists(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (VERSION_TABLE,)).fetchone()
    return bool(row and row[0])


def applied_versions(conn: psycopg.Connection[Any]) -> list[int]:
    """The schema versions applied, ascending (empty when there is no schema)."""
    if not _version_table_exists(conn):
        return []
    rows = conn.execute(f"SELECT version FROM {VERSION_TABLE} ORDER BY version")
    return [int(version) for (version,) in rows]


def detect_dialect(
    conn: psycopg.Connection[Any], mode: Literal["auto", "on", "off"], where: str
) -> str:
    """``postgresql`` or ``timescaledb`` (see the module docstring); ``where`` (the redacted
    URL) names the database in messages.

    Raises:
        StorageError: ``mode`` is ``on`` and the server lacks the extension.
    """
    recorded = None
    if _version_table_exists(conn):
        row = conn.execute(
            f"SELECT dialect FROM {VERSION_TABLE} ORDER BY version DESC LIMIT 1"
        ).fetchone()
        recorded = row[0] if row else None
    if recorded is not None:
        if mode != "auto" and (recorded == EXTENSION) != (mode == "on"):
            LOGGER.warning(
                "%s: the schema was created for %s; timescaledb=%s does not change that",
                where,
                recorded,
                mode,
            )
        return str(recorded)
    if mode == "off":
        return "postgresql"
    row = conn.execute(
        "SELECT count(*) FROM pg_available_extensions WHERE name = %s", (EXTENSION,)
    ).fetchone()
    available = bool(row and row[0])
    if mode == "on" and not available:
        raise StorageError(
            f"{where}: timescaledb is 'on' but the server does not have the TimescaleDB "
            f"extension ({EXTENSION!r} is not in pg_available_extensions): install it, or "
            "set timescaledb to 'auto' or 'off'"
        )
    return EXTENSION if available else "postgresql"


def apply_migration(
    conn: psycopg.Connection[Any], migration: Migration, direction: Direction, dialect: str
) -> None:
    """Run the script and insert or delete its bookkeeping row, in one transaction (the
    bookkeeping table is created with the first version)."""
    with conn.transaction():
        if direction == "up":
            conn.execute(_CREATE_VERSION_TABLE)
            conn.execute(migration.up)
            conn.execute(
                f"INSERT INTO {VERSION_TABLE} (version, name, dialect, applied_at_ms) "
                "VALUES (%s, %s, %s, %s)",
                (migration.version, migration.name, dialect, wall_clock_ms()),
            )
        else:
            conn.execute(migration.down)
            conn.execute(f"DELETE FROM {VERSION_TABLE} WHERE version = %s", (migration.version,))
