"""Events to rows (pure), and the spill file's round trip and damage handling."""

from __future__ import annotations

import itertools
import logging
from decimal import Decimal
from pathlib import Path

import pytest

from agbotkit.db.convert import PositionThrottle, RecordMaker, fill_id, position_record
from agbotkit.db.records import FillRecord, OrderRecord, OrderStatus, PositionRecord
from agbotkit.model.execution import OrderStatus as ExecStatus
from agbotkit.model.execution import OrderStatusChanged
from agbotkit.model.orders import Fill, Order, OrderIntent, OrderType, Side, TradeStatus
from agbotkit.model.positions import Position, PositionSnapshot
from agbotkit.model.risk import OrderApproved
from agbotkit.storage.spill import SpillFile


def maker() -> RecordMaker:
    ids = (f"id{n}" for n in itertools.count(1))
    return RecordMaker("polymarket", lambda: 5_000, new_id=lambda: next(ids))


def intent(client_id: str = "c-1") -> OrderIntent:
    return OrderIntent(
        market_id="0xm", token_id="tok", side=Side.SELL, price="0.3", size="4",
        client_order_id=client_id, strategy="s",
    )  # fmt: skip


def order(client_id: str = "c-1", **changes: object) -> Order:
    fields: dict[str, object] = {
        "client_order_id": client_id, "venue": "paper", "market_id": "0xm", "token_id": "tok",
        "side": Side.BUY, "price": "0.42", "size": "10", "order_type": OrderType.GTD,
        "expires_at_ms": 9_000, "post_only": True, "strategy": "s", "created_ms": 1,
    }  # fmt: skip
    fields.update(changes)
    return Order(**fields)  # type: ignore[arg-type]  # the test's own keyword bag


def test_decisions_and_fills_are_completed_from_the_remembered_order() -> None:
    records = maker()
    approved = records.decision(OrderApproved(intent(), timestamp_ms=10, component="risk"))
    assert (approved.event_id, approved.id, approved.status) == ("id1", "c-1", "approved")
    assert (approved.order_type, approved.filled_size, approved.venue) == (
        "GTC",
        None,
        "polymarket",
    )
    fill = records.fill(Fill(token_id="tok", side=Side.SELL, price="0.3", size="1", order_id="c-1"))
    assert (fill.market, fill.fee, fill.id, fill.timestamp_ms) == ("0xm", None, "id2", 5_000)


def test_an_order_status_change_is_one_row_with_the_whole_order() -> None:
    records = maker()
    change = OrderStatusChanged(
        order=order(), status=ExecStatus.PARTIALLY_FILLED, previous=ExecStatus.ACCEPTED,
        venue_order_id="v-1", filled_size="4", average_price="0.41", reason="",
        timestamp_ms=20, component="execution",
    )  # fmt: skip
    row = records.order_update(change)
    assert row == OrderRecord(
        event_id="id1", id="c-1", timestamp_ms=20, venue="paper", market="0xm", token_id="tok",
        side="BUY", price=Decimal("0.42"), size=Decimal("10"),
        status=OrderStatus.PARTIALLY_FILLED, venue_order_id="v-1", strategy="s",
        source="execution", order_type="GTD", filled_size=Decimal("4"),
        average_price=Decimal("0.41"), expires_at_ms=9_000, post_only=True,
        previous_status="accepted",
    )  # fmt: skip
    again = records.order_update(change)
    assert again.event_id == "id2"  # every change is a row of its own
    first = records.order_update(
        OrderStatusChanged(order=order("c-2", venue=""), status=ExecStatus.NEW)
    )
    assert (first.previous_status, first.venue, first.timestamp_ms) == ("", "polymarket", 5_000)
    assert (first.filled_size, first.average_price) == (Decimal(0), None)
    # Every status of the execution layer has its row status.
    assert {OrderStatus(s.value.lower()) for s in ExecStatus} <= set(OrderStatus)
    # A fill naming only the venue's order id finds the market through the update.
    fill = records.fill(Fill(token_id="tok", side=Side.BUY, price="0.4", size="1", order_id="v-1"))
    assert fill.market == "0xm"


def test_a_trade_reported_again_gets_the_same_id_and_time() -> None:
    records = maker()

    def report(status: TradeStatus, ts: int = 0, **changes: str) -> FillRecord:
        fields = {"order_id": "v-1", "client_order_id": "c-1", "venue": "paper", **changes}
        return records.fill(
            Fill(
                token_id="tok", side=Side.BUY, price="0.4", size="2", trade_id="t-1",
                trade_status=status, timestamp_ms=ts, **fields,
            )
        )  # fmt: skip

    matched = report(TradeStatus.MATCHED)
    assert matched.id == fill_id("paper", "t-1", "v-1")
    assert (matched.timestamp_ms, matched.trade_status, matched.client_order_id) == (
        5_000,
        "MATCHED",
        "c-1",
    )
    mined = report(TradeStatus.MINED, ts=6_000)
    assert (mined.id, mined.timestamp_ms) == (matched.id, 5_000)  # the same row key
    # Another order in the same trade, or another venue, is another row.
    assert report(TradeStatus.MATCHED, order_id="v-2").id != matched.id
    assert report(TradeStatus.MATCHED, venue="other").id != matched.id
    # Without a trade id nothing says two reports are one trade.
    plain = [records.fill(Fill(token_id="tok", side=Side.BUY, price="0.4", size="2")) for _ in "ab"]
    assert plain[0].id != plain[1].id
    # A fresh process recognises the trade by its own timestamp.
    assert maker().fill(
        Fill(token_id="tok", side=Side.BUY, price="0.4", size="2", trade_id="t-9", timestamp_ms=7)
    ) == maker().fill(
        Fill(token_id="tok", side=Side.BUY, price="0.4", size="2", trade_id="t-9", timestamp_ms=7)
    )


def snapshot(size: str, ts: int) -> PositionSnapshot:
    position = Position("tok", "0xm", Decimal(size), Decimal(1), Decimal(0), Decimal(0), Decimal(1))
    return PositionSnapshot(position=position, timestamp_ms=ts, component="risk")


def test_position_throttle_keeps_changes_and_one_snapshot_per_interval() -> None:
    throttle = PositionThrottle(interval_ms=1000)
    kept = [
        throttle.keep(position_record(snapshot(size, ts)))
        for size, ts in [("1", 0), ("1", 500), ("2", 600), ("2", 1500), ("2", 1700), ("2", 2600)]
    ]
    # A change is kept at once (600); unchanged holdings once per interval after the last
    # kept snapshot (1700 is 1,100 ms after 600; 1500 and 2600 are too soon).
    assert kept == [True, False, True, False, True, False]


def test_spill_file_round_trip_and_a_torn_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spill = SpillFile(tmp_path / "deep" / "spill.jsonl")
    rows: list[OrderRecord | FillRecord | PositionRecord] = [
        maker().decision(OrderApproved(intent(), timestamp_ms=1)),
        FillRecord(
            id="f", timestamp_ms=2, order_id="o", venue="v", market="m", token_id="t",
            side="BUY", price=Decimal("0.123456789"), size=Decimal("3"), fee=None, taker=False,
            trade_id="t-1", trade_status="MINED", client_order_id="c-1",
        ),
        position_record(snapshot("2.5", 3)),
        maker().order_update(
            OrderStatusChanged(
                order=order(), status=ExecStatus.CANCELED, previous=ExecStatus.CANCEL_PENDING,
                filled_size="0.5", average_price="0.4", reason="api", timestamp_ms=4,
            )
        ),
    ]  # fmt: skip
    assert spill.append(rows) == 4
    assert spill.rows == 4
    with spill.path.open("a", encoding="utf-8") as out:
        out.write('{"kind": "fill", "id": "torn"')  # a crash mid-line
    reopened = SpillFile(spill.path)
    with caplog.at_level(logging.ERROR):
        assert reopened.load() == rows
    assert "spill.jsonl:5: unreadable spilled row skipped" in caplog.text
    reopened.clear()
    assert not spill.path.exists()
    assert reopened.rows == 0
    assert reopened.load() == []


def test_a_spill_file_of_the_previous_version_still_loads(tmp_path: Path) -> None:
    # Rows journaled before the execution columns existed: their defaults fill them in.
    path = tmp_path / "spill.jsonl"
    path.write_text(
        '{"kind": "order", "event_id": "e", "id": "c", "timestamp_ms": 1, "venue": "v", '
        '"market": "m", "token_id": "t", "side": "BUY", "price": "0.5", "size": "1", '
        '"status": "accepted", "venue_order_id": "", "strategy": "", "reason": "", '
        '"source": ""}\n'
        '{"kind": "fill", "id": "f", "timestamp_ms": 2, "order_id": "o", "venue": "v", '
        '"market": "m", "token_id": "t", "side": "BUY", "price": "0.5", "size": "1", '
        '"fee": null, "taker": true, "source": ""}\n',
        encoding="utf-8",
    )
    old_order, old_fill = SpillFile(path).load()
    assert isinstance(old_order, OrderRecord)
    assert isinstance(old_fill, FillRecord)
    assert (old_order.status, old_order.order_type, old_order.filled_size) == ("accepted", "", None)
    assert (old_fill.trade_id, old_fill.client_order_id) == ("", "")
