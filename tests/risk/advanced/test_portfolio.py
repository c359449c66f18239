"""Portfolio analytics against numpy and scipy; Euler components sum to the total."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from agbotkit.risk.advanced.portfolio import (
    correlation_matrix,
    covariance_matrix,
    portfolio_var,
    portfolio_volatility,
)

REL = 1e-10


@pytest.fixture
def returns() -> np.ndarray:
    rng = np.random.default_rng(8)
    mix = np.array(
        [[1.0, 0.0, 0.0, 0.0], [0.6, 0.8, 0.0, 0.0], [-0.3, 0.2, 0.9, 0.0], [0.1, 0.1, 0.1, 0.97]]
    )
    return 0.0002 + 0.01 * rng.standard_normal((750, 4)) @ mix.T


EXPOSURES = np.array([250_000.0, -100_000.0, 400_000.0, 50_000.0])


def test_covariance_and_correlation_match_numpy(returns: np.ndarray) -> None:
    np.testing.assert_allclose(
        covariance_matrix(returns), np.cov(returns, rowvar=False, ddof=1), rtol=REL
    )
    np.testing.assert_allclose(
        correlation_matrix(returns), np.corrcoef(returns, rowvar=False), rtol=REL
    )


def test_volatility_and_var_match_scipy(returns: np.ndarray) -> None:
    sigma = np.cov(returns, rowvar=False)
    volatility = math.sqrt(EXPOSURES @ sigma @ EXPOSURES)
    assert portfolio_volatility(EXPOSURES, sigma) == pytest.approx(volatility, rel=REL)
    result = portfolio_var(EXPOSURES, sigma, confidence_level=0.99, time_horizon_days=10)
    expected = -stats.norm.ppf(0.01, loc=0.0, scale=volatility * math.sqrt(10))
    assert result.var_usd == pytest.approx(expected, rel=REL)
    assert not result.mean_adjusted
    mu = returns.mean(axis=0)
    adjusted = portfolio_var(
        EXPOSURES, sigma, confidence_level=0.99, time_horizon_days=10, mean_returns=mu
    )
    expected = -stats.norm.ppf(0.01, loc=10 * EXPOSURES @ mu, scale=volatility * math.sqrt(10))
    assert adjusted.var_usd == pytest.approx(expected, rel=REL)
    assert sum(adjusted.component_var_usd) == pytest.approx(adjusted.var_usd, rel=1e-9)


def test_components_sum_and_marginals_are_derivatives(returns: np.ndarray) -> None:
    sigma = covariance_matrix(returns)
    result = portfolio_var(EXPOSURES, sigma)
    assert sum(result.component_var_usd) == pytest.approx(result.var_usd, rel=1e-12)
    for i in range(EXPOSURES.size):
        bump = np.zeros_like(EXPOSURES)
        bump[i] = 1.0
        up = portfolio_var(EXPOSURES + bump, sigma).var_usd
        down = portfolio_var(EXPOSURES - bump, sigma).var_usd
        assert result.marginal_var[i] == pytest.approx((up - down) / 2, rel=1e-6)
    standalone = [
        portfolio_var([w], sigma[i : i + 1, i : i + 1]).var_usd for i, w in enumerate(EXPOSURES)
    ]
    np.testing.assert_allclose(result.standalone_var_usd, standalone, rtol=REL)
    assert result.undiversified_var_usd == pytest.approx(sum(standalone), rel=REL)
    assert result.diversification_benefit_usd > 0


def test_perfect_correlation_has_no_diversification() -> None:
    sigma = np.array([[0.0001, 0.0002], [0.0002, 0.0004]])  # correlation 1
    result = portfolio_var([100.0, 50.0], sigma)
    assert result.var_usd == pytest.approx(result.undiversified_var_usd, rel=REL)
    flat = portfolio_var([0.0, 0.0], sigma)
    assert (flat.var_usd, flat.component_var_usd) == (0.0, (0.0, 0.0))


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="2-D"):
        covariance_matrix([0.1, 0.2])
    with pytest.raises(ValueError, match="at least 2 days"):
        covariance_matrix([[0.1, 0.2]])
    with pytest.raises(ValueError, match=r"returns\[1, 0\]"):
        covariance_matrix([[0.1, 0.2], [np.nan, 0.1]])
    with pytest.raises(ValueError, match="never varies"):
        correlation_matrix([[0.1, 0.2], [0.1, 0.3]])
    with pytest.raises(ValueError, match="2x2"):
        portfolio_var([1.0, 2.0], np.eye(3))
    with pytest.raises(ValueError, match="symmetric"):
        portfolio_var([1.0, 2.0], [[1.0, 0.5], [0.1, 1.0]])
    with pytest.raises(ValueError, match="positive semi-definite"):
        portfolio_volatility([1.0, 1.0], [[1.0, -2.0], [-2.0, 1.0]])
    with pytest.raises(ValueError, match="mean_returns"):
        portfolio_var([1.0], [[1.0]], mean_returns=[0.1, 0.2])


@settings(max_examples=200, deadline=None)
@given(
    arrays(
        np.float64, st.tuples(st.integers(3, 40), st.integers(1, 6)), elements=st.floats(-0.2, 0.2)
    ),
    st.data(),
    st.floats(0.5, 0.999),
)
def test_component_var_sums_to_total(sample: np.ndarray, data: st.DataObject, level: float) -> None:
    weights = data.draw(arrays(np.float64, sample.shape[1], elements=st.floats(-1e6, 1e6)))
    result = portfolio_var(weights, covariance_matrix(sample), confidence_level=level)
    scale = sum(abs(c) for c in result.component_var_usd) + abs(result.var_usd)
    assert abs(sum(result.component_var_usd) - result.var_usd) <= 1e-9 * max(scale, 1e-300)
    assert result.undiversified_var_usd >= result.var_usd - 1e-9 * max(scale, 1e-300)


def test_worked_example_of_the_methodology() -> None:
    """VAR_METHODOLOGY.md: $600k and $400k, vols 1 % and 2 %, correlation 0.3, 95 %."""
    sigma = np.array([[1e-4, 0.3 * 0.01 * 0.02], [0.3 * 0.01 * 0.02, 4e-4]])
    result = portfolio_var([600_000.0, 400_000.0], sigma)
    assert round(result.volatility_usd, 2) == 11_349.01
    assert round(result.var_usd, 2) == 18_667.46
    assert [round(c, 2) for c in result.component_var_usd] == [7_304.66, 11_362.80]
    assert [round(c, 2) for c in result.standalone_var_usd] == [9_869.12, 13_158.83]
    assert round(result.diversification_benefit_usd, 2) == 4_360.49
