"""The strategy harness keeps the StrategyContext contract: requests are sent when the
hook returns, in order; positions follow the fills fed; venue rules refuse bad orders."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from agbotkit.model.books import Side
from agbotkit.model.execution import CancelOrder, OrderStatus, OrderStatusChanged
from agbotkit.model.orders import Fill, Order, OrderType
from agbotkit.strategies.api import BookView, OrderRejection, Strategy
from agbotkit.testing import LevelsBook, StrategyHarness


@attrs.frozen
class EchoConfig:
    size: float = 10.0


class Echo(Strategy[EchoConfig]):
    """Buys at the best bid on each book; records every hook call."""

    Config = EchoConfig

    def __init__(self, config: EchoConfig, context: Any) -> None:
        super().__init__(config, context)
        self.calls: list[tuple[str, Any]] = []
        self.sent_during_hook: list[int] = []

    def on_book(self, book: BookView) -> None:
        self.calls.append(("book", book.token_id))
        if book.best_bid is not None:
            self.context.submit_order(book.token_id, Side.BUY, book.best_bid, self.config.size)

    def on_fill(self, fill: Fill) -> None:
        self.calls.append(("fill", fill.client_order_id))

    def on_order_update(self, change: OrderStatusChanged) -> None:
        self.calls.append(("update", change.status))

    def on_cancel(self, change: OrderStatusChanged) -> None:
        self.calls.append(("cancel", change.client_order_id))

    def on_rejected(self, rejection: OrderRejection) -> None:
        self.calls.append(("rejected", rejection.reason))

    def on_timer(self, now_ms: int) -> None:
        self.calls.append(("timer", now_ms))
        self.context.cancel_all()


def make(**kwargs: Any) -> StrategyHarness:
    return StrategyHarness(Echo, markets={"m": ("yes", "no")}, now_ms=1000, **kwargs)


def test_an_order_is_sent_when_the_hook_returns_with_exact_values() -> None:
    harness = make()
    harness.book("yes", bids=[(0.47, 50), (0.48, 100)], asks=[(0.52, 10)])
    [order] = harness.take_orders()
    assert order == Order(
        client_order_id="test-1",
        venue="harness",
        market_id="m",
        token_id="yes",
        side=Side.BUY,
        price=Decimal("0.48"),
        size=Decimal("10.0"),
        strategy="test",
        created_ms=1000,
    )
    assert harness.context.open_orders("m") == [order]
    assert harness.take() == []


def test_params_are_structured_and_validated() -> None:
    assert make().strategy.config == EchoConfig()
    harness = StrategyHarness(Echo, {"size": 7})
    assert harness.strategy.config == EchoConfig(size=7.0)
    with pytest.raises(ValueError, match="unknown field 'sise'"):
        StrategyHarness(Echo, {"sise": 7})


def test_fills_update_positions_and_the_order_in_order() -> None:
    harness = make(fee_rate="0.02")
    harness.book("yes", bids=[(0.40, 100)], asks=[(0.60, 100)])
    [order] = harness.take_orders()
    harness.fill(order.client_order_id, 4)
    assert harness.context.get_position("yes") == Decimal(4)
    harness.fill(order.client_order_id, price="0.39", taker=True)
    position = harness.context.positions()["yes"]
    assert position.size == Decimal(10)
    # 6 shares taken at 0.39: 6 * 0.02 * 0.39 * 0.61 = 0.028548
    assert position.fees_usd == Decimal("0.02854")
    assert harness.strategy.calls[1:] == [
        ("fill", "test-1"),
        ("update", OrderStatus.PARTIALLY_FILLED),
        ("fill", "test-1"),
        ("update", OrderStatus.FILLED),
    ]
    assert harness.context.open_orders() == []
    with pytest.raises(ValueError, match="cannot fill"):
        harness.fill(order.client_order_id)


def test_cancels_are_sent_then_confirmed_after_the_hook() -> None:
    harness = make()
    harness.book("yes", bids=[(0.40, 100)], asks=[(0.60, 100)])
    harness.book("no", bids=[(0.40, 100)], asks=[(0.60, 100)])
    harness.context.set_timer(1.5)
    harness.take()
    harness.advance(1499)
    assert harness.take() == []
    harness.advance(1)
    assert harness.take() == [
        CancelOrder(client_order_id="test-1", reason="strategy", source="test"),
        CancelOrder(client_order_id="test-2", reason="strategy", source="test"),
    ]
    assert harness.strategy.calls[-5:] == [
        ("timer", 2500),
        ("update", OrderStatus.CANCELED),
        ("cancel", "test-1"),
        ("update", OrderStatus.CANCELED),
        ("cancel", "test-2"),
    ]
    harness.advance(2000)  # fires at 4000; nothing left to cancel
    assert harness.strategy.calls[-1] == ("timer", 4000)
    assert harness.take() == []


def test_a_pending_cancel_leaves_the_order_open_until_confirmed() -> None:
    harness = make(auto_confirm_cancels=False)
    harness.book("yes", bids=[(0.40, 100)], asks=[(0.60, 100)])
    harness.context.cancel_order("test-1")
    harness.context.cancel_order("test-1")  # once is enough
    harness.context.cancel_order("nope")  # unknown ids are ignored
    harness.flush()
    assert harness.cancels == ["test-1"]
    assert harness.context.open_orders() != []
    harness.cancelled("test-1")
    assert harness.context.open_orders() == []
    with pytest.raises(ValueError, match="not open"):
        harness.cancelled("test-1")


def test_venue_rules_reject_after_sending() -> None:
    harness = make()
    harness.book("yes", bids=[(0.485, 100)], asks=[(0.52, 10)])  # off the 0.01 grid
    assert [o.price for o in harness.take_orders()] == [Decimal("0.485")]
    [rejection] = harness.rejections
    assert rejection.stage == "venue"
    assert "tick size" in rejection.reason
    assert harness.strategy.calls[-1] == ("rejected", rejection.reason)
    assert harness.context.open_orders() == []


def test_post_only_crossing_and_small_orders_are_refused() -> None:
    harness = make()
    harness.book("yes", asks=[(0.50, 10)])
    context = harness.context
    context.submit_order("yes", Side.BUY, 0.50, 10, post_only=True)
    context.submit_order("yes", Side.BUY, 0.40, 2)
    context.submit_order("yes", Side.BUY, 0.50, 1, order_type=OrderType.FOK)
    context.submit_order("yes", Side.BUY, 0.49, 10, post_only=True)
    harness.flush()  # requests made outside a hook
    reasons = [r.reason for r in harness.rejections]
    assert len(reasons) == 3
    assert "post-only" in reasons[0]
    assert "below the minimum of 5" in reasons[1]
    assert "notional" in reasons[2]
    assert [o.client_order_id for o in context.open_orders()] == ["test-4"]


def test_resolution_settles_and_forgets_orders() -> None:
    harness = make()
    harness.hold("yes", 10, "0.4")
    harness.book("yes", bids=[(0.40, 100)], asks=[(0.60, 100)])
    harness.resolve("m", "yes")
    assert harness.context.open_orders() == []
    assert harness.context.positions()["yes"].realised_pnl_usd == Decimal("6.0")
    assert harness.context.get_position("yes") == 0


def test_levels_book_sorts_and_reads() -> None:
    book = LevelsBook("t", bids=[(0.1, 5), (0.3, 1), (0.2, 0)], asks=[(0.9, 2), (0.5, 3)])
    assert book.bids() == ((0.3, 1.0), (0.1, 5.0))
    assert book.asks(1) == ((0.5, 3.0),)
    assert (book.best_bid, book.best_ask, book.mid) == (0.3, 0.5, 0.4)
    assert (book.best_bid_size, book.best_ask_size) == (1.0, 3.0)
    empty = LevelsBook("t")
    assert (empty.best_bid, empty.best_ask, empty.mid, empty.best_bid_size) == (
        None,
        None,
        None,
        0.0,
    )


def test_the_docs_example_runs() -> None:
    page = Path(__file__).resolve().parents[2] / "docs" / "strategies" / "testing.md"
    [code] = page.read_text().split("```python\n")[1:]
    exec(compile(code.split("```")[0], str(page), "exec"), {})
