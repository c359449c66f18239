"""The read side of the PostgreSQL backend: functions of an open psycopg connection.

:class:`~agbotkit.db.postgres.backend.PostgresBackend` calls these inside its error mapping.
Results equal SQLite's to the row (the backend contract tests compare them), so: times
leave the database as integer milliseconds computed in SQL (no ``datetime`` per row),
text ties are broken in byte order (``COLLATE "C"``, as SQLite and Python compare), and
metric series are sorted in Python, by the labels tuple.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import psycopg
from psycopg import sql

from agbotkit.db.records import ExecutionQuery, FillRecord, OrderRecord, PositionRecord
from agbotkit.db.rows import FILLS, ORDERS, POSITIONS, Dialect, Kind, RowMapper
from agbotkit.errors import StorageError
from agbotkit.model.feeds import RawFrame

__all__ = [
    "FILL_ROWS",
    "MS",
    "ORDER_ROWS",
    "POSITION_ROWS",
    "POSTGRES",
    "clamped_datetime",
    "count_rows",
    "latest_positions",
    "query_fills",
    "query_frames",
    "query_orders",
    "query_positions",
    "to_datetime",
]

#: ``timestamp`` as Unix epoch milliseconds. ``date_part`` is float8 seconds, off by at most
#: a few microseconds, so rounding gives back every whole millisecond (all agbotkit writes)
#: of years 1-9999 exactly (checked on 200,000 random ones); twice as cheap as ``extract``,
#: which computes in numeric.
MS = "round(date_part('epoch', timestamp) * 1000)::bigint"

_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The instants a Python datetime can hold (PostgreSQL's range is wider): query bounds
# beyond them are clamped, which selects the same stored rows.
_MIN_MS = -62_135_596_800_000  # 0001-01-01T00:00:00Z
_MAX_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z

R = TypeVar("R")


def to_datetime(timestamp_ms: int) -> datetime:
    """``timestamp_ms`` as an aware UTC datetime, exact (integer arithmetic, no float).

    Raises:
        StorageError: the time is outside years 1-9999.
    """
    try:
        return _UNIX_EPOCH + timedelta(milliseconds=timestamp_ms)
    except OverflowError:
        raise StorageError(f"timestamp out of range (years 1-9999): {timestamp_ms} ms") from None


def clamped_datetime(timestamp_ms: int) -> datetime:
    """Like :func:`to_datetime`, for a query bound: clamped to years 1-9999."""
    return to_datetime(min(max(timestamp_ms, _MIN_MS), _MAX_MS))


#: How PostgreSQL takes the execution tables' values: times as ``timestamptz`` (read back as
#: epoch ms by :data:`MS`), decimals as ``numeric`` and booleans as they are; text ties in
#: byte order.
POSTGRES = Dialect(
    placeholder="%s",
    to_db={Kind.TIME: to_datetime, Kind.ENUM: str},
    from_db={},
    time_bound=clamped_datetime,
    read_time=MS,
    collate=' COLLATE "C"',
)
ORDER_ROWS = RowMapper(ORDERS, POSTGRES)
FILL_ROWS = RowMapper(FILLS, POSTGRES)
POSITION_ROWS = RowMapper(POSITIONS, POSTGRES)


def _select(conn: psycopg.Connection[Any], rows: RowMapper[R], query: ExecutionQuery) -> list[R]:
    statement, params = rows.query(query)
    return rows.records(conn.execute(statement, params).fetchall())


def query_orders(conn: psycopg.Connection[Any], query: ExecutionQuery) -> list[OrderRecord]:
    """Orders in the range, filtered, oldest first (ties by ``event_id``)."""
    return _select(conn, ORDER_ROWS, query)


def query_fills(conn: psycopg.Connection[Any], query: ExecutionQuery) -> list[FillRecord]:
    """Fills in the range, filtered, oldest first (ties by ``id``)."""
    return _select(conn, FILL_ROWS, query)


def query_positions(conn: psycopg.Connection[Any], query: ExecutionQuery) -> list[PositionRecord]:
    """Position snapshots in the range (filters: market, token_id), oldest first."""
    return _select(conn, POSITION_ROWS, query)


def latest_positions(conn: psycopg.Connection[Any], source: str) -> list[PositionRecord]:
    """The newest snapshot of each token ``source`` held, by token id."""
    rows = conn.execute(
        f'SELECT DISTINCT ON (token_id COLLATE "C") {POSITION_ROWS.select_list} FROM positions '
        'WHERE source = %s ORDER BY token_id COLLATE "C", timestamp DESC',
        (source,),
    ).fetchall()
    return POSITION_ROWS.records(rows)


def query_frames(
    conn: psycopg.Connection[Any],
    start_ms: int,
    end_ms: int,
    feed: str | None,
    limit: int,
    *,
    by_ctid: bool,
) -> list[RawFrame]:
    """Raw frames received in ``[start_ms, end_ms]`` (of ``feed`` when given), oldest first.

    ``by_ctid``: break ties of one millisecond by physical position, which in an
    append-only partition is the order they were written (SQLite breaks them by rowid).
    Not on TimescaleDB, where a compressed chunk's rows have no stable ``ctid``.
    """
    where = "timestamp >= %s AND timestamp <= %s"
    params: list[Any] = [clamped_datetime(start_ms), clamped_datetime(end_ms)]
    if feed is not None:
        where += " AND feed = %s"
        params.append(feed)
    params.append(limit)
    rows = conn.execute(
        f"SELECT feed, {MS}, frame FROM market_frames WHERE {where} "
        f"ORDER BY timestamp{', ctid' if by_ctid else ''} LIMIT %s",
        params,
    ).fetchall()
    return [RawFrame(feed, ts, text) for feed, ts, text in rows]


def count_rows(conn: psycopg.Connection[Any], table: str) -> int:
    """The rows of ``table`` (the caller checked it is one of ours)."""
    row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
    return int(row[0]) if row else 0
