"""VarEngine: historical, parametric and Monte Carlo VaR against independent references."""

from __future__ import annotations

import math

import empyrical
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from agbotkit.risk.advanced.var import VarEngine, VarMethod, VarResult, tail_probability
from agbotkit.risk.advanced.var_result import HorizonScaling, VarModel

REL = 1e-10
VALUE = 1_000_000.0


@pytest.fixture
def returns() -> np.ndarray:
    """Ten years of fat-tailed daily returns (Student t, 4 dof, 1 % scale)."""
    return stats.t.rvs(4, scale=0.01, size=2520, random_state=np.random.default_rng(7))


def test_tail_probability_is_exact() -> None:
    assert tail_probability(0.95) == 0.05
    assert tail_probability(0.99) == 0.01
    assert tail_probability(0.975) == 0.025
    assert 1 - 0.95 != 0.05  # the reason for the function
    assert VarEngine(0.99).tail_probability == 0.01


@pytest.mark.parametrize("level", [0.0, 1.0, 95, -0.5, math.nan, math.inf])
def test_tail_probability_refuses_levels_outside_the_unit_interval(level: float) -> None:
    with pytest.raises(ValueError, match="confidence_level must be in"):
        tail_probability(level)


def _type7_quantile(sample: np.ndarray, p: float) -> float:
    """Hyndman-Fan type 7, written out: h = (n - 1) p, interpolate between order statistics."""
    ordered = np.sort(sample)
    h = (ordered.size - 1) * p
    low = math.floor(h)
    high = min(low + 1, ordered.size - 1)
    return float(ordered[low] + (h - low) * (ordered[high] - ordered[low]))


@pytest.mark.parametrize("level", [0.95, 0.99, 0.975])
def test_historical_matches_numpy_quantile_and_empyrical(returns: np.ndarray, level: float) -> None:
    alpha = {0.95: 0.05, 0.99: 0.01, 0.975: 0.025}[level]
    result = VarEngine(level).historical(returns, VALUE)
    quantile = np.quantile(returns, alpha)
    assert result.var_usd == pytest.approx(-quantile * VALUE, rel=REL)
    assert result.var_usd == pytest.approx(-_type7_quantile(returns, alpha) * VALUE, rel=REL)
    assert result.var_usd == pytest.approx(
        -empyrical.value_at_risk(returns, alpha) * VALUE, rel=REL
    )
    expected_es = -returns[returns <= quantile].mean() * VALUE
    assert result.es_usd == pytest.approx(expected_es, rel=REL)
    # empyrical averages the floor((n - 1) alpha) + 1 lowest returns: the same set without ties.
    cvar = empyrical.conditional_value_at_risk(returns, alpha)
    assert result.es_usd == pytest.approx(-cvar * VALUE, rel=REL)
    assert result.method is VarMethod.HISTORICAL
    assert (result.model, result.horizon_scaling) == (VarModel.EMPIRICAL, HorizonScaling.SQRT_TIME)
    assert result.observations == returns.size


def test_historical_scales_by_square_root_of_time(returns: np.ndarray) -> None:
    one = VarEngine(0.99, 1).historical(returns, VALUE)
    ten = VarEngine(0.99, 10).historical(returns, VALUE)
    assert ten.var_usd == pytest.approx(one.var_usd * math.sqrt(10), rel=REL)
    assert ten.es_usd == pytest.approx(one.es_usd * math.sqrt(10), rel=REL)
    assert ten.time_horizon_days == 10


@pytest.mark.parametrize("mean_adjusted", [True, False])
@pytest.mark.parametrize(("level", "horizon"), [(0.95, 1), (0.99, 1), (0.99, 10), (0.9, 2.5)])
def test_parametric_matches_scipy_norm(
    returns: np.ndarray, level: float, horizon: float, mean_adjusted: bool
) -> None:
    alpha = float(round(1 - level, 10))
    mu = returns.mean() * horizon if mean_adjusted else 0.0
    sigma = returns.std(ddof=1) * math.sqrt(horizon)
    result = VarEngine(level, horizon).parametric(returns, VALUE, mean_adjusted=mean_adjusted)
    assert result.var_usd == pytest.approx(-stats.norm.ppf(alpha, mu, sigma) * VALUE, rel=REL)
    quantile = stats.norm.ppf(alpha, mu, sigma)
    tail_mean = stats.truncnorm.mean(-np.inf, (quantile - mu) / sigma, loc=mu, scale=sigma)
    assert result.es_usd == pytest.approx(-tail_mean * VALUE, rel=REL)
    assert result.mean_adjusted is mean_adjusted
    assert result.variant.startswith("parametric/normal/")


def test_parametric_worked_example() -> None:
    """The example in VAR_METHODOLOGY.md: mu = 0.05 %, sigma = 1 %, 95 %, 10 days, $1M."""
    rng = np.random.default_rng(0)
    raw = rng.standard_normal(500)
    returns = 0.0005 + 0.01 * (raw - raw.mean()) / raw.std(ddof=1)
    result = VarEngine(0.95, 10).parametric(returns, VALUE)
    assert result.var_usd == pytest.approx(47_014.84, abs=0.01)
    assert result.es_usd == pytest.approx(60_228.71, abs=0.01)
    zero = VarEngine(0.95, 10).parametric(returns, VALUE, mean_adjusted=False)
    assert zero.var_usd == pytest.approx(52_014.84, abs=0.01)


def test_monte_carlo_normal_converges_to_parametric(returns: np.ndarray) -> None:
    engine = VarEngine(0.99, 5)
    simulated = engine.monte_carlo(returns, VALUE, paths=200_000, seed=3)
    closed = engine.parametric(returns, VALUE)
    # The 1 % quantile of 200,000 draws has a standard error near 0.8 % of the VaR.
    assert simulated.var_usd == pytest.approx(closed.var_usd, rel=0.03)
    assert simulated.es_usd == pytest.approx(closed.es_usd, rel=0.03)
    assert (simulated.method, simulated.model) == (VarMethod.MONTE_CARLO, VarModel.NORMAL)
    assert (simulated.paths, simulated.seed) == (200_000, 3)


def test_monte_carlo_is_deterministic_for_a_seed(returns: np.ndarray) -> None:
    engine = VarEngine()
    first = engine.monte_carlo(returns, VALUE, seed=11)
    assert engine.monte_carlo(returns, VALUE, seed=11) == first
    assert engine.monte_carlo(returns, VALUE, seed=12).var_usd != first.var_usd


def test_monte_carlo_bootstrap_resamples_the_history(returns: np.ndarray) -> None:
    one_day = VarEngine(0.95).monte_carlo(returns, VALUE, paths=400_000, model="bootstrap")
    historical = VarEngine(0.95).historical(returns, VALUE)
    assert one_day.model is VarModel.BOOTSTRAP
    assert one_day.var_usd == pytest.approx(historical.var_usd, rel=0.02)
    ten_day = VarEngine(0.95, 10).monte_carlo(returns, VALUE, model="bootstrap")
    assert ten_day.horizon_scaling is HorizonScaling.SIMULATED
    with pytest.raises(ValueError, match="whole number of days"):
        VarEngine(0.95, 2.5).monte_carlo(returns, VALUE, model="bootstrap")
    with pytest.raises(ValueError, match="model must be"):
        VarEngine().monte_carlo(returns, VALUE, model="binary")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda e: e.historical([], VALUE), "at least 1"),
        (lambda e: e.historical([0.01, math.nan], VALUE), r"returns\[1\] is nan"),
        (lambda e: e.historical([[0.01]], VALUE), "one-dimensional"),
        (lambda e: e.parametric([0.01], VALUE), "at least 2"),
        (lambda e: e.historical([0.01], -1.0), "portfolio_value_usd"),
        (lambda e: e.historical([0.01], math.inf), "portfolio_value_usd"),
        (lambda e: e.monte_carlo([0.01, 0.02], VALUE, paths=1), "paths"),
    ],
)
def test_bad_input_names_the_argument(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(VarEngine())  # type: ignore[operator]


@pytest.mark.parametrize("horizon", [0, -1, math.nan])
def test_engine_refuses_bad_horizons(horizon: float) -> None:
    with pytest.raises(ValueError, match="time_horizon_days"):
        VarEngine(0.95, horizon)


def test_result_is_a_frozen_value(returns: np.ndarray) -> None:
    result = VarEngine().historical(returns, VALUE)
    assert isinstance(result, VarResult)
    assert result.tail_probability == 0.05
    with pytest.raises(AttributeError):
        result.var_usd = 0.0  # type: ignore[misc]


# -- properties ------------------------------------------------------------------------

RETURNS = arrays(
    np.float64,
    st.integers(2, 300),
    elements=st.floats(-0.5, 0.5, allow_nan=False, allow_subnormal=False),
)
LEVELS = st.lists(st.floats(0.5, 0.999), min_size=2, max_size=2, unique=True).map(sorted)


@settings(max_examples=200, deadline=None)
@given(RETURNS, LEVELS, st.sampled_from(["historical", "parametric", "zero_mean", "mc"]))
def test_var_grows_with_confidence_and_es_is_at_least_var(
    sample: np.ndarray, levels: list[float], method: str
) -> None:
    figures = []
    for level in levels:
        engine = VarEngine(level, 3)
        if method == "historical":
            result = engine.historical(sample, VALUE)
        elif method == "mc":
            result = engine.monte_carlo(sample, VALUE, paths=500, seed=1, model="bootstrap")
        else:
            result = engine.parametric(sample, VALUE, mean_adjusted=method == "parametric")
        assert result.es_usd >= result.var_usd
        figures.append(result.var_usd)
    assert figures[0] <= figures[1]


def test_historical_worked_example() -> None:
    """The example in VAR_METHODOLOGY.md: 20 returns, 95 %, $100,000."""
    returns = [0.012, -0.008, 0.004, -0.021, 0.007, 0.015, -0.003, -0.034, 0.009, 0.001]
    returns += [-0.012, 0.006, 0.019, -0.027, 0.002, -0.005, 0.011, -0.016, 0.008, 0.003]
    result = VarEngine(0.95).historical(returns, 100_000)
    # h = (20 - 1) * 0.05 = 0.95: q = -0.034 + 0.95 * (-0.027 - -0.034) = -0.02735.
    assert result.var_usd == pytest.approx(2_735.0, rel=REL)
    assert result.es_usd == pytest.approx(3_400.0, rel=REL)  # only -0.034 is at or below q
    assert VarEngine(0.95, 10).historical(returns, 100_000).var_usd == pytest.approx(
        8_648.83, abs=0.01
    )
