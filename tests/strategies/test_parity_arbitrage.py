"""parity_arbitrage finds and trades a mispriced pair and a neg-risk basket, includes
fees, and never legs in alone: a failed leg cancels the others and unwinds fills."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from agbotkit.model.books import Side
from agbotkit.model.orders import OrderType
from agbotkit.strategies.reference.parity_arbitrage import ParityArbitrage
from agbotkit.testing import StrategyHarness

D = Decimal
PAIR = {"m": ("yes", "no")}


def make(markets: Any = PAIR, auto_confirm_cancels: bool = True, **params: Any) -> StrategyHarness:
    base = {"edge": 0.01, "max_size": 50, "min_size": 5}
    harness = StrategyHarness(
        ParityArbitrage,
        {**base, **params},
        markets=markets,
        auto_confirm_cancels=auto_confirm_cancels,
    )
    harness.start()
    return harness


def legs(harness: StrategyHarness) -> list[tuple[str, Side, Decimal, Decimal, OrderType]]:
    return [(o.token_id, o.side, o.price, o.size, o.order_type) for o in harness.take_orders()]


def cheap_pair(harness: StrategyHarness) -> None:
    harness.book("yes", bids=[(0.44, 100)], asks=[(0.45, 30)])
    harness.book("no", bids=[(0.49, 100)], asks=[(0.50, 20)])


def test_buys_a_pair_priced_below_one_sized_by_the_thinnest_leg() -> None:
    harness = make()
    harness.book("yes", bids=[(0.44, 100)], asks=[(0.45, 30)])
    assert harness.take() == []  # the NO book is not known yet
    harness.book("no", bids=[(0.49, 100)], asks=[(0.50, 20)])
    assert legs(harness) == [
        ("yes", Side.BUY, D("0.45"), D(20), OrderType.FOK),
        ("no", Side.BUY, D("0.50"), D(20), OrderType.FOK),
    ]
    harness.book("no", bids=[(0.49, 100)], asks=[(0.50, 20)])
    assert harness.take() == []  # one group in flight at a time
    harness.fill("test-1")
    harness.fill("test-2")
    strategy = harness.strategy
    assert isinstance(strategy, ParityArbitrage)
    assert (strategy.completed, strategy.failed) == (1, 0)
    assert harness.context.get_position("yes") == harness.context.get_position("no") == 20


def test_fees_are_included() -> None:
    # 0.45 + 0.50 = 0.95 < 0.99, but the fees 0.1 * p * (1 - p) add 0.02475 + 0.025
    harness = make(fee_rate=0.1)
    cheap_pair(harness)
    assert harness.take() == []
    cheaper = make(fee_rate=0.1)
    cheaper.book("yes", asks=[(0.40, 30)])
    cheaper.book("no", asks=[(0.50, 20)])  # 0.90 + 0.024 + 0.025 = 0.949 < 0.99
    assert len(legs(cheaper)) == 2


def test_no_trade_inside_the_edge() -> None:
    harness = make(edge=0.06)
    cheap_pair(harness)  # 0.95 is not below 1 - 0.06
    assert harness.take() == []


def test_sells_a_held_pair_priced_above_one() -> None:
    harness = make()
    harness.hold("yes", 30, "0.4")
    harness.hold("no", 10, "0.4")
    harness.book("yes", bids=[(0.55, 30)], asks=[(0.60, 30)])
    harness.book("no", bids=[(0.50, 40)], asks=[(0.55, 40)])
    assert legs(harness) == [
        ("yes", Side.SELL, D("0.55"), D(10), OrderType.FOK),
        ("no", Side.SELL, D("0.50"), D(10), OrderType.FOK),
    ]


def test_buys_a_neg_risk_basket() -> None:
    markets = {"a": ("a1", "a0"), "b": ("b1", "b0"), "c": ("c1", "c0")}
    harness = make(markets, baskets=[["a", "b", "c"]])
    harness.book("a1", asks=[(0.30, 40)])
    harness.book("b1", asks=[(0.30, 25)])
    assert harness.take() == []
    harness.book("c1", asks=[(0.35, 60)])
    assert legs(harness) == [
        ("a1", Side.BUY, D("0.30"), D(25), OrderType.FOK),
        ("b1", Side.BUY, D("0.30"), D(25), OrderType.FOK),
        ("c1", Side.BUY, D("0.35"), D(25), OrderType.FOK),
    ]


def test_a_rejected_leg_cancels_the_others() -> None:
    harness = make()
    cheap_pair(harness)
    harness.take()
    harness.reject("test-2", "risk: position limit", stage="risk")
    [cancel] = harness.take()
    assert cancel.client_order_id == "test-1"
    assert harness.cancels == ["test-1"]
    assert harness.context.open_orders() == []
    assert harness.context.get_position("yes") == 0
    assert harness.strategy.failed == 1  # type: ignore[attr-defined]


def test_a_filled_leg_is_unwound_when_the_other_fails() -> None:
    harness = make()
    cheap_pair(harness)
    harness.take()
    harness.fill("test-1")  # 20 YES bought
    harness.reject("test-2", "venue: not enough liquidity")
    [unwind] = harness.take_orders()
    # sold back with a FAK one tick under the YES bid
    assert (unwind.token_id, unwind.side, unwind.price, unwind.size, unwind.order_type) == (
        "yes",
        Side.SELL,
        D("0.43"),
        D(20),
        OrderType.FAK,
    )
    harness.fill(unwind.client_order_id, price="0.44")
    assert harness.context.get_position("yes") == 0
    assert harness.context.get_position("no") == 0
    harness.book("no", bids=[(0.49, 100)], asks=[(0.50, 20)])
    assert len(legs(harness)) == 2  # over: the next opportunity is traded


def test_a_late_fill_after_the_failure_is_unwound_too() -> None:
    harness = make(auto_confirm_cancels=False)
    cheap_pair(harness)
    harness.take()
    harness.cancelled("test-2", "FOK not filled")  # the NO leg found no liquidity
    assert harness.take()[0].client_order_id == "test-1"  # cancel of the YES leg sent
    harness.fill("test-1", 20)  # ...but the YES leg had filled meanwhile
    [unwind] = harness.take_orders()
    assert (unwind.side, unwind.size) == (Side.SELL, D(20))
    harness.fill(unwind.client_order_id)
    assert harness.context.get_position("yes") == 0


def test_sell_pairs_unwound_by_buying_back() -> None:
    harness = make()
    harness.hold("yes", 10, "0.4")
    harness.hold("no", 10, "0.4")
    harness.book("yes", bids=[(0.55, 30)], asks=[(0.60, 30)])
    harness.book("no", bids=[(0.50, 40)], asks=[(0.55, 40)])
    harness.take()
    harness.fill("test-1")
    harness.reject("test-2")
    [unwind] = harness.take_orders()
    assert (unwind.token_id, unwind.side, unwind.price, unwind.size) == (
        "yes",
        Side.BUY,
        D("0.61"),
        D(10),
    )
