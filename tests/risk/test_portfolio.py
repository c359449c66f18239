"""Portfolio: the risk component's books, driven directly (no event loop)."""

from __future__ import annotations

import logging
from decimal import Decimal

import attrs
import pytest

from agbotkit.abc import ComponentContext
from agbotkit.model.books import PriceLevel
from agbotkit.model.feeds import BookTop
from agbotkit.model.markets import MarketInfo, MarketResolved
from agbotkit.model.orders import Fill, OrderIntent, Side, TradeStatus
from agbotkit.model.positions import Position
from agbotkit.risk.portfolio import METRIC_INVENTORY, METRIC_POSITION, Portfolio
from agbotkit.topics import POSITIONS

from .conftest import T0, Published

MARKET = "0xmarket"
YES, NO = "111", "222"
D = Decimal


def fill(size: str, price: str = "0.5", token: str = YES, side: Side = Side.BUY) -> Fill:
    return Fill(token_id=token, side=side, price=price, size=size)


def book(token: str, bid: str, ask: str, *, valid: bool = True) -> BookTop:
    levels = (PriceLevel(D(bid), D(100)),), (PriceLevel(D(ask), D(100)),)
    return BookTop(token, MARKET, T0, T0, *levels, valid)


def market(end_ms: int | None = None) -> MarketInfo:
    return MarketInfo(
        MARKET, "Will it?", "will-it", ("Yes", "No"), (YES, NO), None, None, False, end_ms,
        True, False,
    )  # fmt: skip


def intent(size: str, token: str = YES) -> OrderIntent:
    return OrderIntent(market_id=MARKET, token_id=token, side=Side.BUY, price="0.5", size=size)


@pytest.fixture
def portfolio(context: ComponentContext) -> Portfolio:
    return Portfolio(context)


def test_a_fill_is_booked_and_published(portfolio: Portfolio, published: Published) -> None:
    published.listen(POSITIONS)  # someone listens: snapshots are published
    portfolio.learn_market(market())
    portfolio.apply_fill(fill("60", "0.4"))
    assert published.samples(METRIC_POSITION, market_id=MARKET, side="Yes") == [60.0]
    [snapshot] = published.take(POSITIONS)
    assert (snapshot.position.size, snapshot.position.market_id) == (D(60), MARKET)
    assert (snapshot.timestamp_ms, snapshot.component) == (T0, "risk")
    assert portfolio.inventory_value() == 24.0


def test_a_token_of_an_unknown_market_is_labelled_by_its_id(
    portfolio: Portfolio, published: Published
) -> None:
    portfolio.apply_fill(fill("7", token=NO))
    assert published.samples(METRIC_POSITION, market_id="", side=NO) == [7.0]


def test_no_snapshot_is_built_without_a_listener(
    portfolio: Portfolio, published: Published
) -> None:
    portfolio.apply_fill(fill("1"))
    assert published.bus.subscriber_count(POSITIONS) == 0


def test_the_context_of_an_intent_is_read_from_the_books(portfolio: Portfolio) -> None:
    portfolio.learn_market(market(end_ms=T0 + 60_000))
    portfolio.apply_fill(fill("60", "0.4"))
    portfolio.mark(book(YES, "0.45", "0.55"))
    context = portfolio.risk_context(intent("10"), T0 + 5)
    assert (context.current_position, context.proposed_size) == (60.0, 10.0)
    assert (context.inventory_value_usd, context.mid, context.price) == (30.0, 0.5, 0.5)
    assert (context.now_ms, context.market_end_ms, context.token_id) == (T0 + 5, T0 + 60_000, YES)


def test_an_invalid_book_takes_the_mid_away(portfolio: Portfolio) -> None:
    portfolio.mark(book(NO, "0.2", "0.4"))
    assert portfolio.risk_context(intent("1", NO), T0).mid == pytest.approx(0.3)
    portfolio.mark(book(NO, "0.2", "0.4", valid=False))
    assert portfolio.risk_context(intent("1", NO), T0).mid is None


def test_only_held_tokens_are_marked(portfolio: Portfolio) -> None:
    portfolio.mark(book(NO, "0.8", "0.9"))  # not held: the inventory does not move
    assert portfolio.inventory_value() == 0.0
    portfolio.apply_fill(fill("10", "0.5", token=NO))  # held now, at the mid known before
    assert portfolio.inventory_value() == 8.5
    portfolio.mark(book(NO, "0.1", "0.3"))
    assert portfolio.inventory_value() == 2.0


def test_pnl_is_handed_out_once_per_change(portfolio: Portfolio) -> None:
    assert portfolio.take_pnl() is None
    portfolio.apply_fill(fill("10", "0.5"))
    assert portfolio.take_pnl() == 0.0
    assert portfolio.take_pnl() is None
    portfolio.mark(book(YES, "0.6", "0.6"))
    assert portfolio.take_pnl() == pytest.approx(1.0)
    portfolio.mark(book(NO, "0.6", "0.6"))  # a token not held changes nothing
    assert portfolio.take_pnl() is None


def test_a_fill_the_books_cannot_take_is_logged(
    portfolio: Portfolio, published: Published, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        portfolio.apply_fill(fill("5", side=Side.SELL))
    assert "fill not booked, the positions may be wrong" in caplog.text
    assert published.metrics() == []
    assert portfolio.simulator.position(YES).size == 0


def test_a_resolution_settles_traded_markets_only(
    portfolio: Portfolio, published: Published
) -> None:
    resolved = MarketResolved(MARKET, (YES, NO), YES, "Yes", T0)
    portfolio.market_data(resolved)  # nothing traded: nothing to say
    assert published.metrics() == []
    portfolio.apply_fill(fill("40", "0.5"))
    published.metrics()
    portfolio.market_data(object())  # other market data is ignored
    portfolio.market_data(resolved)
    assert published.samples(METRIC_POSITION, side=YES) == [0.0]
    assert portfolio.simulator.position(YES).realised_pnl_usd == D(20)
    assert portfolio.inventory_value() == 0.0


def test_a_restored_position_is_held_and_published(
    portfolio: Portfolio, published: Published
) -> None:
    portfolio.restore(Position(YES, MARKET, D(30), D(12), D(0), D(0), D("0.4")))
    portfolio.publish_all()
    samples = [(m.name, m.value, m.labels_dict) for m in published.metrics()]
    assert samples == [
        (METRIC_POSITION, 30.0, {"market_id": MARKET, "side": YES}),
        (METRIC_INVENTORY, 12.0, {}),
    ]
    assert portfolio.risk_context(intent("1"), T0).current_position == 30.0
    # The restored market is kept for fills that do not name theirs.
    portfolio.apply_fill(fill("1"))
    assert portfolio.simulator.position(YES).market_id == MARKET


def test_a_fill_whose_trade_failed_is_undone(
    portfolio: Portfolio, published: Published, caplog: pytest.LogCaptureFixture
) -> None:
    portfolio.learn_market(market())
    portfolio.apply_fill(fill("60", "0.4"))
    matched = Fill(token_id=YES, side=Side.BUY, price="0.5", size="20", trade_id="t9")
    portfolio.apply_fill(matched)
    assert portfolio.inventory_value() == 34.0  # 60 @ 0.4 + 20 @ 0.5, marked at cost
    portfolio.apply_fill(attrs.evolve(matched, trade_status=TradeStatus.FAILED))
    assert published.samples(METRIC_POSITION, market_id=MARKET, side="Yes")[-1] == 60.0
    assert "trade t9 failed to settle" in caplog.text
