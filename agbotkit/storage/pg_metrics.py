"""Metric queries on PostgreSQL: series by name pattern, range and labels, downsampled in SQL.

The dashboard asks for a day of 1 s samples (86,400 rows) at a time, so the points come back
lean: the SQL groups each series into two arrays (times, values), sent as ``array_send``
bytes that numpy decodes in one call each: no per-row Python object but the final lists,
no ``datetime`` at all, and each series' labels parsed once.

Downsampling (``max_points``) is the spec's integer rule, ``bucket = (t - start) * N //
(end - start + 1)``, computed in SQL: ``bigint`` arithmetic where ``(end - start) * N`` fits
in 63 bits (``t >= start``, so ``/`` truncating is the floor), exact ``numeric`` otherwise.
A hash aggregate finds each (series, bucket)'s newest time and the index gives its value.
``DISTINCT ON (labels, bucket) ... ORDER BY labels, bucket, timestamp DESC`` gives the same
rows but sorts 86,400 rows by their jsonb labels: measured 4 times slower.

Grouping by the jsonb labels costs more than reading the rows (hashing and comparing jsonb,
~0.3 us a row here); the rest is the scan, the arrays and ~3 ms of decoding.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg

from agbotkit.errors import StorageError
from agbotkit.storage.pg_queries import MS, clamped_datetime
from agbotkit.storage.pgcopy import PG_EPOCH_MS
from agbotkit.storage.records import MetricsQuery, Series, labels_from_json

__all__ = ["like_pattern", "metric_names", "query_metrics"]

_INT64_MAX = 2**63 - 1
# array_send of a one-dimensional array: ndim, has-nulls flag, element type, then the
# dimension's length and lower bound; then each element as an int32 length and its bytes.
_ARRAY_HEADER = struct.Struct(">iiIii")
# For this transaction only (is_local => true).
_PLANNER_SETTINGS = (
    "SELECT set_config('enable_sort', 'off', true), set_config('work_mem', '64MB', true)"
)
_INT8_ELEMENTS = np.dtype([("length", ">i4"), ("value", ">i8")])
_FLOAT8_ELEMENTS = np.dtype([("length", ">i4"), ("value", ">f8")])


def like_pattern(name: str) -> str:
    """``name`` as a LIKE pattern (escape ``\\``) where only ``*`` is special."""
    escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


def _where(query: MetricsQuery) -> tuple[str, list[Any]]:
    params: list[Any]
    if "*" in query.name:
        clauses, params = [r"metric_name LIKE %s ESCAPE '\'"], [like_pattern(query.name)]
    else:
        clauses, params = ["metric_name = %s"], [query.name]
    clauses.append("timestamp >= %s AND timestamp <= %s")
    params += [clamped_datetime(query.start_ms), clamped_datetime(query.end_ms)]
    if query.labels:
        clauses.append("labels @> %s::jsonb")
        params.append(json.dumps(dict(query.labels), separators=(",", ":")))
    return " AND ".join(clauses), params


def _bucket(query: MetricsQuery, points: int) -> tuple[str, list[Any]]:
    span = query.end_ms - query.start_ms + 1
    if (span - 1) * points <= _INT64_MAX and query.start_ms >= -_INT64_MAX:
        return f"({MS} - %s) * %s / %s", [query.start_ms, points, span]
    # Past 63 bits: exact numeric, truncated (the operands are >= 0, so it is the floor).
    return f"div(({MS} - %s::numeric) * %s::numeric, %s::numeric)", [query.start_ms, points, span]


def _statement(query: MetricsQuery) -> tuple[str, list[Any]]:
    where, params = _where(query)
    if query.max_points is None:
        # Times stay timestamptz (int64 microseconds since 2000 in array_send): no per-row
        # conversion in SQL; _series turns them into Unix milliseconds.
        return (
            "SELECT metric_name, labels::text, array_send(array_agg(timestamp)), "
            f"array_send(array_agg(value)) FROM metrics WHERE {where} "
            "GROUP BY metric_name, labels",
            params,
        )
    bucket, bucket_params = _bucket(query, query.max_points)
    # The newest time of each bucket, then its value looked up by the index: cheaper than
    # carrying (time, value) pairs through the aggregate, and no sort by labels.
    return (
        "SELECT b.metric_name, b.labels::text, array_send(array_agg(b.newest)), "
        "array_send(array_agg(p.value)) FROM ("
        "SELECT metric_name, labels, max(timestamp) AS newest "
        f"FROM metrics WHERE {where} GROUP BY metric_name, labels, {bucket}"
        ") AS b CROSS JOIN LATERAL ("
        "SELECT value FROM metrics AS m WHERE m.metric_name = b.metric_name "
        "AND m.timestamp = b.newest AND m.labels = b.labels LIMIT 1"
        ") AS p GROUP BY b.metric_name, b.labels",
        params + bucket_params,
    )


def _elements(blob: bytes, dtype: np.dtype[Any]) -> npt.NDArray[Any]:
    ndim, has_nulls, _, length, _ = _ARRAY_HEADER.unpack_from(blob)
    if ndim != 1 or has_nulls or len(blob) != _ARRAY_HEADER.size + length * dtype.itemsize:
        raise StorageError("unexpected array from PostgreSQL (not 1-D, NULLs, or bad length)")
    return np.frombuffer(blob, dtype, offset=_ARRAY_HEADER.size)["value"]


def _series(name: str, labels: str, times: bytes, values: bytes) -> Series:
    # timestamptz: microseconds since 2000 -> Unix milliseconds.
    stamps = _elements(times, _INT8_ELEMENTS).astype(np.int64) // 1000 + PG_EPOCH_MS
    numbers = _elements(values, _FLOAT8_ELEMENTS)
    if stamps.size > 1 and not bool((stamps[1:] >= stamps[:-1]).all()):
        # Aggregates keep the order rows were read in, usually the order they were written.
        order = np.argsort(stamps, kind="stable")
        stamps, numbers = stamps[order], numbers[order]
    return Series(name, labels_from_json(labels), stamps.tolist(), numbers.tolist())


def query_metrics(conn: psycopg.Connection[Any], query: MetricsQuery) -> list[Series]:
    """The series matching ``query``, sorted by (name, labels), points oldest first."""
    statement, params = _statement(query)
    with conn.transaction(), conn.cursor(binary=True) as cursor:
        # Hash-aggregate, never sort by labels. Without statistics (a new day's partition,
        # a range over two) the planner expects a group per 10 rows and sorts 86,400 rows
        # by jsonb instead, on disk with the default 4 MB: 1.5 to 2 times slower.
        cursor.execute(_PLANNER_SETTINGS)
        cursor.execute(statement, params)
        found = [_series(*row) for row in cursor]
    found.sort(key=lambda series: (series.name, series.labels))
    return found


def metric_names(
    conn: psycopg.Connection[Any], start_ms: int | None = None, end_ms: int | None = None
) -> list[str]:
    """The distinct metric names (with a point in the range, when given), sorted.

    A loose index scan: each step jumps to the next name in the (metric_name, timestamp)
    index, so the cost grows with the names, not with the rows.
    """
    clauses: list[str] = []
    params: list[Any] = []
    if start_ms is not None:
        clauses.append("timestamp >= %s")
        params.append(clamped_datetime(start_ms))
    if end_ms is not None:
        clauses.append("timestamp <= %s")
        params.append(clamped_datetime(end_ms))
    extra = "".join(f" AND {clause}" for clause in clauses)
    statement = (
        "WITH RECURSIVE names(name) AS ("
        f" (SELECT min(metric_name) FROM metrics WHERE true{extra})"
        " UNION ALL"
        f" SELECT (SELECT min(metric_name) FROM metrics WHERE metric_name > names.name{extra})"
        " FROM names WHERE names.name IS NOT NULL"
        ") SELECT name FROM names WHERE name IS NOT NULL"
    )
    rows = conn.execute(statement, params * 2).fetchall()
    # Python's order (code points), the order the other backends return.
    return sorted(name for (name,) in rows)
