"""The write side of the PostgreSQL backend: functions run inside the write's transaction.

Metrics go in by binary ``COPY`` (:mod:`agbotkit.db.postgres.binary_copy`). On native partitioning
they go straight into the day's partition: routing each row through the partitioned parent
costs about a third of the ``COPY`` (measured: 10,000 rows in ~39 ms into the partition,
~56 ms through the parent). Execution rows are ``INSERT ... ON CONFLICT DO NOTHING`` (psycopg
pipelines ``executemany``), so a batch written twice is stored once.
"""

from __future__ import annotations

import struct
from collections.abc import Collection, Sequence
from typing import Any

import psycopg
from psycopg import sql

from agbotkit.db.backend import ExecutionBatch
from agbotkit.db.postgres import series as pg_series
from agbotkit.db.postgres.binary_copy import COPY_METRICS_SQL, METRIC_COLUMNS, MetricCopyEncoder
from agbotkit.db.postgres.partitions import DAY_MS, partition_name
from agbotkit.db.postgres.queries import FILL_ROWS, ORDER_ROWS, POSITION_ROWS, to_datetime
from agbotkit.db.rows import RowMapper
from agbotkit.errors import StorageError
from agbotkit.model.feeds import RawFrame
from agbotkit.model.metrics import Metric

__all__ = ["copy_frames", "copy_metrics", "insert_execution"]

_EXECUTION_ROWS: tuple[RowMapper[Any], ...] = (ORDER_ROWS, FILL_ROWS, POSITION_ROWS)


def copy_metrics(
    conn: psycopg.Connection[Any],
    encoder: MetricCopyEncoder,
    metrics: Sequence[Metric],
    days: Collection[int],
    native: bool,
) -> None:
    """``COPY`` ``metrics`` into the day partitions of ``days`` (the UTC days they touch,
    partitions made already), or into the ``metrics`` table itself when ``native`` is
    false; then add their series to the catalog (:mod:`pg_series`)."""
    if not native:
        series = _copy(conn, COPY_METRICS_SQL, encoder, metrics)
        if len(days) == 1:
            pg_series.record(conn, series, next(iter(days)))
        else:  # rare: a batch over several days into one hypertable
            pg_series.record_rows(conn, metrics)
        return
    for day, rows in _by_day(metrics, days):
        statement = sql.SQL("COPY {} {} FROM STDIN (FORMAT BINARY)").format(
            sql.Identifier(partition_name("metrics", day)), sql.SQL(METRIC_COLUMNS)
        )
        pg_series.record(conn, _copy(conn, statement, encoder, rows), day)


def _by_day(metrics: Sequence[Metric], days: Collection[int]) -> list[tuple[int, Sequence[Metric]]]:
    if len(days) == 1:
        # Nearly every batch: all of it is one day's.
        return [(next(iter(days)), metrics)]
    groups: dict[int, list[Metric]] = {}
    for metric in metrics:
        groups.setdefault(metric.timestamp_ms // DAY_MS, []).append(metric)
    return sorted(groups.items())


def _copy(
    conn: psycopg.Connection[Any],
    statement: str | sql.Composed,
    encoder: MetricCopyEncoder,
    metrics: Sequence[Metric],
) -> list[tuple[str, str]]:
    # Returns the (name, labels JSON) of the series copied.
    try:
        data, series = encoder.encode_batch(metrics)
    except (struct.error, OverflowError) as exc:
        raise StorageError(f"cannot encode metrics (a timestamp out of range?): {exc}") from exc
    with conn.cursor() as cursor, cursor.copy(statement) as stream:
        stream.write(data)
    return series


def copy_frames(conn: psycopg.Connection[Any], frames: Sequence[RawFrame]) -> None:
    """``COPY`` raw frames into ``market_frames``."""
    rows = [(to_datetime(f.received_ms), f.feed, f.text) for f in frames]
    statement = "COPY market_frames (timestamp, feed, frame) FROM STDIN"
    with conn.cursor() as cursor, cursor.copy(statement) as stream:
        for row in rows:
            stream.write_row(row)


def insert_execution(conn: psycopg.Connection[Any], batch: ExecutionBatch) -> int:
    """Insert the batch's rows, skipping those stored already; return the rows written."""
    written = 0
    with conn.cursor() as cursor:
        for mapper in _EXECUTION_ROWS:
            rows = [mapper.row(record) for record in batch.records(mapper.table)]
            if rows:
                cursor.executemany(mapper.insert, rows)
                # executemany's rowcount: the rows all the statements inserted.
                written += max(cursor.rowcount, 0)
    return written
