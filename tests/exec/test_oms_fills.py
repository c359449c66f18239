"""The order manager's fills: deduplication, overfills, unknown orders, late fills."""

from __future__ import annotations

import logging
from decimal import Decimal

import attrs
import pytest

from agbotkit.exec.fills import published
from agbotkit.exec.oms import FillVerdict, OrderManager
from agbotkit.exec.state import OrderState
from agbotkit.model.execution import OrderStatus as S
from agbotkit.model.execution import OrderStatusChanged
from agbotkit.model.orders import Fill, Side, TradeStatus
from agbotkit.model.venues import CancelResult, VenueOrderUpdate

from .oms_values import VENUE, Clock, fill, order, resting


def test_a_trade_resent_at_each_settlement_step_counts_once(oms: OrderManager) -> None:
    resting(oms)
    verdicts = [
        oms.on_fill(VENUE, fill("v1", "t1", size=2, status=status)).verdict
        for status in (TradeStatus.MATCHED, TradeStatus.MINED, TradeStatus.CONFIRMED)
    ]
    assert verdicts == [FillVerdict.NEW, FillVerdict.DUPLICATE, FillVerdict.DUPLICATE]
    assert oms.get("c1").filled_size == 2  # type: ignore[union-attr]
    assert oms.counters.duplicate_fills == 2
    duplicate = oms.on_fill(VENUE, fill("v1", "t1", size=2, status=TradeStatus.CONFIRMED))
    assert (duplicate.fill, duplicate.changes) == (None, ())


def test_one_trade_filling_two_of_our_orders_counts_for_each(oms: OrderManager) -> None:
    resting(oms, "c1", "v1")
    resting(oms, "c2", "v2")
    first = oms.on_fill(VENUE, fill("v1", "t1", size=3))
    second = oms.on_fill(VENUE, fill("v2", "t1", size=4))
    assert (first.verdict, second.verdict) == (FillVerdict.NEW, FillVerdict.NEW)
    assert oms.get("c1").filled_size == 3  # type: ignore[union-attr]
    assert oms.get("c2").filled_size == 4  # type: ignore[union-attr]
    # The same trade id at another venue is another trade.
    resting(oms, "c3", "v1x")
    assert oms.on_fill(VENUE, fill("v1x", "t1")).verdict is FillVerdict.NEW
    assert oms.counters.duplicate_fills == 0


def test_a_fill_without_a_trade_id_is_always_counted(oms: OrderManager) -> None:
    resting(oms)
    for _ in range(2):
        assert oms.on_fill(VENUE, fill("v1", "", size=2)).verdict is FillVerdict.NEW
    assert oms.get("c1").filled_size == 4  # type: ignore[union-attr]


def test_an_overfill_is_applied_and_reported(
    oms: OrderManager, caplog: pytest.LogCaptureFixture
) -> None:
    resting(oms, size=5)
    oms.on_fill(VENUE, fill("v1", "t1", size=4))
    result = oms.on_fill(VENUE, fill("v1", "t2", size=3))
    assert result.verdict is FillVerdict.OVERFILL
    assert result.fill is not None
    assert result.fill.size == 3
    (change,) = result.changes
    assert (change.status, change.filled_size, change.remaining_size) == (S.FILLED, 7, 0)
    assert oms.counters.overfills == 1
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "c1 overfilled: 7 filled of 5" in record.getMessage()


def test_a_fill_for_an_unknown_order_is_published_and_reported(
    oms: OrderManager, caplog: pytest.LogCaptureFixture
) -> None:
    result = oms.on_fill(VENUE, fill("v404", "t9", size=2))
    assert result.verdict is FillVerdict.UNKNOWN_ORDER
    assert result.fill == attrs.evolve(fill("v404", "t9", size=2), venue=VENUE)
    assert result.changes == ()
    assert oms.counters.unknown_order_fills == 1
    (record,) = caplog.records
    assert record.levelno == logging.ERROR
    assert "not known here: venue paper order v404 trade t9" in record.getMessage()
    # Remembered all the same: the re-sent trade is a duplicate, not a second alarm.
    assert oms.on_fill(VENUE, fill("v404", "t9", size=2)).verdict is FillVerdict.DUPLICATE


def test_the_published_fill_names_the_order(oms: OrderManager) -> None:
    resting(oms, market_id="m7")
    result = oms.on_fill(VENUE, fill("v1", "t1"))
    assert result.fill == attrs.evolve(
        fill("v1", "t1"), client_order_id="c1", market_id="m7", venue=VENUE
    )
    complete = attrs.evolve(fill("v1", "t2"), client_order_id="c1", market_id="m7", venue=VENUE)
    assert oms.on_fill(VENUE, complete).fill is complete


def test_the_fast_copy_equals_evolve() -> None:
    # published() copies slot by slot for speed; a field added to Fill must not be lost.
    source = Fill(
        token_id="t",
        side=Side.SELL,
        price="0.3",
        size=2,
        fee_usd="0.01",
        taker=False,
        timestamp_ms=5,
        order_id="v1",
        trade_id="t1",
        trade_status=TradeStatus.MINED,
    )
    made = published(source, order("c1", market_id="m2"))
    assert made == attrs.evolve(source, client_order_id="c1", market_id="m2", venue=VENUE)
    assert attrs.asdict(made) == attrs.asdict(
        attrs.evolve(source, client_order_id="c1", market_id="m2", venue=VENUE)
    )


def test_the_change_event_equals_the_constructors(oms: OrderManager) -> None:
    # OrderState.change sets the event's slots directly for speed.
    state = OrderState(
        order=order("c1"),
        status=S.PARTIALLY_FILLED,
        venue_order_id="v1",
        filled_size=Decimal(2),
        filled_notional=Decimal("0.9"),
        reason="why",
        updated_ms=7,
    )
    expected = OrderStatusChanged(
        order=order("c1"),
        status=S.PARTIALLY_FILLED,
        previous=S.ACCEPTED,
        venue_order_id="v1",
        filled_size=Decimal(2),
        average_price=Decimal("0.45"),
        reason="why",
        timestamp_ms=7,
        component="x",
    )
    made = state.change(S.ACCEPTED, "x")
    assert made == expected
    assert attrs.asdict(made) == attrs.asdict(expected)
    assert hash(made) == hash(expected)


def test_every_fill_publishes_the_fill_count(oms: OrderManager, clock: Clock) -> None:
    resting(oms)
    oms.on_fill(VENUE, fill("v1", "t1", size=2, price="0.40"))
    clock.ms += 5
    (change,) = oms.on_fill(VENUE, fill("v1", "t2", size=2, price="0.50")).changes
    assert (change.previous, change.status) == (S.PARTIALLY_FILLED, S.PARTIALLY_FILLED)
    assert (change.filled_size, change.average_price) == (4, Decimal("0.45"))
    assert change.timestamp_ms == clock.ms


@pytest.mark.parametrize("end", [S.CANCELED, S.EXPIRED])
def test_late_fills_after_the_end(oms: OrderManager, end: S) -> None:
    resting(oms)
    oms.on_update(VENUE, VenueOrderUpdate(venue_order_id="v1", status=end))
    (late,) = oms.on_fill(VENUE, fill("v1", "t1", size=4)).changes
    assert (late.previous, late.status, late.filled_size) == (end, end, 4)
    (done,) = oms.on_fill(VENUE, fill("v1", "t2", size=6)).changes
    assert (done.previous, done.status, done.filled_size) == (end, S.FILLED, 10)
    assert oms.open_orders() == []
    assert oms.counters.illegal_transitions == 0


def test_a_fill_completing_a_pending_cancel_fills_the_order(oms: OrderManager) -> None:
    resting(oms)
    oms.cancel_requested("c1", "stop")
    (done,) = oms.on_fill(VENUE, fill("v1", "t1", size=10)).changes
    assert (done.previous, done.status) == (S.CANCEL_PENDING, S.FILLED)
    # The venue's answer comes after: it could not cancel a filled order.
    assert oms.cancel_result(VENUE, CancelResult(not_canceled={"v1": "matched"})) == []
    assert oms.get("c1").status is S.FILLED  # type: ignore[union-attr]


def test_a_fill_for_a_rejected_order_is_counted_loudly(
    oms: OrderManager, caplog: pytest.LogCaptureFixture
) -> None:
    oms.add(order("c1"))
    oms.submitting("c1", venue_order_id="0xa")
    oms.outcome_unknown("c1", "timeout")
    oms.resolved("c1", None)
    (change,) = oms.on_fill(VENUE, fill("0xa", "t1", size=2)).changes
    assert (change.status, change.filled_size) == (S.REJECTED, 2)
    assert "was rejected, yet it filled" in caplog.text


def test_a_fill_before_sending_is_counted_as_illegal(
    oms: OrderManager, caplog: pytest.LogCaptureFixture
) -> None:
    oms.add(order("c1"))
    result = oms.on_fill(VENUE, fill("", "t1", client_order_id="c1"))
    assert result.verdict is FillVerdict.NEW
    assert result.changes[0].status is S.NEW
    assert oms.counters.illegal_transitions == 1
    assert "filled before it was sent" in caplog.text


def test_trades_are_remembered_after_their_order_is_forgotten(
    oms: OrderManager, clock: Clock
) -> None:
    resting(oms)
    oms.on_fill(VENUE, fill("v1", "t1", size=10))
    clock.ms += 1
    assert oms.forget_closed(clock.ms) == 1
    assert oms.get("c1") is None
    assert oms.on_fill(VENUE, fill("v1", "t1", size=10)).verdict is FillVerdict.DUPLICATE
    assert oms.counters.unknown_order_fills == 0


def test_a_trade_that_failed_to_settle_is_taken_back_once(
    oms: OrderManager, caplog: pytest.LogCaptureFixture
) -> None:
    resting(oms)
    oms.on_fill(VENUE, fill("v1", "t1", size=4))
    oms.on_fill(VENUE, fill("v1", "t2", size=6))
    assert oms.get("c1").status is S.FILLED  # type: ignore[union-attr]
    oms.on_fill(VENUE, fill("v1", "t2", size=6, status=TradeStatus.RETRYING))  # a re-send
    failed = oms.on_fill(VENUE, fill("v1", "t2", size=6, status=TradeStatus.FAILED))
    assert failed.verdict is FillVerdict.REVERSED
    assert failed.fill is not None
    assert failed.fill.trade_status is TradeStatus.FAILED
    (change,) = failed.changes
    # A finished order does not reopen: its filled size says what really traded.
    assert (change.previous, change.status) == (S.FILLED, S.FILLED)
    assert change.filled_size == 4
    assert change.average_price == Decimal("0.40")
    assert "trade t2 failed" in change.reason
    assert oms.counters.failed_trades == 1
    assert "trade t2 FAILED" in caplog.text
    # Said again, or about a trade never counted: nothing more is taken back.
    again = oms.on_fill(VENUE, fill("v1", "t2", size=6, status=TradeStatus.FAILED))
    never = oms.on_fill(VENUE, fill("v1", "t9", size=1, status=TradeStatus.FAILED))
    assert (again.verdict, again.fill) == (FillVerdict.DUPLICATE, None)
    assert (never.verdict, never.fill) == (FillVerdict.DUPLICATE, None)
    assert oms.get("c1").filled_size == 4  # type: ignore[union-attr]
    assert oms.counters.failed_trades == 1


def test_a_failure_takes_back_what_was_counted_whatever_the_report_says(
    oms: OrderManager,
) -> None:
    resting(oms)
    oms.on_fill(VENUE, fill("v1", "t1", size=3, price="0.40"))
    # The failure report carries other numbers (an empty size, a rounding): the counted
    # size and price are what is taken back, and what positions undo.
    result = oms.on_fill(VENUE, fill("v1", "t1", size=1, price="0.41", status=TradeStatus.FAILED))
    assert result.fill is not None
    assert (result.fill.size, result.fill.price) == (Decimal(3), Decimal("0.40"))
    (change,) = result.changes
    assert (change.status, change.filled_size, change.average_price) == (
        S.PARTIALLY_FILLED,
        0,
        None,
    )
