"""Performance metrics against empyrical-reloaded, and the pinned edge cases.

empyrical-reloaded (0.7) follows every convention pinned in issue 15: 252 periods, risk-free
rate 0, ddof = 1, Sortino's downside deviation over all N returns with the arithmetic mean x
252 on top, max drawdown anchored at the starting equity before the first return, CAGR over
N / 252 years. It differs only where a denominator is zero: it answers NaN (Sharpe of a
constant series, Calmar without a drawdown), we answer +-inf or 0.0 (see the module); those
cases are checked against the formula here instead.
"""

from __future__ import annotations

import math

import empyrical
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from agbotkit.risk.advanced import performance as perf
from agbotkit.risk.advanced.performance import PerformanceReport

REL = 1e-10

# Daily returns of 0 or at least 0.01 % in size: below that, E / peak - 1 and E ** (252 / N) - 1
# cancel to a few significant digits in any implementation (empyrical's included), and the
# comparison would measure rounding, not conventions.
daily_returns = arrays(
    np.float64,
    st.integers(min_value=2, max_value=300),
    elements=st.one_of(
        st.just(0.0),
        st.floats(min_value=1e-4, max_value=0.5),
        st.floats(min_value=-0.5, max_value=-1e-4),
    ),
)


def golden(returns: np.ndarray) -> dict[str, float]:
    """empyrical's figures for the metrics whose conventions match ours."""
    figures = {
        "total_return": float(empyrical.cum_returns_final(returns)),
        "cagr": float(empyrical.cagr(returns)),
        "annual_volatility": float(empyrical.annual_volatility(returns)),
        "sharpe_ratio": float(empyrical.sharpe_ratio(returns)),
        "sortino_ratio": float(empyrical.sortino_ratio(returns)),
        "downside_deviation": float(empyrical.downside_risk(returns)),
        "max_drawdown": float(empyrical.max_drawdown(returns)),
        "calmar_ratio": float(empyrical.calmar_ratio(returns)),
    }
    if returns.max() == returns.min():
        # A constant series: empyrical's volatility keeps the ~1e-15 rounding residue of
        # the mean (its Sharpe already treats it as exactly 0, as we do everywhere).
        figures["annual_volatility"] = 0.0
    return figures


def assert_matches(ours: float, reference: float, *, floor: float = 1e-14) -> None:
    # Relative 1e-10, with an absolute floor for figures that are zero up to rounding
    # (a total return of 1e-17 from a product of ones).
    assert ours == pytest.approx(reference, rel=REL, abs=floor)


@pytest.mark.parametrize("seed", range(8))
def test_ten_years_of_daily_returns_match_empyrical(seed: int) -> None:
    rng = np.random.default_rng(seed)
    returns = rng.normal(0.0004, 0.012, size=2520)
    report = PerformanceReport.from_returns(returns)
    for name, reference in golden(returns).items():
        assert_matches(getattr(perf, name)(returns), reference)
        assert_matches(getattr(report, name), reference)
    assert report.observations == 2520


@settings(max_examples=200, deadline=None)
@given(daily_returns)
def test_any_series_matches_empyrical_where_defined(returns: np.ndarray) -> None:
    report = PerformanceReport.from_returns(returns)
    for name, reference in golden(returns).items():
        if math.isnan(reference):
            continue  # empyrical's 0/0 and x/0; the pinned answers are tested below
        # Gains and losses that offset leave a total near 0 known to ~1e-16 (the rounding of
        # the product), which a drawdown of 0.01 % magnifies in Calmar to ~1e-12.
        assert_matches(getattr(report, name), reference, floor=1e-10)


@settings(max_examples=100, deadline=None)
@given(daily_returns)
def test_report_fields_are_the_functions(returns: np.ndarray) -> None:
    report = PerformanceReport.from_returns(returns)
    for name in golden(returns):
        assert getattr(report, name) == getattr(perf, name)(returns)


def test_worked_example_of_the_docs() -> None:
    # docs/risk/PERFORMANCE_METRICS.md works these five returns out by hand.
    returns = [0.10, -0.20, 0.05, 0.10, -0.02]
    equity = [1.0, 1.1, 0.88, 0.924, 1.0164, 0.996072]
    np.testing.assert_allclose(perf.equity_curve(returns), equity, rtol=1e-14)
    np.testing.assert_allclose(
        perf.drawdown_series(returns), [0, 0, -0.2, -0.16, -0.076, -0.09448], rtol=1e-12
    )
    assert perf.total_return(returns) == pytest.approx(-0.003928, rel=1e-11)
    assert perf.max_drawdown(returns) == pytest.approx(-0.2, rel=1e-12)
    # Mean 0.006; squared deviations from it sum to 0.06272, over N - 1 = 4.
    std = math.sqrt(0.06272 / 4)
    assert perf.annual_volatility(returns) == pytest.approx(std * math.sqrt(252), rel=1e-12)
    assert perf.sharpe_ratio(returns) == pytest.approx(0.006 / std * math.sqrt(252), rel=1e-12)
    # The two losses square to 0.04 + 0.0004, averaged over all N = 5 returns.
    downside = math.sqrt(0.0404 / 5) * math.sqrt(252)
    assert perf.downside_deviation(returns) == pytest.approx(downside, rel=1e-12)
    assert perf.sortino_ratio(returns) == pytest.approx(0.006 * 252 / downside, rel=1e-12)
    growth = 0.996072 ** (252 / 5) - 1
    assert perf.cagr(returns) == pytest.approx(growth, rel=1e-11)
    assert perf.calmar_ratio(returns) == pytest.approx(growth / 0.2, rel=1e-11)


def test_drawdown_is_anchored_at_the_starting_equity() -> None:
    # A loss on the first day is a drawdown from the 1.0 invested before it.
    assert perf.max_drawdown([-0.1, 0.05]) == pytest.approx(-0.1, rel=1e-15)
    assert perf.drawdown_series([-0.1])[0] == 0.0
    assert perf.max_drawdown([0.1, 0.2]) == 0.0


def test_all_zero_returns_give_zeros_not_nan() -> None:
    report = PerformanceReport.from_returns(np.zeros(10))
    assert attrs_values(report) == [10, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]


def test_no_losses_give_infinite_sortino_and_calmar() -> None:
    returns = [0.01, 0.02, 0.0, 0.01]
    assert perf.sortino_ratio(returns) == math.inf
    assert perf.downside_deviation(returns) == 0.0
    assert perf.calmar_ratio(returns) == math.inf
    assert perf.max_drawdown(returns) == 0.0


def test_constant_returns_give_an_infinite_sharpe_of_their_sign() -> None:
    assert perf.annual_volatility([0.001] * 50) == 0.0
    assert perf.sharpe_ratio([0.001] * 50) == math.inf
    assert perf.sharpe_ratio([-0.001] * 50) == -math.inf
    assert perf.sortino_ratio([-0.001] * 50) < 0.0


def test_a_total_loss_is_minus_one_everywhere() -> None:
    report = PerformanceReport.from_returns([0.1, -1.0, 0.0])
    assert report.total_return == -1.0
    assert report.cagr == -1.0
    assert report.max_drawdown == -1.0
    assert report.calmar_ratio == -1.0


@pytest.mark.parametrize(
    ("returns", "message"),
    [
        ([], "expected a non-empty series, got 0"),
        ([0.01, math.nan], "must be finite, got nan at index 1"),
        ([math.inf, 0.0], "must be finite, got inf at index 0"),
        ([0.01, -1.5], "cannot be below -1"),
        ([[0.01, 0.02]], "expected a 1-D series"),
    ],
)
def test_bad_series_are_refused(returns: list[float], message: str) -> None:
    for metric in (perf.total_return, perf.cagr, perf.max_drawdown, perf.sortino_ratio):
        with pytest.raises(ValueError, match=message):
            metric(returns)
    with pytest.raises(ValueError, match="returns: "):
        PerformanceReport.from_returns(returns)


def test_sample_statistics_need_two_returns() -> None:
    for metric in (perf.sharpe_ratio, perf.annual_volatility, PerformanceReport.from_returns):
        with pytest.raises(ValueError, match="expected at least 2 returns, got 1"):
            metric([0.01])
    assert perf.total_return([0.01]) == pytest.approx(0.01, rel=1e-15)


def attrs_values(report: PerformanceReport) -> list[float]:
    return [
        report.observations,
        report.total_return,
        report.cagr,
        report.annual_volatility,
        report.sharpe_ratio,
        report.sortino_ratio,
        report.downside_deviation,
        report.max_drawdown,
        report.calmar_ratio,
    ]
