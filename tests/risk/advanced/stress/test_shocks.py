"""Price shocks, liquidity exits and the checks on positions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from agbotkit.risk.advanced.stress.engine import stress_test
from agbotkit.risk.advanced.stress.positions import StressPortfolio, StressPosition, Underlying
from agbotkit.risk.advanced.stress.scenarios import (
    LiquidityShock,
    PriceShock,
    Resolution,
    Scenario,
    liquidity_vanishes,
)


def book() -> StressPortfolio:
    return StressPortfolio(
        [
            StressPosition("fed-yes", "fed-cut", 10, 0.40),
            StressPosition("fed-no", "fed-cut", 10, 0.60, outcome="no"),
            StressPosition("a-yes", "cand-a", 10, 0.50, event="election"),
            StressPosition("b-no", "cand-b", -10, 0.70, outcome="no", event="election"),
        ]
    )


def shocked(*shocks: PriceShock) -> list[float]:
    result = stress_test(book(), Scenario(name="s", price_shocks=shocks))
    return [float(p) for p in result.price_after]


def test_a_market_shock_speaks_of_yes_and_moves_no_the_other_way() -> None:
    assert shocked(PriceShock(market="fed-cut", set_price=0.1)) == pytest.approx(
        [0.1, 0.9, 0.5, 0.7]
    )
    assert shocked(PriceShock(market="fed-cut", change=0.05)) == pytest.approx(
        [0.45, 0.55, 0.5, 0.7]
    )
    moved = shocked(PriceShock(market="fed-cut", logit=1.0))
    assert moved[0] == pytest.approx(special.expit(special.logit(0.4) + 1.0), rel=1e-15)
    assert moved[0] + moved[1] == pytest.approx(1.0, rel=1e-15)


def test_a_token_shock_speaks_of_the_token() -> None:
    assert shocked(PriceShock(token="fed-no", set_price=0.1)) == pytest.approx([0.4, 0.1, 0.5, 0.7])


def test_changes_are_clipped_to_prices() -> None:
    assert shocked(PriceShock(market="*", change=-0.9)) == pytest.approx([0.0, 1.0, 0.0, 1.0])


def test_event_and_pattern_selectors() -> None:
    # b-no is the NO token of cand-b: YES -0.2 is NO +0.2.
    assert shocked(PriceShock(event="elect*", change=-0.2)) == pytest.approx([0.4, 0.6, 0.3, 0.9])
    assert shocked(PriceShock(token="*-yes", change=0.1)) == pytest.approx([0.5, 0.6, 0.6, 0.7])
    assert shocked(PriceShock(market="nothing", change=0.1)) == [0.4, 0.6, 0.5, 0.7]


def test_shocks_apply_in_order_and_resolutions_last() -> None:
    prices = shocked(
        PriceShock(market="fed-cut", set_price=0.2), PriceShock(market="fed-cut", change=0.1)
    )
    assert prices[:2] == pytest.approx([0.3, 0.7])
    scenario = Scenario(
        name="s",
        price_shocks=(PriceShock(market="*", change=0.1),),
        resolutions=(Resolution("fed-cut", "yes"),),
        liquidity=LiquidityShock(spread_factor=2.0),
    )
    result = stress_test(book(), scenario)
    assert list(result.price_after) == pytest.approx([1.0, 0.0, 0.6, 0.6])
    assert result.total_pnl_usd == pytest.approx(10 * 0.6 - 10 * 0.6 + 10 * 0.1 - 10 * -0.1)


@settings(max_examples=200, deadline=None)
@given(
    mid=st.floats(0.01, 0.99),
    half=st.floats(0.0, 0.05),
    shares=st.floats(-1000, 1000),
    depth=st.floats(0.0, 500),
    factor=st.floats(1.0, 10.0),
    haircut=st.floats(0.0, 1.0),
)
def test_an_exit_never_beats_the_mid(
    mid: float, half: float, shares: float, depth: float, factor: float, haircut: float
) -> None:
    bid, ask = max(mid - half, 0.0), min(mid + half, 1.0)
    position = StressPosition(
        "t", "m", shares, mid, bid=bid, ask=ask, bid_size=depth, ask_size=depth
    )
    result = stress_test(
        StressPortfolio([position]), liquidity_vanishes(factor, depth_haircut=haircut)
    )
    assert 0.0 <= result.price_after[0] <= 1.0
    assert result.total_pnl_usd <= 1e-12
    wider = stress_test(
        StressPortfolio([position]), liquidity_vanishes(factor + 1, depth_haircut=haircut)
    )
    assert wider.total_pnl_usd <= result.total_pnl_usd + 1e-12


def test_depth_beyond_the_book_by_hand() -> None:
    # 100 shares long, 40 displayed at the bid 0.48 (mid 0.5): 40 at 0.48, 60 at 0.48 x 0.8.
    position = StressPosition("t", "m", 100, 0.5, bid=0.48, ask=0.52, bid_size=40)
    scenario = Scenario(
        name="s", liquidity=LiquidityShock(spread_factor=1, depth_factor=1, depth_haircut=0.2)
    )
    result = stress_test(StressPortfolio([position]), scenario)
    assert result.total_pnl_usd == pytest.approx(40 * 0.48 + 60 * 0.384 - 50, rel=1e-12)
    # A short of 100 with 40 at the ask 0.52: the rest costs 1 - 0.48 x 0.8 = 0.616.
    short = StressPosition("s", "m", -100, 0.5, bid=0.48, ask=0.52, ask_size=40)
    result = stress_test(StressPortfolio([short]), scenario)
    assert result.total_pnl_usd == pytest.approx(-(40 * 0.52 + 60 * 0.616 - 50), rel=1e-12)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: StressPosition("t", "m", 1, 1.2), "mid: expected a value between 0.0 and 1.0"),
        (lambda: StressPosition("t", "m", math.nan, 0.5), "shares: expected a finite number"),
        (lambda: StressPosition("t", "m", 1, 0.5, bid=0.6), "expected bid <= mid <= ask"),
        (lambda: StressPosition("t", "m", 1, 0.5, outcome="maybe"), "outcome: expected one of"),
        (lambda: Underlying("BTC", -1, 1, 1), "spot: expected a value > 0.0"),
        (lambda: Underlying("BTC", 1, 1, 0), "days_to_expiry: expected a value > 0.0"),
        (lambda: Underlying("BTC", 1, 1, 1, volatility=math.nan), "volatility: expected a finite"),
    ],
)
def test_bad_positions_are_refused(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("positions", "complete", "message"),
    [
        (
            [StressPosition("t", "m", 1, 0.5), StressPosition("t", "n", 1, 0.5)],
            (),
            "token 't' appears twice",
        ),
        (
            [StressPosition("t", "m", 1, 0.5), StressPosition("u", "m", 1, 0.5)],
            (),
            "tokens 't' and 'u' are both the 'yes' outcome of market 'm'",
        ),
        (
            [
                StressPosition("t", "m", 1, 0.5, event="e"),
                StressPosition("u", "m", 1, 0.5, outcome="no"),
            ],
            (),
            "market 'm' is given events 'e' and None",
        ),
        (
            [StressPosition("t", "m", 1, 0.5)],
            ("e",),
            r"complete_events: no position is in event\(s\) \['e'\]",
        ),
        (
            [
                StressPosition("t", "m", 1, 0.5, underlying=Underlying("BTC", 1, 1, 1)),
                StressPosition(
                    "u", "m", 1, 0.5, outcome="no", underlying=Underlying("BTC", 1, 2, 1)
                ),
            ],
            (),
            "market 'm' is given two underlyings",
        ),
    ],
)
def test_inconsistent_portfolios_are_refused(
    positions: list[StressPosition], complete: tuple[str, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        StressPortfolio(positions, complete_events=complete)


def test_portfolio_arrays_are_read_only() -> None:
    portfolio = book()
    assert len(portfolio) == 4
    with pytest.raises(ValueError, match="read-only"):
        portfolio.mid[0] = 0.0
    np.testing.assert_array_equal(portfolio.yes_sign, [1, -1, 1, -1])
