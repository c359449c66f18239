"""Signals against independent reference computations, and incremental == batch."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agbotkit.model.books import Side
from agbotkit.strategies.signals import (
    EMA,
    RSI,
    Bollinger,
    BookImbalance,
    Composite,
    Microprice,
    Spread,
    TradeFlow,
)
from agbotkit.testing import LevelsBook

PRICES = st.lists(st.floats(min_value=0.01, max_value=0.99), min_size=1, max_size=120)


def wilder_rsi(prices: list[float], period: int) -> list[float]:
    """Wilder's RSI, computed the textbook way over the whole series."""
    changes = np.diff(np.asarray(prices))
    gains, losses = np.clip(changes, 0, None), np.clip(-changes, 0, None)
    out = [math.nan] * len(prices)
    if len(changes) < period:
        return out
    gain, loss = gains[:period].mean(), losses[:period].mean()
    for i in range(period, len(changes) + 1):
        if i > period:
            gain = (gain * (period - 1) + gains[i - 1]) / period
            loss = (loss * (period - 1) + losses[i - 1]) / period
        if loss == 0:
            out[i] = 50.0 if gain == 0 else 100.0
        else:
            out[i] = 100 - 100 / (1 + gain / loss)
    return out


@given(PRICES, st.integers(1, 30))
def test_ema_equals_pandas_ewm_without_adjustment(prices: list[float], period: int) -> None:
    ema = EMA(period)
    got = [ema.update(p) for p in prices]
    expected = pd.Series(prices).ewm(span=period, adjust=False).mean().tolist()
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert ema.ready == (len(prices) >= period)


def test_ema_by_alpha_is_ready_at_once() -> None:
    ema = EMA(alpha=0.5)
    assert math.isnan(ema.value)
    assert not ema.ready
    ema.update(0.4)
    assert ema.ready
    assert ema.update(0.6) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="either"):
        EMA()
    with pytest.raises(ValueError, match="alpha"):
        EMA(alpha=1.5)


@given(PRICES, st.integers(1, 20))
def test_rsi_equals_a_direct_wilder_computation(prices: list[float], period: int) -> None:
    rsi = RSI(period)
    got = [rsi.update(p) for p in prices]
    expected = wilder_rsi(prices, period)
    for mine, theirs in zip(got, expected, strict=True):
        if math.isnan(theirs):
            assert math.isnan(mine)
        else:
            assert mine == pytest.approx(theirs, rel=1e-9, abs=1e-9)
    assert rsi.ready == (len(prices) > period)


def test_rsi_known_values() -> None:
    rsi = RSI(2)
    for price in (0.5, 0.6, 0.7):
        rsi.update(price)
    assert rsi.value == 100.0
    rsi.update(0.6)  # gain (0.1 + 0.1) / 2 = 0.1 -> 0.05; loss 0 -> 0.05
    assert rsi.value == pytest.approx(50.0)
    flat = RSI(2)
    for price in (0.5, 0.5, 0.5):
        flat.update(price)
    assert flat.value == 50.0


@given(PRICES, st.integers(2, 25), st.floats(0.5, 3.0))
def test_bollinger_equals_numpy_std_with_ddof_0(prices: list[float], period: int, k: float) -> None:
    bands = Bollinger(period, k)
    for i, price in enumerate(prices):
        bands.update(price)
        window = np.asarray(prices[max(0, i + 1 - period) : i + 1])
        assert bands.value == pytest.approx(window.mean(), abs=1e-12)
        assert bands.std == pytest.approx(window.std(ddof=0), abs=1e-7)
        assert bands.upper == pytest.approx(window.mean() + k * window.std(ddof=0), abs=1e-6)
        assert bands.lower == pytest.approx(window.mean() - k * window.std(ddof=0), abs=1e-6)
        assert bands.ready == (i + 1 >= period)


def test_book_imbalance_microprice_and_spread() -> None:
    book = LevelsBook("t", bids=[(0.48, 30), (0.47, 50)], asks=[(0.52, 10), (0.53, 10)])
    top, deep = BookImbalance(), BookImbalance(depth=2)
    assert top.update(book) == pytest.approx((30 - 10) / 40)
    assert deep.update(book) == pytest.approx((80 - 20) / 100)
    micro = Microprice()
    # the big bid pulls the microprice toward the ask: (0.48 * 10 + 0.52 * 30) / 40
    assert micro.update(book) == pytest.approx(0.51)
    spread = Spread()
    assert spread.update(book) == pytest.approx(0.04)
    assert spread.ticks == 4
    one_sided = LevelsBook("t", bids=[(0.40, 5)])
    assert micro.update(one_sided) == pytest.approx(0.51)  # unchanged while a side is empty
    assert spread.update(one_sided) == pytest.approx(0.04)
    assert top.update(LevelsBook("t")) == pytest.approx(0.5)
    assert not Microprice().ready
    assert not Spread().ready
    assert not BookImbalance().ready


TRADES = st.lists(
    st.tuples(st.sampled_from([Side.BUY, Side.SELL]), st.floats(0.1, 100), st.integers(0, 5_000)),
    min_size=1,
    max_size=80,
)


@given(TRADES, st.integers(1, 10_000))
def test_trade_flow_window_equals_a_brute_force_sum(
    trades: list[tuple[Side, float, int]], window: int
) -> None:
    flow = TradeFlow(window)
    now = 0
    seen: list[tuple[int, float]] = []
    for side, size, gap in trades:
        now += gap
        flow.update(side, size, now)
        seen.append((now, size if side is Side.BUY else -size))
        inside = [signed for at, signed in seen if at > now - window]
        assert flow.value == pytest.approx(sum(inside), abs=1e-6)
        assert flow.volume == pytest.approx(sum(map(abs, inside)), abs=1e-6)


@given(TRADES, st.floats(1, 10_000))
def test_trade_flow_decay_equals_the_batch_sum(
    trades: list[tuple[Side, float, int]], halflife: float
) -> None:
    flow = TradeFlow(halflife_ms=halflife)
    now = 0
    seen: list[tuple[int, float]] = []
    for side, size, gap in trades:
        now += gap
        flow.update(side, size, now)
        seen.append((now, size if side is Side.BUY else -size))
    expected = sum(signed * 0.5 ** ((now - at) / halflife) for at, signed in seen)
    assert flow.value == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert -1 <= flow.imbalance <= 1


def test_composite_sum_and_vote() -> None:
    imbalance, rsi = BookImbalance(), RSI(2)
    summed = Composite([(imbalance, 2.0), (rsi, 0.01, 50.0)])
    voted = Composite([(imbalance, 2.0), (rsi, 1.0, 50.0)], mode="vote")
    assert not summed.ready
    assert math.isnan(summed.value)
    imbalance.update(LevelsBook("t", bids=[(0.4, 30)], asks=[(0.6, 10)]))  # 0.5
    for price in (0.5, 0.4, 0.3):
        rsi.update(price)  # only losses: 0
    assert summed.value == pytest.approx(2.0 * 0.5 + 0.01 * (0 - 50))
    assert voted.value == pytest.approx((2.0 - 1.0) / 3.0)
    with pytest.raises(ValueError, match="mode"):
        Composite([(rsi, 1.0)], mode="max")
