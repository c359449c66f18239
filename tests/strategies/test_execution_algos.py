"""twap and vwap slice a parent order on the timer, catch up short slices, never exceed
the parent and report completion."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from agbotkit.model.books import Side
from agbotkit.model.orders import OrderType
from agbotkit.strategies.reference.twap import Twap
from agbotkit.strategies.reference.vwap import Vwap
from agbotkit.testing import StrategyHarness

D = Decimal
START = 1_700_000_000_000
PARENT = {
    "token_id": "yes",
    "side": "BUY",
    "total_size": 100,
    "limit_price": 0.60,
    "duration_s": 100,
    "slices": 4,
    "min_size": 5,
}


def make(cls: Any = Twap, start: bool = True, **params: Any) -> StrategyHarness:
    harness = StrategyHarness(cls, {**PARENT, **params}, markets={"m": ("yes", "no")}, now_ms=START)
    harness.book("yes", bids=[(0.50, 1000)], asks=[(0.55, 1000)])
    if start:
        harness.start()
    return harness


def sizes(harness: StrategyHarness) -> list[Decimal]:
    taken = harness.take_orders()
    for order in taken:
        assert (order.token_id, order.side, order.price, order.order_type) == (
            "yes",
            Side.BUY,
            D("0.6"),
            OrderType.FAK,
        )
    return [o.size for o in taken]


def test_twap_slices_evenly_and_completes() -> None:
    harness = make()
    assert sizes(harness) == [D(25)]
    harness.fill("test-1")
    harness.advance(24_999)
    assert harness.take() == []
    harness.advance(1)
    assert sizes(harness) == [D(25)]
    harness.fill("test-2")
    harness.advance(25_000)
    assert sizes(harness) == [D(25)]
    harness.fill("test-3")
    harness.advance(25_000)
    assert sizes(harness) == [D(25)]
    strategy = harness.strategy
    assert isinstance(strategy, Twap)
    assert not strategy.completed
    harness.fill("test-4")
    assert strategy.completed
    assert strategy.filled == D(100)
    assert harness.context.timer_due is None
    [(key, progress)] = harness.context.metrics.items()
    assert (key[0], progress) == ("execution.progress", 1.0)


def test_a_short_slice_is_caught_up_by_the_next() -> None:
    harness = make()
    harness.fill("test-1", 10)
    harness.cancelled("test-1", "FAK rest")  # 15 did not fill
    harness.advance(25_000)
    assert sizes(harness) == [D(25), D(40)]
    harness.advance(25_000)  # the second child is still in flight: 75 - 10 - 40
    assert sizes(harness) == [D(25)]


def test_no_child_when_the_book_is_beyond_the_limit() -> None:
    harness = make()
    harness.take()
    harness.fill("test-1")
    harness.book("yes", bids=[(0.60, 10)], asks=[(0.65, 10)])
    harness.advance(25_000)
    assert harness.take() == []
    harness.book("yes", bids=[(0.50, 10)], asks=[(0.55, 10)])
    harness.advance(25_000)
    assert sizes(harness) == [D(50)]


def test_twap_waits_for_its_start_and_ends_at_the_last_slice() -> None:
    harness = make(start_ms=START + 10_000)
    assert harness.take() == []
    harness.advance(10_000)
    assert sizes(harness) == [D(25)]
    for _ in range(3):
        harness.reject(harness.orders[-1].client_order_id)
        harness.advance(25_000)
    assert sizes(harness) == [D(50), D(75), D(100)]
    harness.reject("test-4")
    strategy = harness.strategy
    assert isinstance(strategy, Twap)
    assert strategy.completed
    assert strategy.filled == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.floats(0, 1)), min_size=4, max_size=4))
def test_never_more_than_the_parent(outcomes: list[tuple[int, float]]) -> None:
    harness = make(total_size=37, slices=4, min_size=1)
    for outcome, fraction in outcomes:
        for order in harness.take_orders():
            cid = order.client_order_id
            part = (order.size * D(str(round(fraction, 3)))).quantize(D("0.001"))
            if outcome == 0:
                harness.reject(cid)
            elif outcome == 1 and part > 0:
                harness.fill(cid, part)
                harness.cancelled(cid, "FAK rest")
            elif outcome == 2:
                harness.fill(cid)
        strategy = harness.strategy
        assert isinstance(strategy, Twap)
        in_flight = sum(o.size for o in harness.context.open_orders())
        assert strategy.filled + in_flight <= D(37)
        harness.advance(25_000)
    assert sum(f.size for f in harness.fills) <= D(37)


def test_vwap_follows_a_given_profile() -> None:
    harness = make(Vwap, total_size=40, slices=2, profile=[1, 3])
    assert sizes(harness) == [D(10)]
    harness.fill("test-1")
    harness.advance(50_000)
    assert sizes(harness) == [D(30)]


def test_vwap_learns_its_profile_from_the_trades_before_the_start() -> None:
    harness = make(Vwap, start=False, total_size=40, slices=2, start_ms=START + 100_000)
    harness.start()
    harness.advance(10_000)
    harness.trade("yes", Side.BUY, 0.55, 30)  # first half of the learning period
    harness.trade("no", Side.BUY, 0.45, 500)  # another token: not counted
    harness.advance(50_000)
    harness.trade("yes", Side.SELL, 0.50, 10)  # second half
    harness.advance(40_000)
    assert sizes(harness) == [D(30)]
    harness.fill("test-1")
    harness.advance(50_000)
    assert sizes(harness) == [D(10)]


def test_vwap_without_trades_is_uniform() -> None:
    harness = make(Vwap, total_size=40, slices=2, start_ms=START + 100_000)
    harness.advance(100_000)
    assert sizes(harness) == [D(20)]
