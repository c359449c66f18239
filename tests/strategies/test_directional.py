"""trend (EMA crossover) and mean_reversion (Bollinger) on hand-made books."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from agbotkit.model.books import Side
from agbotkit.model.orders import OrderType
from agbotkit.strategies.reference.mean_reversion import MeanReversion
from agbotkit.strategies.reference.trend import Trend
from agbotkit.testing import StrategyHarness

D = Decimal


def at_mid(harness: StrategyHarness, mid: float, token: str = "yes") -> None:
    harness.book(token, bids=[(round(mid - 0.01, 2), 100)], asks=[(round(mid + 0.01, 2), 100)])


def orders(harness: StrategyHarness) -> list[tuple[str, Side, Decimal, Decimal]]:
    taken = harness.take_orders()
    assert all(o.order_type is OrderType.FAK for o in taken)
    return [(o.token_id, o.side, o.price, o.size) for o in taken]


def trend(**params: Any) -> StrategyHarness:
    base = {"fast": 2, "slow": 4, "size": 10, "min_size": 5}
    harness = StrategyHarness(Trend, {**base, **params}, markets={"m": ("yes", "no")})
    harness.start()
    return harness


def test_trend_goes_long_on_a_crossover_and_flat_on_the_reverse() -> None:
    harness = trend()
    for _ in range(4):
        at_mid(harness, 0.40)
    assert harness.take() == []  # the averages agree: no signal
    at_mid(harness, 0.50)
    assert orders(harness) == [("yes", Side.BUY, D("0.51"), D(10))]
    at_mid(harness, 0.52)
    assert harness.take() == []  # the buy is still in flight
    harness.fill("test-1")
    at_mid(harness, 0.52)
    assert harness.take() == []  # long already
    for mid in (0.40, 0.30):
        at_mid(harness, mid)
    assert orders(harness) == [("yes", Side.SELL, D("0.39"), D(10))]
    assert harness.context.signals == {"trend_long": 1, "trend_flat": 1}


def test_trend_threshold_holds_back_small_crossings() -> None:
    harness = trend(threshold=0.05)
    for _ in range(4):
        at_mid(harness, 0.40)
    at_mid(harness, 0.45)  # fast - slow = 0.0333 - 0.02 = 0.0133
    assert harness.take() == []


def test_trend_rejects_a_slow_period_not_above_the_fast() -> None:
    with pytest.raises(ValueError, match="slow: expected a value > fast"):
        StrategyHarness(Trend, {"fast": 5, "slow": 5})


def reversion(**params: Any) -> StrategyHarness:
    base = {"period": 4, "k": 1.0, "size": 10, "min_size": 5}
    harness = StrategyHarness(MeanReversion, {**base, **params}, markets={"m": ("yes", "no")})
    harness.start()
    return harness


def test_mean_reversion_buys_below_the_lower_band_and_exits_at_the_middle() -> None:
    harness = reversion()
    for _ in range(4):
        at_mid(harness, 0.50)
    assert harness.take() == []
    at_mid(harness, 0.40)  # mean 0.475, std 0.0433: below the lower band 0.4317
    assert orders(harness) == [("yes", Side.BUY, D("0.41"), D(10))]
    harness.fill("test-1")
    at_mid(harness, 0.44)  # mean 0.46: still below the middle
    assert harness.take() == []
    at_mid(harness, 0.48)  # window .5 .4 .44 .48: mean 0.455 <= 0.48: exit
    assert orders(harness) == [("yes", Side.SELL, D("0.47"), D(10))]


def test_mean_reversion_sells_above_the_upper_band_through_no() -> None:
    harness = reversion()
    at_mid(harness, 0.40, "no")
    for _ in range(4):
        at_mid(harness, 0.50)
    at_mid(harness, 0.60)  # above the upper band 0.5683, flat: buy NO
    assert orders(harness) == [("no", Side.BUY, D("0.41"), D(10))]
    harness.fill("test-1")
    at_mid(harness, 0.40, "no")
    at_mid(harness, 0.50)  # window .5 .5 .6 .5: mean 0.525 >= 0.50: exit the NO
    assert orders(harness) == [("no", Side.SELL, D("0.39"), D(10))]


def test_mean_reversion_without_short_only_exits() -> None:
    harness = reversion(short=False)
    at_mid(harness, 0.40, "no")
    for _ in range(4):
        at_mid(harness, 0.50)
    at_mid(harness, 0.60)
    assert harness.take() == []
