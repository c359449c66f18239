"""The schema bookkeeping of the PostgreSQL backend: which dialect, which versions.

The dialect of a database is the one its bookkeeping rows name (a schema keeps the
dialect it was created with); a database without a schema gets the one the
``timescaledb`` option asks for: ``on`` requires the extension, ``auto`` uses it when it
works, ``off`` never does.

The extension works when the server has it (``pg_available_extensions``) and loads its
library at server start (``shared_preload_libraries = 'timescaledb'`` in
``postgresql.conf``); without the preload every ``CREATE EXTENSION timescaledb`` fails
with "extension "timescaledb" must be preloaded". A database where the extension is
already created works as it is.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import attrs
import psycopg

from agbotkit.db.migrations import VERSION_TABLE, Direction, Migration
from agbotkit.errors import StorageError
from agbotkit.toolkit.clock import wall_clock_ms

__all__ = [
    "EXTENSION",
    "TimescaleSupport",
    "applied_versions",
    "apply_migration",
    "choose_dialect",
    "detect_dialect",
    "loads_timescaledb",
    "preload_error",
    "timescale_support",
]

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
    return choose_dialect(mode, timescale_support(conn), where)


@attrs.frozen
class TimescaleSupport:
    """What a server says about the TimescaleDB extension.

    Attributes:
        available: the server has it (in ``pg_available_extensions``).
        created: it is already created in this database.
        preloaded: its library is in ``shared_preload_libraries``; ``None`` when the
            setting is hidden from this role (only superusers and ``pg_read_all_settings``
            see it).
    """

    available: bool
    created: bool = False
    preloaded: bool | None = None


def timescale_support(conn: psycopg.Connection[Any]) -> TimescaleSupport:
    """Ask the server (a role that cannot see the settings gets ``preloaded=None``)."""
    row = conn.execute(
        "SELECT "
        "EXISTS (SELECT FROM pg_available_extensions WHERE name = %(ext)s), "
        "EXISTS (SELECT FROM pg_extension WHERE extname = %(ext)s), "
        # pg_settings hides superuser-only settings from other roles: no row, NULL.
        "(SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries')",
        {"ext": EXTENSION},
    ).fetchone()
    available, created, libraries = row if row else (False, False, None)
    preloaded = None if libraries is None else loads_timescaledb(str(libraries))
    return TimescaleSupport(bool(available), bool(created), preloaded)


def loads_timescaledb(libraries: str) -> bool:
    """Whether a ``shared_preload_libraries`` value loads TimescaleDB (``timescaledb`` or
    a versioned or quoted form of it)."""
    names = (name.strip().strip('"').rsplit("/", 1)[-1] for name in libraries.split(","))
    return any(name == EXTENSION or name.startswith(f"{EXTENSION}-") for name in names)


def choose_dialect(mode: Literal["auto", "on"], support: TimescaleSupport, where: str) -> str:
    """The dialect for a new schema: ``timescaledb`` when the extension works, else
    ``postgresql`` (``auto``, with one warning when the extension is there but cannot be
    used) or an error (``on``). A hidden preload setting is taken as preloaded: the
    first migration then says what is wrong.

    Raises:
        StorageError: ``mode`` is ``on`` and the extension is missing or not preloaded.
    """
    if support.created or (support.available and support.preloaded is not False):
        return EXTENSION
    if not support.available:
        if mode == "on":
            raise StorageError(
                f"{where}: timescaledb is 'on' but the server does not have the TimescaleDB "
                f"extension ({EXTENSION!r} is not in pg_available_extensions): install it, or "
                "set timescaledb to 'auto' or 'off'"
            )
        return "postgresql"
    preload = (
        f"the server has the TimescaleDB extension but does not preload it: set "
        f"shared_preload_libraries = '{EXTENSION}' in postgresql.conf and restart PostgreSQL"
    )
    if mode == "on":
        raise StorageError(
            f"{where}: timescaledb is 'on' but {preload} (or set timescaledb to 'auto' or 'off')"
        )
    LOGGER.warning("%s: %s; using native partitioning instead (timescaledb=auto)", where, preload)
    return "postgresql"


def apply_migration(
    conn: psycopg.Connection[Any], migration: Migration, direction: Direction, dialect: str
) -> None:
    """Run the script and insert or delete its bookkeeping row, in one transaction (the
    bookkeeping table is created with the first version)."""
    try:
        _apply(conn, migration, direction, dialect)
    except psycopg.Error as exc:
        if "must be preloaded" in str(exc):
            raise preload_error(exc) from exc
        raise


def preload_error(exc: psycopg.Error) -> StorageError:
    """TimescaleDB's "must be preloaded", saying how to fix it (the preload setting was
    hidden from this role, so :func:`choose_dialect` could not see it was missing)."""
    return StorageError(
        f"{str(exc).strip()}: set shared_preload_libraries = '{EXTENSION}' in postgresql.conf "
        "and restart PostgreSQL, or set timescaledb to 'off'"
    )


def _apply(
    conn: psycopg.Connection[Any], migration: Migration, direction: Direction, dialect: str
) -> None:
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
