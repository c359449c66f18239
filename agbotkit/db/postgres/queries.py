"""The read side of the PostgreSQL backend: functions of an open psycopg connection.

:class:`~agbotkit.db.postgres.backend.PostgresBackend` calls these inside its error mapping.
Results equal SQLite's to the row (the backend contract tests compare them), so: times
leave the database as integer milliseconds computed in SQL (no ``datetime`` per row),
text ties are broken in byte order (``COLLATE "C"``, as SQLite and Python compare), and
metric series are sorted in Python, by the labels tuple.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import psycopg
from psycopg import sql

from agbotkit.db.records import ExecutionQuery, FillRecord, OrderRecord, PositionRecord
from agbotkit.errors import StorageError
from agbotkit.model.feeds import RawFrame

__all__ = [
    "MS",
    "count_rows",
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

_Record = TypeVar("_Record")


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


def _execution_query(
    conn: psycopg.Connection[Any],
    table: str,
    columns: str,
    query: ExecutionQuery,
    filters: Sequence[tuple[str, str | None]],
    tie_break: str,
) -> list[tuple[Any, ...]]:
    where = ["timestamp >= %s", "timestamp <= %s"]
    params: list[Any] = [clamped_datetime(query.start_ms), clamped_datetime(query.end_ms)]
    for column, value in filters:
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    params.append(query.limit)
    statement = (
        f"SELECT {columns} FROM {table} WHERE {' AND '.join(where)} "
        f"ORDER BY timestamp, {tie_break} LIMIT %s"
    )
    return conn.execute(statement, params).fetchall()


def _records(rows: list[tuple[Any, ...]], make: Callable[..., _Record]) -> list[_Record]:
    return [make(*row) for row in rows]


_ORDER_COLUMNS = (
    f"event_id, id, {MS}, venue, market, token_id, side, price, size, status, "
    "venue_order_id, strategy, reason, source"
)


def _order(*row: Any) -> OrderRecord:
    (event_id, id_, ts, venue, market, token, side, price, size, status, vid, strat, why, src) = row
    return OrderRecord(
        event_id=event_id,
        id=id_,
        timestamp_ms=ts,
        venue=venue,
        market=market,
        token_id=token,
        side=side,
        price=price,
        size=size,
        status=status,
        venue_order_id=vid,
        strategy=strat,
        reason=why,
        source=src,
    )


def query_orders(conn: psycopg.Connection[Any], query: ExecutionQuery) -> list[OrderRecord]:
    """Orders in the range, filtered, oldest first (ties by ``event_id``)."""
    filters = [
        ("venue", query.venue),
        ("market", query.market),
        ("status", query.status),
        ("id", query.order_id),
        ("token_id", query.token_id),
    ]
    rows = _execution_query(conn, "orders", _ORDER_COLUMNS, query, filters, 'event_id COLLATE "C"')
    return _records(rows, _order)


_FILL_COLUMNS = (
    f"id, {MS}, order_id, venue, market, token_id, side, price, size, fee, taker, source"
)


def _fill(*row: Any) -> FillRecord:
    (id_, ts, order_id, venue, market, token, side, price, size, fee, taker, source) = row
    return FillRecord(
        id=id_,
        timestamp_ms=ts,
        order_id=order_id,
        venue=venue,
        market=market,
        token_id=token,
        side=side,
        price=price,
        size=size,
        fee=fee,
        taker=taker,
        source=source,
    )


def query_fills(conn: psycopg.Connection[Any], query: ExecutionQuery) -> list[FillRecord]:
    """Fills in the range, filtered, oldest first (ties by ``id``)."""
    filters = [
        ("venue", query.venue),
        ("market", query.market),
        ("order_id", query.order_id),
        ("token_id", query.token_id),
    ]
    rows = _execution_query(conn, "fills", _FILL_COLUMNS, query, filters, 'id COLLATE "C"')
    return _records(rows, _fill)


_POSITION_COLUMNS = (
    f"{MS}, source, token_id, market, size, cost_basis_usd, realised_pnl_usd, fees_usd, "
    "mark, settled"
)


def _position(*row: Any) -> PositionRecord:
    (ts, source, token, market, size, cost, pnl, fees, mark, settled) = row
    return PositionRecord(
        timestamp_ms=ts,
        source=source,
        token_id=token,
        market=market,
        size=size,
        cost_basis_usd=cost,
        realised_pnl_usd=pnl,
        fees_usd=fees,
        mark=mark,
        settled=settled,
    )


def query_positions(conn: psycopg.Connection[Any], query: ExecutionQuery) -> list[PositionRecord]:
    """Position snapshots in the range (filters: market, token_id), oldest first."""
    filters = [("market", query.market), ("token_id", query.token_id)]
    tie_break = 'source COLLATE "C", token_id COLLATE "C"'
    rows = _execution_query(conn, "positions", _POSITION_COLUMNS, query, filters, tie_break)
    return _records(rows, _position)


def latest_positions(conn: psycopg.Connection[Any], source: str) -> list[PositionRecord]:
    """The newest snapshot of each token ``source`` held, by token id."""
    rows = conn.execute(
        f'SELECT DISTINCT ON (token_id COLLATE "C") {_POSITION_COLUMNS} FROM positions '
        'WHERE source = %s ORDER BY token_id COLLATE "C", timestamp DESC',
        (source,),
    ).fetchall()
    return _records(rows, _position)


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
