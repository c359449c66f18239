"""Events to rows (pure), and the spill file's round trip and damage handling."""

from __future__ import annotations

import itertools
import logging
from decimal import Decimal
from pathlib import Path

import pytest

from agbotkit.db.convert import PositionThrottle, RecordMaker, position_record
from agbotkit.db.records import FillRecord, OrderRecord, OrderStatus, PositionRecord
from agbotkit.model.orders import (
    Fill,
    OrderAccepted,
    OrderIntent,
    OrderRejected,
    Side,
)
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


def test_outcomes_and_fills_are_completed_from_the_remembered_intent() -> None:
    records = maker()
    approved = records.decision(OrderApproved(intent(), timestamp_ms=10, component="risk"))
    assert (approved.event_id, approved.id, approved.status) == ("id1", "c-1", "approved")
    accepted = records.outcome(OrderAccepted(client_order_id="c-1", order_id="v-1"))
    assert (accepted.timestamp_ms, accepted.side, accepted.price, accepted.market) == (
        5_000,  # no timestamp on the event: the clock's
        "SELL",
        Decimal("0.3"),
        "0xm",
    )
    unknown = records.outcome(OrderRejected(order_id="v-2", reason="no", timestamp_ms=7))
    assert (unknown.id, unknown.price, unknown.side, unknown.reason) == ("v-2", None, "", "no")
    assert unknown.status is OrderStatus.REJECTED
    fill = records.fill(Fill(token_id="tok", side=Side.SELL, price="0.3", size="1", order_id="c-1"))
    assert (fill.market, fill.fee, fill.id) == ("0xm", None, "id4")


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
        ),
        position_record(snapshot("2.5", 3)),
    ]  # fmt: skip
    assert spill.append(rows) == 3
    assert spill.rows == 3
    with spill.path.open("a", encoding="utf-8") as out:
        out.write('{"kind": "fill", "id": "torn"')  # a crash mid-line
    reopened = SpillFile(spill.path)
    with caplog.at_level(logging.ERROR):
        assert reopened.load() == rows
    assert "spill.jsonl:4: unreadable spilled row skipped" in caplog.text
    reopened.clear()
    assert not spill.path.exists()
    assert reopened.rows == 0
    assert reopened.load() == []
