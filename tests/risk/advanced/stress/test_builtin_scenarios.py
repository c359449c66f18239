"""The three built-in scenarios on the portfolio worked out by hand in
docs/risk/STRESS_TESTING.md, and the crash against QuantLib's cash-or-nothing prices."""

from __future__ import annotations

import math

import numpy as np
import pytest
import QuantLib as ql
from scipy import special

from agbotkit.risk.advanced.stress.engine import stress_test
from agbotkit.risk.advanced.stress.positions import StressPortfolio, StressPosition, Underlying
from agbotkit.risk.advanced.stress.scenarios import (
    BUILTIN_SCENARIOS,
    all_resolve_against,
    liquidity_vanishes,
    reference_crash,
)

BTC = Underlying("BTC", spot=100_000, strike=105_000, days_to_expiry=30, volatility=0.6)


def desk(*, complete: bool = False) -> StressPortfolio:
    """The docs' example portfolio."""
    return StressPortfolio(
        [
            StressPosition("fed-yes", "fed-cut", 200, 0.40, bid=0.39, ask=0.41, bid_size=100),
            StressPosition("fed-no", "fed-cut", 50, 0.60, outcome="no", bid=0.59, ask=0.61),
            StressPosition("cand-a", "cand-a", 100, 0.50, event="election", bid=0.49, ask=0.51),
            StressPosition(
                "cand-b", "cand-b", -80, 0.30, event="election", bid=0.29, ask=0.31, ask_size=20
            ),
            StressPosition("btc-yes", "btc-100k", 100, 0.40, underlying=BTC),
        ],
        complete_events=("election",) if complete else (),
    )


def pnl(result: object) -> dict[str, float]:
    return {p.token: p.pnl_usd for p in result.positions}  # type: ignore[attr-defined]


def test_all_resolve_against_by_hand() -> None:
    result = stress_test(desk(), all_resolve_against())
    assert pnl(result) == pytest.approx(
        {"fed-yes": -80, "fed-no": 20, "cand-a": -50, "cand-b": -56, "btc-yes": -40}, rel=1e-12
    )
    assert result.total_pnl_usd == pytest.approx(-206, rel=1e-12)
    assert result.worst_position is not None
    assert result.worst_position.token == "fed-yes"
    assert result.scenario == "all_resolve_against"
    assert "one winner per neg-risk event" in result.description
    # cand-b wins the election, so cand-a's YES pays nothing: exactly one winner.
    assert list(result.price_after) == [0.0, 1.0, 0.0, 1.0, 0.0]


def test_liquidity_vanishes_by_hand() -> None:
    result = stress_test(desk(), liquidity_vanishes())  # x5 spreads, depth x0.5, 10 % beyond
    np.testing.assert_allclose(
        result.price_after, [0.32375, 0.55, 0.45, 0.406875, 0.40], rtol=1e-12
    )
    assert pnl(result) == pytest.approx(
        {"fed-yes": -15.25, "fed-no": -2.5, "cand-a": -5.0, "cand-b": -8.55, "btc-yes": 0.0},
        rel=1e-12,
        abs=1e-12,
    )
    assert result.total_pnl_usd == pytest.approx(-31.3, rel=1e-12)


def test_reference_crash_by_hand() -> None:
    result = stress_test(desk(), reference_crash(-0.20, unlinked_logit=-0.5))
    # The linked market keeps its premium over the model in log-odds (the docs' numbers).
    model_now, model_crash = 0.3558228, 0.0477689
    expected = special.expit(
        special.logit(0.40) + special.logit(model_crash) - special.logit(model_now)
    )
    assert result.price_after[4] == pytest.approx(expected, rel=1e-6)
    assert result.price_after[4] == pytest.approx(0.0570892, rel=1e-6)
    assert result.pnl_usd[4] == pytest.approx(-34.29108, rel=1e-6)
    assert result.price_after[0] == pytest.approx(special.expit(special.logit(0.4) - 0.5))
    # YES and NO of one market move together: their prices still add up to 1.
    assert result.price_after[0] + result.price_after[1] == pytest.approx(1.0, rel=1e-15)
    assert result.price_after[2] == pytest.approx(special.expit(-0.5), rel=1e-15)
    # The short cand-b YES also loses half a log-odd: a gain for the short.
    assert result.price_after[3] == pytest.approx(special.expit(special.logit(0.3) - 0.5))
    assert result.price_after[3] == pytest.approx(0.2063125, rel=1e-6)
    assert result.total_pnl_usd == pytest.approx(-55.85271, rel=1e-6)
    assert result.total_pnl_usd == pytest.approx(float(np.sum(result.pnl_usd)), rel=1e-15)


def quantlib_digital(direction: str, spot: float, strike: float, days: int, vol: float) -> float:
    today = ql.Date(2, 1, 2026)
    ql.Settings.instance().evaluationDate = today
    day_count = ql.Actual365Fixed()
    kind = ql.Option.Call if direction == "above" else ql.Option.Put
    option = ql.VanillaOption(
        ql.CashOrNothingPayoff(kind, strike, 1.0), ql.EuropeanExercise(today + days)
    )
    flat = ql.YieldTermStructureHandle(ql.FlatForward(today, 0.0, day_count))
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(spot)),
        flat,
        flat,
        ql.BlackVolTermStructureHandle(
            ql.BlackConstantVol(today, ql.NullCalendar(), vol, day_count)
        ),
    )
    option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    return float(option.NPV())


@pytest.mark.parametrize("direction", ["above", "below"])
@pytest.mark.parametrize(
    ("strike", "days", "vol", "move"),
    [
        (105_000, 30, 0.6, -0.2),
        (90_000, 7, 0.45, -0.1),
        (100_000, 180, 0.8, 0.15),
        (60_000, 365, 0.3, -0.35),
    ],
)
def test_crash_reprices_a_model_priced_market_to_quantlib(
    direction: str, strike: float, days: int, vol: float, move: float
) -> None:
    spot = 100_000.0
    now = quantlib_digital(direction, spot, strike, days, vol)
    after = quantlib_digital(direction, spot * (1 + move), strike, days, vol)
    link = Underlying("BTC", spot, strike, days, direction=direction)
    portfolio = StressPortfolio(
        [
            StressPosition("yes", "m", 10, now, underlying=link),
            StressPosition("no", "m", -4, 1.0 - now, outcome="no"),
        ]
    )
    result = stress_test(portfolio, reference_crash(move, volatility=vol))
    assert result.price_after[0] == pytest.approx(after, rel=1e-9)
    assert result.price_after[1] == pytest.approx(1.0 - after, rel=1e-9)
    assert result.pnl_usd[0] == pytest.approx(10 * (after - now), rel=1e-9)


def test_position_volatility_comes_before_the_scenarios() -> None:
    own = Underlying("BTC", 100_000, 100_000, 30, volatility=0.5)
    portfolio = StressPortfolio([StressPosition("y", "m", 1, 0.5, underlying=own)])
    with_own = stress_test(portfolio, reference_crash(-0.2, volatility=2.0))
    expected = quantlib_digital("above", 80_000, 100_000, 30, 0.5)
    # The mid 0.5 is not the model's price: the log-odds shift carries the difference.
    shift = special.logit(expected) - special.logit(quantlib_digital("above", 1e5, 1e5, 30, 0.5))
    assert with_own.price_after[0] == pytest.approx(special.expit(shift), rel=1e-9)


def test_a_linked_position_needs_a_volatility() -> None:
    bare = Underlying("BTC", 100_000, 100_000, 30)
    portfolio = StressPortfolio([StressPosition("y", "m", 1, 0.5, underlying=bare)])
    with pytest.raises(ValueError, match="volatility: position 'y' is linked"):
        stress_test(portfolio, reference_crash())
    assert stress_test(portfolio, reference_crash(volatility=0.7)).total_pnl_usd < 0


def test_per_symbol_moves_and_settled_prices() -> None:
    eth = Underlying("ETH", 3_000, 3_000, 10, volatility=0.7)
    portfolio = StressPortfolio(
        [
            StressPosition("eth", "m-eth", 1, 0.5, underlying=eth),
            StressPosition("done", "m-btc", 1, 1.0, underlying=BTC),
        ]
    )
    result = stress_test(portfolio, reference_crash(-0.2, per_symbol={"ETH": 0.0}))
    assert result.price_after[0] == 0.5  # ETH does not move
    assert result.price_after[1] == 1.0  # a settled price stays settled


def test_builtins_by_name_and_empty_portfolio() -> None:
    assert sorted(BUILTIN_SCENARIOS) == [
        "all_resolve_against",
        "liquidity_vanishes",
        "reference_crash",
    ]
    empty = StressPortfolio([])
    for scenario in BUILTIN_SCENARIOS.values():
        result = stress_test(empty, scenario)
        assert result.total_pnl_usd == 0.0
        assert result.worst_position is None
        assert result.positions == ()


def test_results_cannot_be_changed() -> None:
    result = stress_test(desk(), all_resolve_against())
    with pytest.raises(ValueError, match="read-only"):
        result.pnl_usd[0] = 0.0
    assert math.isfinite(result.total_pnl_usd)
