"""VaR backtests: Kupiec, Christoffersen and conditional coverage."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from agbotkit.risk.advanced.backtesting import (
    Transitions,
    backtest,
    christoffersen_independence,
    exceptions,
    kupiec_pof,
    transitions,
)
from agbotkit.risk.advanced.var import VarEngine

REL = 1e-10


def _reference_pof(x: int, t: int, alpha: float) -> float:
    """LR_pof from binomial log-likelihoods: the binomial coefficients cancel."""
    return -2 * (stats.binom.logpmf(x, t, alpha) - stats.binom.logpmf(x, t, x / t))


def _reference_ind(n00: int, n01: int, n10: int, n11: int) -> float:
    pi = (n01 + n11) / (n00 + n01 + n10 + n11)
    pi01 = n01 / (n00 + n01) if n00 + n01 else 0.0
    pi11 = n11 / (n10 + n11) if n10 + n11 else 0.0
    restricted = stats.binom.logpmf(n01, n00 + n01, pi) + stats.binom.logpmf(n11, n10 + n11, pi)
    free = stats.binom.logpmf(n01, n00 + n01, pi01) + stats.binom.logpmf(n11, n10 + n11, pi11)
    return -2 * (restricted - free)


@pytest.mark.parametrize(
    ("x", "t", "alpha"),
    [(19, 250, 0.05), (0, 250, 0.01), (250, 250, 0.05), (31, 1000, 0.01), (80, 1000, 0.05)],
)
def test_kupiec_matches_binomial_likelihoods(x: int, t: int, alpha: float) -> None:
    lr, p = kupiec_pof(x, t, alpha)
    assert lr == pytest.approx(_reference_pof(x, t, alpha), rel=REL)
    assert p == pytest.approx(stats.chi2.sf(_reference_pof(x, t, alpha), 1), rel=1e-9)


@pytest.mark.parametrize(
    "counts",
    [(900, 40, 41, 18), (950, 24, 25, 0), (0, 0, 0, 12), (940, 30, 29, 0), (700, 100, 100, 99)],
)
def test_christoffersen_matches_binomial_likelihoods(counts: tuple[int, int, int, int]) -> None:
    lr, p = christoffersen_independence(Transitions(*counts))
    reference = _reference_ind(*counts)
    assert lr == pytest.approx(reference, rel=REL, abs=1e-12)
    assert p == pytest.approx(stats.chi2.sf(reference, 1), rel=1e-9)


def test_exceptions_are_losses_strictly_beyond_var() -> None:
    hits = exceptions([-1.0, -2.0, -2.5, 3.0], [2.0, 2.0, 2.0, 2.0])
    assert hits.tolist() == [False, False, True, False]
    assert exceptions([-3.0, 0.0], 2.0).tolist() == [True, False]
    with pytest.raises(ValueError, match="one forecast per pnl day"):
        exceptions([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="var must be finite"):
        exceptions([1.0], [np.nan])


def test_transitions_count_the_t_minus_one_pairs() -> None:
    counts = transitions([0, 1, 1, 0, 0, 1])
    assert counts == Transitions(n00=1, n01=2, n10=1, n11=1)
    assert sum(attrs_values(counts)) == 5


def attrs_values(counts: Transitions) -> list[int]:
    return [counts.n00, counts.n01, counts.n10, counts.n11]


def test_backtest_ties_the_pieces_together() -> None:
    rng = np.random.default_rng(1)
    pnl = rng.standard_normal(500)
    result = backtest(pnl, 1.5, 0.95)
    x = int((pnl < -1.5).sum())
    assert (result.observations, result.exceptions) == (500, x)
    assert result.expected_exceptions == pytest.approx(25.0)
    assert result.lr_pof == pytest.approx(_reference_pof(x, 500, 0.05), rel=REL)
    assert result.lr_cc == pytest.approx(result.lr_pof + result.lr_ind, rel=REL)
    assert result.p_cc == pytest.approx(stats.chi2.sf(result.lr_cc, 2), rel=1e-9)


def test_a_well_specified_model_passes() -> None:
    """Rolling 250-day parametric VaR on normal returns: the model is right, so the
    exception rate stays at 5 % within sampling error and no test rejects."""
    rng = np.random.default_rng(2024)
    returns = 0.0003 + 0.01 * rng.standard_normal(1250)
    engine = VarEngine(0.95)
    forecasts = np.array(
        [engine.parametric(returns[d - 250 : d], 1.0).var_usd for d in range(250, 1250)]
    )
    result = backtest(returns[250:], forecasts, 0.95)
    assert result.exception_rate <= 0.05 + 1.96 * np.sqrt(0.05 * 0.95 / 1000)
    assert min(result.p_pof, result.p_ind, result.p_cc) > 0.05
    assert not result.rejected()


def test_violations_average_five_percent_and_kupiec_has_its_size() -> None:
    """400 independent years with the true 95 % VaR: the mean exception rate is 5 % within
    three standard errors, and Kupiec rejects at the 5 % level about 5 % of the time."""
    rng = np.random.default_rng(3)
    true_var = stats.norm.isf(0.05)
    results = [backtest(rng.standard_normal(250), true_var, 0.95) for _ in range(400)]
    rate = np.mean([r.exception_rate for r in results])
    assert abs(rate - 0.05) < 3 * np.sqrt(0.05 * 0.95 / (400 * 250))
    rejections = np.mean([r.p_pof < 0.05 for r in results])
    assert rejections < 0.05 + 3 * np.sqrt(0.05 * 0.95 / 400)


def test_a_too_small_var_is_rejected() -> None:
    rng = np.random.default_rng(4)
    returns = 0.01 * rng.standard_normal(1000)
    result = backtest(returns, 0.6 * stats.norm.isf(0.05, scale=0.01), 0.95)
    assert result.exception_rate > 0.1
    assert result.p_pof < 1e-6
    assert result.p_cc < 1e-6
    assert result.rejected()


def test_clustered_exceptions_fail_independence() -> None:
    """Calm and stormy regimes lasting ~50 days, VaR fixed at the pooled 95 % quantile:
    coverage is about right but the exceptions bunch in the storms."""
    rng = np.random.default_rng(5)
    regime = np.repeat(rng.random(40) < 0.3, 50)
    returns = np.where(regime, 0.03, 0.005) * rng.standard_normal(regime.size)
    var = -np.quantile(returns, 0.05)
    result = backtest(returns, var, 0.95)
    assert result.p_pof > 0.05
    assert result.p_ind < 0.001
    assert result.rejected()


def test_bad_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="exception_count"):
        kupiec_pof(5, 3, 0.05)
    assert christoffersen_independence(Transitions(0, 0, 0, 0)) == (0.0, 1.0)


def test_worked_example_of_the_methodology() -> None:
    """VAR_METHODOLOGY.md: T = 250, 19 exceptions, transitions 215/15/15/4."""
    lr_pof, p_pof = kupiec_pof(19, 250, 0.05)
    assert (round(lr_pof, 4), round(p_pof, 4)) == (3.0905, 0.0787)
    lr_ind, p_ind = christoffersen_independence(Transitions(215, 15, 15, 4))
    assert (round(lr_ind, 4), round(p_ind, 4)) == (3.8289, 0.0504)
    assert round(stats.chi2.sf(lr_pof + lr_ind, 2), 4) == 0.0314
