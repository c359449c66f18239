"""The shared row mapping (``agbotkit.db.rows``) in both dialects, pure: no database.

The backends' contract tests write and read these rows on real databases; here the mapping
itself: the columns derived from the records, the statements, and the conversions each
dialect makes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest

from agbotkit.db.postgres.queries import MS, POSTGRES
from agbotkit.db.records import ExecutionQuery, FillRecord, OrderRecord, PositionRecord
from agbotkit.db.rows import (
    FILLS,
    ORDERS,
    POSITIONS,
    Column,
    Dialect,
    Kind,
    RowMapper,
    Table,
    columns_of,
)
from agbotkit.db.sqlite.queries import SQLITE

ORDER = OrderRecord(
    event_id="e1", id="o1", timestamp_ms=1_763_900_000_123, venue="polymarket", market="0xm",
    token_id="tok", side="BUY", price=Decimal("0.42"), size=None, status="denied",
    reason="MaxSize: too big", order_type="GTD", expires_at_ms=1_763_900_060_000,
)  # fmt: skip
FILL = FillRecord(
    id="f1", timestamp_ms=5, order_id="o1", venue="polymarket", market="0xm", token_id="tok",
    side="SELL", price=Decimal("0.5"), size=Decimal("10"), taker=False,
)  # fmt: skip
POSITION = PositionRecord(
    timestamp_ms=7, source="risk", token_id="tok", market="0xm", size=Decimal("3"),
    cost_basis_usd=Decimal("1.26"), realised_pnl_usd=Decimal("0"), fees_usd=Decimal("0.01"),
    mark=Decimal("0.44"), settled=True,
)  # fmt: skip


def names(table: Table[Any]) -> str:
    return ", ".join(c.name for c in table.columns)


def test_the_columns_are_the_record_fields_with_timestamp_renamed() -> None:
    # The tables' columns, as the migrations create them.
    assert names(ORDERS) == (
        "event_id, id, timestamp, venue, market, token_id, side, price, size, status, "
        "venue_order_id, strategy, reason, source, order_type, filled_size, average_price, "
        "expires_at_ms, post_only, previous_status"
    )
    assert names(FILLS) == (
        "id, timestamp, order_id, venue, market, token_id, side, price, size, fee, taker, "
        "source, trade_id, trade_status, client_order_id"
    )
    assert [(c.name, c.kind) for c in POSITIONS.columns] == [
        ("timestamp", Kind.TIME),
        ("source", Kind.TEXT),
        ("token_id", Kind.TEXT),
        ("market", Kind.TEXT),
        ("size", Kind.DECIMAL),
        ("cost_basis_usd", Kind.DECIMAL),
        ("realised_pnl_usd", Kind.DECIMAL),
        ("fees_usd", Kind.DECIMAL),
        ("mark", Kind.DECIMAL),
        ("settled", Kind.FLAG),
    ]
    kinds = {c.field: c.kind for c in ORDERS.columns}
    assert (kinds["timestamp_ms"], kinds["price"], kinds["size"], kinds["status"]) == (
        Kind.TIME,
        Kind.DECIMAL,
        Kind.DECIMAL,
        Kind.ENUM,
    )
    assert (kinds["expires_at_ms"], kinds["post_only"], kinds["filled_size"]) == (
        Kind.INTEGER,  # epoch ms as a number, not a time column: nothing filters on it
        Kind.FLAG,
        Kind.DECIMAL,
    )


def test_a_field_without_a_column_kind_is_refused() -> None:
    @attrs.frozen
    class Odd:
        when: datetime

    with pytest.raises(TypeError, match="'when'"):
        columns_of(Odd)


def test_a_filter_on_a_field_queries_lack_is_refused() -> None:
    with pytest.raises(ValueError, match=r"no ExecutionQuery field \['side'\]"):
        Table("fills", FillRecord, filters=(("side", "side"),), tie_break=("id",))


def test_sqlite_stores_decimals_as_text_and_flags_as_integers() -> None:
    orders, fills, positions = (RowMapper(t, SQLITE) for t in (ORDERS, FILLS, POSITIONS))
    row = orders.row(ORDER)
    assert row == (
        "e1",
        "o1",
        1_763_900_000_123,
        "polymarket",
        "0xm",
        "tok",
        "BUY",
        "0.42",
        None,  # stays NULL
        "denied",
        "",
        "",
        "MaxSize: too big",
        "",
        "GTD",
        None,  # filled_size
        None,  # average_price
        1_763_900_060_000,  # expires_at_ms, as it is
        0,  # post_only
        "",
    )
    assert type(row[9]) is str  # the enum's value, not the enum
    assert fills.row(FILL)[9:11] == (None, 0)
    assert positions.row(POSITION)[4:] == ("3", "1.26", "0", "0.01", "0.44", 1)
    # Read back: the same records.
    assert orders.record(row) == ORDER
    assert fills.records([fills.row(FILL)]) == [FILL]
    assert positions.record(positions.row(POSITION)) == POSITION


def test_postgres_takes_times_as_datetimes_and_the_rest_as_it_is() -> None:
    orders, positions = RowMapper(ORDERS, POSTGRES), RowMapper(POSITIONS, POSTGRES)
    row = orders.row(ORDER)
    assert row[2] == datetime(2025, 11, 23, 12, 13, 20, 123_000, tzinfo=UTC)
    assert row[7:10] == (Decimal("0.42"), None, "denied")
    assert positions.row(POSITION)[4:] == (
        Decimal("3"),
        Decimal("1.26"),
        Decimal("0"),
        Decimal("0.01"),
        Decimal("0.44"),
        True,
    )
    # The driver gives numeric and boolean back as Decimal and bool; the time, as ms, by MS.
    fetched = (
        ORDER.timestamp_ms if c.kind is Kind.TIME else v
        for c, v in zip(ORDERS.columns, row, strict=True)
    )
    assert orders.record(tuple(fetched)) == ORDER
    assert orders.select_list.startswith(f"event_id, id, {MS}, venue, ")


def test_the_statements_of_each_dialect() -> None:
    assert RowMapper(FILLS, SQLITE).insert == (
        "INSERT INTO fills (id, timestamp, order_id, venue, market, token_id, side, price, "
        "size, fee, taker, source, trade_id, trade_status, client_order_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
    )
    assert RowMapper(POSITIONS, POSTGRES).insert.endswith(
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
    )


def test_a_query_filters_by_what_it_sets_and_breaks_ties_in_the_dialects_order() -> None:
    query = ExecutionQuery(start_ms=10, end_ms=20, market="0xm", order_id="o1", limit=5)
    statement, params = RowMapper(ORDERS, SQLITE).query(query)
    assert statement == (
        f"SELECT {RowMapper(ORDERS, SQLITE).select_list} FROM orders WHERE timestamp >= ? "
        "AND timestamp <= ? AND market = ? AND id = ? ORDER BY timestamp, event_id LIMIT ?"
    )
    assert params == [10, 20, "0xm", "o1", 5]
    # Positions have no order id: that filter does not apply to them.
    statement, params = RowMapper(POSITIONS, POSTGRES).query(query)
    assert statement.endswith(
        "WHERE timestamp >= %s AND timestamp <= %s AND market = %s "
        'ORDER BY timestamp, source COLLATE "C", token_id COLLATE "C" LIMIT %s'
    )
    assert params[0] == datetime(1970, 1, 1, 0, 0, 0, 10_000, tzinfo=UTC)
    assert params[2:] == ["0xm", 5]


def test_a_dialect_converts_only_the_kinds_it_names() -> None:
    plain = Dialect(placeholder="?", to_db={}, from_db={})
    mapper = RowMapper(FILLS, plain)
    assert mapper.row(FILL) == tuple(getattr(FILL, c.field) for c in FILLS.columns)
    assert mapper.record(mapper.row(FILL)) == FILL
    assert Column("timestamp", "timestamp_ms", Kind.TIME) in FILLS.columns
