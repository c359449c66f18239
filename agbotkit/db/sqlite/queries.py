"""Reading orders, fills, positions and raw frames back from SQLite, as records.

Decimals come back from their exact text, booleans from 0/1. Functions of an open :class:`sqlite3.Connection`; :class:`~agbotkit.db.sqlite.backend.SqliteBackend`
calls them and turns driver errors into storage errors.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from agbotkit.db.records import ExecutionQuery, FillRecord, OrderRecord, PositionRecord
from agbotkit.model.feeds import RawFrame

__all__ = ["query_fills", "query_frames", "query_orders", "query_positions"]

Params = list[object]


def _execution_rows(
    conn: sqlite3.Connection,
    table: str,
    columns: str,
    query: ExecutionQuery,
    filters: Mapping[str, str | None],
    order: str,
) -> list[sqlite3.Row]:
    clauses, params = ["timestamp BETWEEN ? AND ?"], Params([query.start_ms, query.end_ms])
    for column, wanted in filters.items():
        if wanted is not None:
            clauses.append(f"{column} = ?")
            params.append(wanted)
    sql = f"SELECT {columns} FROM {table} WHERE {' AND '.join(clauses)} ORDER BY {order} LIMIT ?"
    return conn.execute(sql, [*params, query.limit]).fetchall()


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


_ORDER_COLUMNS = (
    "event_id, id, timestamp, venue, market, token_id, side, price, size, status, "
    "venue_order_id, strategy, reason, source"
)


def query_orders(conn: sqlite3.Connection, query: ExecutionQuery) -> list[OrderRecord]:
    """Order rows matching ``query``, oldest first, ties by ``event_id``."""
    filters = {
        "venue": query.venue,
        "market": query.market,
        "status": query.status,
        "id": query.order_id,
        "token_id": query.token_id,
    }
    rows = _execution_rows(conn, "orders", _ORDER_COLUMNS, query, filters, "timestamp, event_id")
    return [
        OrderRecord(
            event_id=r[0],
            id=r[1],
            timestamp_ms=r[2],
            venue=r[3],
            market=r[4],
            token_id=r[5],
            side=r[6],
            price=_decimal(r[7]),
            size=_decimal(r[8]),
            status=r[9],
            venue_order_id=r[10],
            strategy=r[11],
            reason=r[12],
            source=r[13],
        )
        for r in rows
    ]


_FILL_COLUMNS = (
    "id, timestamp, order_id, venue, market, token_id, side, price, size, fee, taker, source"
)


def query_fills(conn: sqlite3.Connection, query: ExecutionQuery) -> list[FillRecord]:
    """Fill rows matching ``query`` (``status`` does not apply), oldest first, ties by ``id``."""
    filters = {
        "venue": query.venue,
        "market": query.market,
        "order_id": query.order_id,
        "token_id": query.token_id,
    }
    rows = _execution_rows(conn, "fills", _FILL_COLUMNS, query, filters, "timestamp, id")
    return [
        FillRecord(
            id=r[0],
            timestamp_ms=r[1],
            order_id=r[2],
            venue=r[3],
            market=r[4],
            token_id=r[5],
            side=r[6],
            price=Decimal(r[7]),
            size=Decimal(r[8]),
            fee=_decimal(r[9]),
            taker=bool(r[10]),
            source=r[11],
        )
        for r in rows
    ]


_POSITION_COLUMNS = (
    "timestamp, source, token_id, market, size, cost_basis_usd, realised_pnl_usd, fees_usd, "
    "mark, settled"
)


def query_positions(conn: sqlite3.Connection, query: ExecutionQuery) -> list[PositionRecord]:
    """Position snapshots matching ``query`` (``market``, ``token_id``), oldest first."""
    filters = {"market": query.market, "token_id": query.token_id}
    rows = _execution_rows(
        conn, "positions", _POSITION_COLUMNS, query, filters, "timestamp, source, token_id"
    )
    return [_position(r) for r in rows]


def latest_positions(conn: sqlite3.Connection, source: str) -> list[PositionRecord]:
    """The newest snapshot of each token ``source`` held, by token id."""
    rows = conn.execute(
        f"SELECT {_POSITION_COLUMNS} FROM positions AS p WHERE source = ? AND timestamp = "
        "(SELECT max(timestamp) FROM positions WHERE source = p.source "
        "AND token_id = p.token_id) ORDER BY token_id",
        (source,),
    ).fetchall()
    return [_position(r) for r in rows]


def _position(r: Sequence[Any]) -> PositionRecord:
    return PositionRecord(
        timestamp_ms=r[0],
        source=r[1],
        token_id=r[2],
        market=r[3],
        size=Decimal(r[4]),
        cost_basis_usd=Decimal(r[5]),
        realised_pnl_usd=Decimal(r[6]),
        fees_usd=Decimal(r[7]),
        mark=Decimal(r[8]),
        settled=bool(r[9]),
    )


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
