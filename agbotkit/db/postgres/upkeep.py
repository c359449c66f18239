"""Retention on PostgreSQL: whole daily partitions or TimescaleDB chunks first, then rows.

Dropping a partition or a chunk frees its disk at once and costs no dead rows to vacuum;
only the rows of the boundary day are deleted one by one, so the rows removed are exactly
those with ``timestamp < cutoff``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

import psycopg
from psycopg import sql

from agbotkit.db.backend import RetentionReport
from agbotkit.db.postgres import series as pg_series
from agbotkit.db.postgres.partitions import Partitions
from agbotkit.db.postgres.queries import clamped_datetime
from agbotkit.db.records import TABLES
from agbotkit.errors import StorageError

__all__ = ["apply_retention", "check_tables", "configure_retention"]

LOGGER = logging.getLogger(__name__)


def check_tables(tables: Iterable[str]) -> None:
    """Refuse any table that is not one of :data:`~agbotkit.db.records.TABLES`.

    Raises:
        StorageError: naming the table.
    """
    for table in tables:
        if table not in TABLES:
            raise StorageError(f"unknown table {table!r}: expected one of {', '.join(TABLES)}")


def apply_retention(
    conn: psycopg.Connection[Any],
    dialect: str,
    partitions: Partitions,
    cutoffs_ms: Mapping[str, int],
) -> RetentionReport:
    """Delete the rows of each table older than its cutoff (see the module docstring)."""
    check_tables(cutoffs_ms)
    deleted: dict[str, int] = {}
    dropped = 0
    for table, cutoff_ms in cutoffs_ms.items():
        if dialect == "timescaledb":
            chunks, rows = _timescale_retention(conn, table, cutoff_ms)
        else:
            chunks, rows = partitions.drop_before(conn, table, cutoff_ms)
            rows += _delete_before(conn, table, cutoff_ms)
        if table == "metrics":
            pg_series.forget_before(conn, cutoff_ms)
        deleted[table] = rows
        dropped += chunks
    return RetentionReport(deleted, dropped)


def _delete_before(conn: psycopg.Connection[Any], table: str, cutoff_ms: int) -> int:
    statement = sql.SQL("DELETE FROM {} WHERE timestamp < %s").format(sql.Identifier(table))
    return max(conn.execute(statement, (clamped_datetime(cutoff_ms),)).rowcount, 0)


def _timescale_retention(
    conn: psycopg.Connection[Any], table: str, cutoff_ms: int
) -> tuple[int, int]:
    cutoff = clamped_datetime(cutoff_ms)
    with conn.transaction():
        count = sql.SQL("SELECT count(*) FROM {} WHERE timestamp < %s").format(
            sql.Identifier(table)
        )
        row = conn.execute(count, (cutoff,)).fetchone()
        # drop_chunks drops the chunks whose whole range ends at or before the cutoff.
        chunks = conn.execute(
            "SELECT drop_chunks(%s::regclass, older_than => %s::timestamptz)", (table, cutoff)
        ).fetchall()
        _delete_before(conn, table, cutoff_ms)
    rows = int(row[0]) if row else 0
    LOGGER.info("%s: dropped %d chunks, %d rows in all", table, len(chunks), rows)
    return len(chunks), rows


def configure_retention(conn: psycopg.Connection[Any], keep_days: Mapping[str, float]) -> None:
    """(Re)set each named hypertable's TimescaleDB retention policy, in one transaction.

    Raises:
        StorageError: an unknown table, or a number of days that is not positive and finite.
    """
    check_tables(keep_days)
    for table, days in keep_days.items():
        if not (math.isfinite(days) and days > 0):
            raise StorageError(f"{table}: days kept must be positive, got {days!r}")
    with conn.transaction():
        for table, days in keep_days.items():
            conn.execute(
                "SELECT remove_retention_policy(%s::regclass, if_exists => true)", (table,)
            )
            conn.execute(
                "SELECT add_retention_policy(%s::regclass, drop_after => %s::interval)",
                (table, timedelta(days=days)),
            )
            LOGGER.info("%s: TimescaleDB retention policy set to %g days", table, days)
