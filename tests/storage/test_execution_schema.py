"""Schema version 2 (the execution layer's order and fill columns) on every backend: the
migration up and down around rows already stored, and a re-sent trade stored once."""

from __future__ import annotations

import itertools
from decimal import Decimal

from agbotkit.db.backend import ExecutionBatch, StorageBackend
from agbotkit.db.convert import RecordMaker
from agbotkit.db.migrations import downgrade, upgrade
from agbotkit.db.records import ExecutionQuery, OrderStatus
from agbotkit.db.url import parse_storage_url
from agbotkit.model.execution import OrderStatus as ExecStatus
from agbotkit.model.execution import OrderStatusChanged
from agbotkit.model.orders import Fill, Order, OrderType, Side, TradeStatus

from .test_migrations import raw_rows

T0 = 1_767_225_600_000 + 3_600_000  # 2026-01-01T01:00Z
ALL = ExecutionQuery(start_ms=T0 - 1000, end_ms=T0 + 100_000)
ORDER = Order(
    client_order_id="c-1", venue="paper", market_id="0xm", token_id="tok", side=Side.BUY,
    price="0.42", size="10", order_type=OrderType.GTD, expires_at_ms=T0 + 60_000,
    post_only=True, strategy="s", created_ms=T0,
)  # fmt: skip


def maker() -> RecordMaker:
    ids = (f"id{n}" for n in itertools.count(1))
    return RecordMaker("polymarket", lambda: T0, new_id=lambda: next(ids))


def columns(url: str, table: str) -> set[str]:
    if parse_storage_url(url).scheme == "sqlite":
        return {str(row[1]) for row in raw_rows(url, f"PRAGMA table_info({table})")}
    sql = (
        "SELECT column_name FROM information_schema.columns "
        f"WHERE table_schema = current_schema() AND table_name = '{table}'"
    )
    return {str(name) for (name,) in raw_rows(url, sql)}


def insert_version_1_order(url: str) -> None:
    """An order row as version 1 wrote it (its columns only)."""
    sqlite = parse_storage_url(url).scheme == "sqlite"
    when = str(T0) if sqlite else f"to_timestamp({T0} / 1000.0)"
    raw_rows(
        url,
        "INSERT INTO orders (event_id, id, timestamp, venue, market, token_id, side, price, "
        f"size, status) VALUES ('old', 'c-0', {when}, 'polymarket', '0xm', 'tok', 'BUY', "
        "'0.5', '1', 'accepted')",
    )


def test_version_2_adds_the_columns_around_stored_rows_and_goes_back(
    backend: StorageBackend, storage_url: str
) -> None:
    upgrade(backend, to=1)
    backend.maintain(T0)  # today's partitions, where there are any
    insert_version_1_order(storage_url)
    assert "order_type" not in columns(storage_url, "orders")

    assert [m.label for m in upgrade(backend)] == ["0002_execution_details"]
    added = {"order_type", "filled_size", "average_price", "expires_at_ms", "post_only"}
    assert added | {"previous_status"} <= columns(storage_url, "orders")
    assert {"trade_id", "trade_status", "client_order_id"} <= columns(storage_url, "fills")
    (old,) = backend.query_orders(ALL)
    # The old row reads back with the new columns' defaults.
    assert (old.id, old.status, old.order_type, old.filled_size, old.post_only) == (
        "c-0",
        OrderStatus.ACCEPTED,
        "",
        None,
        False,
    )
    assert (old.expires_at_ms, old.average_price, old.previous_status) == (None, None, "")

    records = maker()
    change = OrderStatusChanged(
        order=ORDER, status=ExecStatus.PARTIALLY_FILLED, previous=ExecStatus.ACCEPTED,
        venue_order_id="v-1", filled_size=Decimal("4"), average_price=Decimal("0.41"),
        timestamp_ms=T0 + 5, component="execution",
    )  # fmt: skip
    row = records.order_update(change)
    fill = records.fill(
        Fill(
            token_id="tok", side=Side.BUY, price="0.41", size="4", order_id="v-1",
            client_order_id="c-1", trade_id="t-1", trade_status=TradeStatus.MATCHED,
            timestamp_ms=T0 + 5, venue="paper",
        )
    )  # fmt: skip
    assert backend.write_execution(ExecutionBatch(orders=[row], fills=[fill])) == 2
    assert backend.query_orders(ALL)[1] == row
    assert backend.query_orders(ALL)[1].status is OrderStatus.PARTIALLY_FILLED
    assert backend.query_fills(ALL) == [fill]
    partial = ExecutionQuery(start_ms=0, end_ms=T0 * 2, status="partially_filled")
    assert backend.query_orders(partial) == [row]

    # Back to version 1: the columns go, every row stays.
    assert [m.label for m in downgrade(backend, to=1)] == ["0002_execution_details"]
    assert not added & columns(storage_url, "orders")
    assert "trade_id" not in columns(storage_url, "fills")
    assert (backend.count_rows("orders"), backend.count_rows("fills")) == (2, 1)
    upgrade(backend)  # and forward again
    assert [o.id for o in backend.query_orders(ALL)] == ["c-0", "c-1"]


def test_a_trade_reported_again_is_stored_once(backend: StorageBackend) -> None:
    upgrade(backend)
    backend.maintain(T0)
    records = maker()

    def report(status: TradeStatus, timestamp_ms: int, order_id: str = "v-1") -> ExecutionBatch:
        fill = Fill(
            token_id="tok", side=Side.BUY, price="0.4", size="2", order_id=order_id,
            trade_id="t-1", trade_status=status, timestamp_ms=timestamp_ms, venue="paper",
        )  # fmt: skip
        return ExecutionBatch(fills=[records.fill(fill)])

    backend.write_execution(report(TradeStatus.MATCHED, T0))
    # Polymarket re-sends the trade at each settlement step, later.
    backend.write_execution(report(TradeStatus.MINED, T0 + 4000))
    backend.write_execution(report(TradeStatus.CONFIRMED, T0 + 9000))
    # Another process (a restart) gets the venue's report again, with its match time.
    fresh = RecordMaker("polymarket", lambda: T0 + 50_000)
    again = Fill(
        token_id="tok", side=Side.BUY, price="0.4", size="2", order_id="v-1", trade_id="t-1",
        trade_status=TradeStatus.CONFIRMED, timestamp_ms=T0, venue="paper",
    )  # fmt: skip
    backend.write_execution(ExecutionBatch(fills=[fresh.fill(again)]))
    (stored,) = backend.query_fills(ALL)
    assert (stored.trade_id, stored.trade_status, stored.timestamp_ms) == ("t-1", "MATCHED", T0)
    # Our second order in the same trade is a fill of its own.
    backend.write_execution(report(TradeStatus.MATCHED, T0, order_id="v-2"))
    assert sorted(f.order_id for f in backend.query_fills(ALL)) == ["v-1", "v-2"]
