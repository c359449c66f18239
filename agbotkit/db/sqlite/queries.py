"""Reading orders, fills, positions and raw frames back from SQLite, as records.

Decimals are stored as their exact text and booleans as 0/1 (:data:`SQLITE`, the dialect the
write side uses too). Functions of an open :class:`sqlite3.Connection`;
:class:`~agbotkit.db.sqlite.backend.SqliteBackend` calls them and turns driver errors into
storage errors.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from decimal import Decimal
from typing import TypeVar

from agbotkit.db.records import ExecutionQuery, FillRecord, OrderRecord, PositionRecord
from agbotkit.db.rows import FILLS, ORDERS, POSITIONS, Dialect, Kind, RowMapper
from agbotkit.model.feeds import RawFrame

__all__ = [
    "FILL_ROWS",
    "ORDER_ROWS",
    "POSITION_ROWS",
    "SQLITE",
    "latest_positions",
    "query_fills",
    "query_frames",
    "query_orders",
    "query_positions",
]

R = TypeVar("R")

Params = list[object]


def _text(value: Decimal | None) -> str | None:
    # None stays NULL, so a missing required value breaks NOT NULL instead of becoming "None".
    return None if value is None else str(value)


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


#: How SQLite takes the execution tables' values: decimals as their exact text, booleans 0/1.
SQLITE = Dialect(
    placeholder="?",
    to_db={Kind.DECIMAL: _text, Kind.FLAG: int, Kind.ENUM: str},
    from_db={Kind.DECIMAL: _decimal, Kind.FLAG: bool},
)
ORDER_ROWS = RowMapper(ORDERS, SQLITE)
FILL_ROWS = RowMapper(FILLS, SQLITE)
POSITION_ROWS = RowMapper(POSITIONS, SQLITE)


def _select(conn: sqlite3.Connection, rows: RowMapper[R], query: ExecutionQuery) -> list[R]:
    statement, params = rows.query(query)
    return rows.records(conn.execute(statement, params))


def query_orders(conn: sqlite3.Connection, query: ExecutionQuery) -> list[OrderRecord]:
    """Order rows matching ``query``, oldest first, ties by ``event_id``."""
    return _select(conn, ORDER_ROWS, query)


def query_fills(conn: sqlite3.Connection, query: ExecutionQuery) -> list[FillRecord]:
    """Fill rows matching ``query`` (``status`` does not apply), oldest first, ties by ``id``."""
    return _select(conn, FILL_ROWS, query)


def query_positions(conn: sqlite3.Connection, query: ExecutionQuery) -> list[PositionRecord]:
    """Position snapshots matching ``query`` (``market``, ``token_id``), oldest first."""
    return _select(conn, POSITION_ROWS, query)


def latest_positions(conn: sqlite3.Connection, source: str) -> list[PositionRecord]:
    """The newest snapshot of each token ``source`` held, by token id."""
    rows = conn.execute(
        f"SELECT {POSITION_ROWS.select_list} FROM positions AS p WHERE source = ? AND "
        "timestamp = (SELECT max(timestamp) FROM positions WHERE source = p.source "
        "AND token_id = p.token_id) ORDER BY token_id",
        (source,),
    )
    return POSITION_ROWS.records(rows)


def query_frames(
    conn: sqlite3.Connection, start_ms: int, end_ms: int, feed: str | None, limit: int
) -> list[RawFrame]:
    """Raw frames received in ``[start_ms, end_ms]`` (of ``feed`` when given), oldest first."""
    clauses: Sequence[str] = ["timestamp BETWEEN ? AND ?"]
    params = Params([start_ms, end_ms])
    if feed is not None:
        clauses = [*clauses, "feed = ?"]
        params.append(feed)
    # rowid breaks ties in the order the frames were received.
    sql = (
        f"SELECT feed, timestamp, frame FROM market_frames WHERE {' AND '.join(clauses)} "
        "ORDER BY timestamp, rowid LIMIT ?"
    )
    return [RawFrame(f, t, text) for f, t, text in conn.execute(sql, [*params, limit])]
