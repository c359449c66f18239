"""Downsampling one PostgreSQL metric series (``max_points``) by index seeks.

The spec's rule, ``bucket = (t - start) * N // (end - start + 1)``, puts bucket ``b`` at
``start + ceil(b * span / N) <= t <= start + ceil((b + 1) * span / N) - 1`` (``span = end -
start + 1``). Python computes those bounds exactly (any span), and each bucket's newest
point is one backward seek in the (metric_name, timestamp) index (past the rows of the
name's other series, if any): N seeks instead of reading every row. Measured on a day of
1 s data: ~15 ms for 1,000 seeks, against ~80 ms to read and aggregate the 86,400 rows. A series with few rows in range is cheaper to read:
:func:`downsample` counts up to ``_DENSE * N`` of its rows first and aggregates those in SQL.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import psycopg
from psycopg.adapt import Dumper
from psycopg.pq import Format

from agbotkit.db.postgres.binary_copy import PG_EPOCH_MS
from agbotkit.db.postgres.queries import MS, clamped_datetime
from agbotkit.db.postgres.series import SeriesKey
from agbotkit.db.records import MetricsQuery

__all__ = ["bucket_bounds", "downsample"]

_INT64_MAX = 2**63 - 1
# Years 1-9999 (as pg_queries clamps): no stored row lies outside.
_MIN_MS = -62_135_596_800_000
_MAX_MS = 253_402_300_799_999
# Seek when the series has more rows in range than this many times N (a seek costs a few
# row reads).
_DENSE = 2
_TIMESTAMPTZ_OID = 1184
_ARRAY_HEADER = struct.Struct(">iiIii")
_ELEMENTS = np.dtype([("length", ">i4"), ("value", ">i8")])

# {labels}: the labels filter, or nothing when the series is alone in its name (pg_series).
_SERIES = "metric_name = %s{labels} AND timestamp >= %s AND timestamp <= %s"
_COUNT = f"SELECT count(*) FROM (SELECT 1 FROM metrics WHERE {_SERIES} LIMIT %s) AS r"
# Bucket bounds arrive as two timestamptz[]: the lateral seek runs once per bucket.
_SEEK = (
    "SELECT array_send(array_agg(p.timestamp)), array_send(array_agg(p.value)) "
    "FROM unnest(%s, %s) AS b(lo, hi) CROSS JOIN LATERAL ("
    "SELECT timestamp, value FROM metrics WHERE metric_name = %s{labels} "
    "AND timestamp >= b.lo AND timestamp <= b.hi ORDER BY timestamp DESC LIMIT 1) AS p"
)
_LABELS = " AND labels = %s::jsonb"


class _Times(bytes):
    """A timestamptz[] already in PostgreSQL's binary array format."""


class _TimesDumper(Dumper):
    format = Format.BINARY
    oid = psycopg.postgres.types["timestamptz"].array_oid

    def dump(self, obj: Any) -> bytes:
        return bytes(obj)


def _times(ms: list[int]) -> _Times:
    # timestamptz: int64 microseconds since 2000-01-01; built by numpy, no datetime each.
    elements = np.empty(len(ms), _ELEMENTS)
    elements["length"] = 8
    elements["value"] = (np.array(ms, dtype=np.int64) - PG_EPOCH_MS) * 1000
    header = _ARRAY_HEADER.pack(1, 0, _TIMESTAMPTZ_OID, len(ms), 1)
    return _Times(header + elements.tobytes())


def bucket_bounds(start_ms: int, end_ms: int, points: int) -> tuple[list[int], list[int]]:
    """The first and last ms of each bucket that can hold a stored row, oldest first."""
    span = end_ms - start_ms + 1
    lows: list[int] = []
    highs: list[int] = []
    # ceil(b * span / N) = -(-b * span // N): exact integers, whatever the span.
    edge = start_ms
    for b in range(1, points + 1):
        next_edge = start_ms - (-b * span // points)
        low, high = max(edge, _MIN_MS), min(next_edge - 1, _MAX_MS)
        if low <= high:  # empty when span < N, or outside years 1-9999
            lows.append(low)
            highs.append(high)
        edge = next_edge
    return lows, highs


def _aggregate(query: MetricsQuery, points: int) -> tuple[str, list[Any]]:
    # Few rows: read them all, the newest time of each bucket, its value by the index.
    span = query.end_ms - query.start_ms + 1
    if (span - 1) * points <= _INT64_MAX and query.start_ms >= -_INT64_MAX:
        bucket = f"({MS} - %s) * %s / %s"
    else:  # past 63 bits: exact numeric (operands >= 0: truncating is the floor)
        bucket = f"div(({MS} - %s::numeric) * %s::numeric, %s::numeric)"
    statement = (
        "SELECT array_send(array_agg(b.newest ORDER BY b.newest)), "
        "array_send(array_agg(p.value ORDER BY b.newest)) FROM ("
        f"SELECT max(timestamp) AS newest FROM metrics WHERE {_SERIES} GROUP BY {bucket}"
        ") AS b CROSS JOIN LATERAL ("
        "SELECT value FROM metrics AS m WHERE m.metric_name = %s{labels} "
        "AND m.timestamp = b.newest LIMIT 1) AS p"
    )
    return statement, [query.start_ms, points, span]


def downsample(
    cursor: psycopg.Cursor[Any], query: MetricsQuery, key: SeriesKey, points: int
) -> tuple[bytes | None, bytes | None]:
    """``array_send`` of one series' times and values, at most ``points`` of them."""
    labels, series = ("", [key.name]) if key.alone else (_LABELS, [key.name, key.labels])
    where = [*series, clamped_datetime(query.start_ms), clamped_datetime(query.end_ms)]
    cursor.execute(_COUNT.format(labels=labels), [*where, _DENSE * points + 1])
    count = cursor.fetchone()
    if count is not None and count[0] <= _DENSE * points:
        statement, bucket_params = _aggregate(query, points)
        cursor.execute(statement.format(labels=labels), [*where, *bucket_params, *series])
    else:
        lows, highs = bucket_bounds(query.start_ms, query.end_ms, points)
        cursor.adapters.register_dumper(_Times, _TimesDumper)
        cursor.execute(_SEEK.format(labels=labels), [_times(lows), _times(highs), *series])
    row = cursor.fetchone()
    return (row[0], row[1]) if row is not None else (None, None)
