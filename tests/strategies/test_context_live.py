"""LiveContext without an event loop: the outbox's order, its own orders' index,
positions from its fills, resolution."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

from agbotkit.model.books import Side
from agbotkit.model.execution import CancelOrder
from agbotkit.model.markets import MarketResolved
from agbotkit.model.orders import Fill, OrderIntent, TradeStatus
from agbotkit.strategies.context_live import LiveContext
from agbotkit.strategies.metrics import METRIC_PNL

from .scripted import MARKET, NO, YES, market, top


def context(**options: object) -> LiveContext:
    live = LiveContext("s", None, now_ms=lambda: 1_000, **options)  # type: ignore[arg-type]
    live.learn_market(market())
    return live


def test_the_outbox_keeps_the_order_the_hooks_asked_in() -> None:
    live = context(venue="paper")
    a = live.submit_order(YES, Side.BUY, 0.4, 5)
    live.cancel_order(a)
    live.cancel_order(a)  # a repeat is not sent twice
    live.cancel_order("someone-else-1")  # not its order: ignored
    b = live.submit_order(NO, Side.SELL, "0.61", 5, post_only=True)
    live.cancel_all()
    out = live.take_outbox()
    assert [type(m).__name__ for m in out] == [
        "OrderIntent",
        "CancelOrder",
        "OrderIntent",
        "CancelOrder",
    ]
    assert (a, b) == ("s-1", "s-2")
    assert out[1] == CancelOrder(client_order_id="s-1", reason="strategy", source="s")
    assert isinstance(out[2], OrderIntent)
    assert (out[2].price, out[2].market_id, out[2].venue) == (Decimal("0.61"), MARKET, "paper")
    assert live.take_outbox() == []
    assert live.owns("s-1")
    assert not live.owns("s-3")


def test_an_order_of_an_unknown_token_needs_its_market() -> None:
    live = context()
    with pytest.raises(ValueError, match="pass market_id"):
        live.submit_order("999", Side.BUY, 0.4, 5)
    assert live.submit_order("999", Side.BUY, 0.4, 5, market_id=MARKET) == "s-1"


def test_positions_come_from_its_fills_marked_at_the_mid_and_settle() -> None:
    live = context()
    live.apply_book(top(YES, bid="0.50", ask="0.60"))
    live.apply_fill(Fill(token_id=YES, side=Side.BUY, price="0.5", size=10, fee_usd=0))
    assert live.get_position(YES) == 10
    assert live.positions()[YES].market_id == MARKET  # learnt from the token
    assert live.pnl_by_market() == {MARKET: Decimal("0.5")}  # marked at 0.55
    # A trade that failed to settle is undone.
    failed = Fill(token_id=YES, side=Side.BUY, price="0.5", size=4, fee_usd=0,
                  trade_status=TradeStatus.FAILED)  # fmt: skip
    live.apply_fill(failed)
    assert live.get_position(YES) == 6
    # More sold than held (shares from before this run): reported, not booked.
    live.apply_fill(Fill(token_id=YES, side=Side.SELL, price="0.5", size=50))
    assert live.get_position(YES) == 6
    live.submit_order(YES, Side.SELL, 0.6, 6)
    live.apply_resolution(MarketResolved(MARKET, (YES, NO), YES, "Yes", 2))
    assert live.get_position(YES) == 0
    assert live.pnl_by_market() == {MARKET: Decimal(3)}  # 6 shares bought at 0.5 paid 1
    assert live.open_orders() == []
    assert live.order("s-1") is not None  # still known, for a late answer


def test_gauges_and_signals_carry_its_id() -> None:
    live = context()
    live.metric("edge", 0.25, {"market": MARKET})
    live.signal("cross", 2)
    live.signal("cross")
    samples = {(m.name, m.labels): m.value for m in live.metrics.samples(5, {MARKET: Decimal(1)})}
    assert samples[("edge", (("market", MARKET), ("strategy_id", "s")))] == 0.25
    assert (
        samples[("strategy.signals_generated", (("signal_type", "cross"), ("strategy_id", "s")))]
        == 3
    )
    assert samples[(METRIC_PNL, (("market", MARKET), ("strategy_id", "s")))] == 1.0


def test_books_of_markets_it_does_not_trade_are_not_its() -> None:
    live = LiveContext("s", None, markets=("slug-aaaa",), now_ms=lambda: 0)
    assert live.apply_book(top()) is None  # its market is not known yet (a slug)
    assert live.learn_market(market())
    view = live.apply_book(top())
    assert view is not None
    assert attrs.has(type(view))
    assert live.book(YES) is view
    assert live.tokens(MARKET) == (YES, NO)
