"""The Polymarket binary Monte Carlo: resolution, logit moves, neg-risk events, correlation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import logit

from agbotkit.risk.advanced.binary import (
    BinaryPosition,
    binary_var,
    simulate_binary_pnl,
    simulate_binary_prices,
)
from agbotkit.risk.advanced.montecarlo import standard_normals
from agbotkit.risk.advanced.tails import empirical_tail, tail_average
from agbotkit.risk.advanced.var import VarEngine
from agbotkit.risk.advanced.var_result import VarMethod, VarModel

PATHS = 100_000


def test_box_muller_draws_are_standard_normal() -> None:
    for dtype in (np.float32, np.float64):
        draws = standard_normals(np.random.default_rng(5), 200_001, dtype)
        assert draws.dtype == dtype
        assert draws.size == 200_001
        assert stats.kstest(draws.astype(np.float64), "norm").pvalue > 1e-3
        assert abs(draws.mean()) < 4 / math.sqrt(draws.size)
        assert np.corrcoef(draws[:-1], draws[1:])[0, 1] == pytest.approx(0.0, abs=0.01)


def test_a_resolving_market_pays_one_or_zero() -> None:
    """100 YES shares at 0.30 resolving tomorrow: PnL +70 with probability 0.3, else -30."""
    position = BinaryPosition("yes", 100, 0.3, 0.0, days_to_resolution=0.5)
    pnl = simulate_binary_pnl([position], time_horizon_days=1, paths=PATHS, seed=1)
    assert set(np.unique(pnl)) == {-30.0, 70.0}
    wins = int(np.count_nonzero(pnl > 0))
    assert stats.binomtest(wins, PATHS, 0.3).pvalue > 1e-3
    result = binary_var([position], confidence_level=0.95, paths=PATHS, seed=1)
    assert (result.var_usd, result.es_usd) == (30.0, 30.0)
    assert (result.method, result.model) == (VarMethod.MONTE_CARLO, VarModel.BINARY)
    assert result.portfolio_value_usd == pytest.approx(30.0)


def test_normal_var_is_misspecified_for_a_near_certain_share() -> None:
    """100 shares at 0.97: the normal VaR sees 28 USD at 95 % and 40 at 99 %; the payoff
    loses nothing 97 % of the time and 97 USD otherwise."""
    position = BinaryPosition("safe", 100, 0.97, 0.0, days_to_resolution=1)
    at_95 = binary_var([position], confidence_level=0.95, paths=PATHS)
    at_99 = binary_var([position], confidence_level=0.99, paths=PATHS)
    assert at_95.var_usd == pytest.approx(-3.0)  # the 5 % quantile is a win of 3
    # ES is the mean of the worst 5 % of paths: every loss of 97, then wins of 3.
    pnl = simulate_binary_pnl([position], time_horizon_days=1, paths=PATHS)
    lost = np.count_nonzero(pnl < 0) / PATHS
    assert lost == pytest.approx(0.03, abs=0.002)
    assert at_95.es_usd == pytest.approx((97 * lost - 3 * (0.05 - lost)) / 0.05, rel=1e-9)
    assert at_99.var_usd == pytest.approx(97.0)
    assert at_99.es_usd == pytest.approx(97.0)
    std = 100 * math.sqrt(0.97 * 0.03)
    assert stats.norm.isf(0.05) * std == pytest.approx(28.06, abs=0.01)
    assert stats.norm.isf(0.01) * std == pytest.approx(39.69, abs=0.01)


def test_one_outcome_of_a_neg_risk_event_wins() -> None:
    prices = [0.5, 0.3, 0.2]
    positions = [
        BinaryPosition(f"o{i}", 10, p, 0.1, days_to_resolution=0, event_id="election")
        for i, p in enumerate(prices)
    ]
    values = simulate_binary_prices(positions, time_horizon_days=1, paths=PATHS, seed=2)
    assert set(np.unique(values)) == {0.0, 1.0}
    assert (values.sum(axis=1) == 1).all()
    counts = values.sum(axis=0)
    assert stats.chisquare(counts, np.array(prices) * PATHS).pvalue > 1e-3


def test_an_over_round_event_is_normalised_and_a_partial_one_leaves_room() -> None:
    over = [BinaryPosition(f"o{i}", 1, p, 0, 0, "e") for i, p in enumerate([0.6, 0.5])]
    values = simulate_binary_prices(over, time_horizon_days=1, paths=PATHS, seed=3)
    assert (values.sum(axis=1) == 1).all()
    assert stats.binomtest(int(values[:, 0].sum()), PATHS, 0.6 / 1.1).pvalue > 1e-3
    partial = [BinaryPosition(f"o{i}", 1, p, 0, 0, "e") for i, p in enumerate([0.3, 0.2])]
    values = simulate_binary_prices(partial, time_horizon_days=1, paths=PATHS, seed=3)
    assert values.sum(axis=1).max() == 1
    assert stats.binomtest(int((values.sum(axis=1) == 0).sum()), PATHS, 0.5).pvalue > 1e-3


def test_an_unresolved_market_walks_in_logit_space() -> None:
    position = BinaryPosition("m", 50, 0.8, 0.25, days_to_resolution=30)
    values = simulate_binary_prices([position], time_horizon_days=4, paths=PATHS, seed=4)
    steps = logit(values[:, 0].astype(np.float64)) - logit(0.8)
    # float32 prices near 0.8 carry ~1e-7 of rounding: far below the 0.5 step.
    assert stats.kstest(steps / (0.25 * 2), "norm").pvalue > 1e-3


def test_a_complete_event_keeps_its_prices_summing_to_one() -> None:
    """YES and NO of one market as one event; NO's volatility 0 makes YES a logit walk."""
    yes = BinaryPosition("yes", 10, 0.4, 0.3, days_to_resolution=None, event_id="m")
    no = BinaryPosition("no", -5, 0.6, 0.0, days_to_resolution=None, event_id="m")
    values = simulate_binary_prices([yes, no], time_horizon_days=1, paths=PATHS, seed=5)
    np.testing.assert_allclose(values.sum(axis=1), 1.0, rtol=0, atol=1e-6)
    steps = logit(values[:, 0].astype(np.float64)) - logit(0.4)
    assert stats.kstest(steps / 0.3, "norm").pvalue > 1e-3


def test_no_volatility_and_no_resolution_means_no_risk() -> None:
    position = BinaryPosition("still", 1000, 0.55, 0.0)
    pnl = simulate_binary_pnl([position], time_horizon_days=7, paths=1000)
    assert not pnl.any()
    assert binary_var([position], paths=1000).var_usd == 0.0
    assert not simulate_binary_pnl([], time_horizon_days=1, paths=10).any()


def test_correlation_follows_the_positions_order() -> None:
    """A and C (resolving) perfectly correlated, B (moving) between them in the list: the
    simulation reorders columns internally and must still pair A with C."""
    a = BinaryPosition("a", 1, 0.5, 0.0, days_to_resolution=0)
    b = BinaryPosition("b", 1, 0.5, 0.2, days_to_resolution=None)
    c = BinaryPosition("c", 1, 0.5, 0.0, days_to_resolution=0)
    together = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])
    values = simulate_binary_prices(
        [a, b, c], time_horizon_days=1, paths=10_000, correlation=together
    )
    assert (values[:, 0] == values[:, 2]).all()
    opposed = np.array([[1.0, 0.0, -1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 1.0]])
    values = simulate_binary_prices(
        [a, b, c], time_horizon_days=1, paths=10_000, correlation=opposed
    )
    assert (values[:, 0] != values[:, 2]).all()


def test_same_seed_same_paths() -> None:
    positions = [BinaryPosition(f"t{i}", 10 * (i - 2), 0.1 + 0.15 * i, 0.2, i) for i in range(5)]
    first = simulate_binary_pnl(positions, time_horizon_days=2, paths=5000, seed=9)
    np.testing.assert_array_equal(
        first, simulate_binary_pnl(positions, time_horizon_days=2, paths=5000, seed=9)
    )
    assert not np.array_equal(
        first, simulate_binary_pnl(positions, time_horizon_days=2, paths=5000, seed=10)
    )


def test_engine_binary_uses_its_level_and_horizon() -> None:
    positions = [BinaryPosition("x", 100, 0.3, 0.0, 2.0)]
    # Resolves on day 2: within a 3-day horizon (VaR 30), not within one day (no move, 0).
    assert VarEngine(0.95, 3).binary(positions, paths=PATHS).var_usd == 30.0
    assert VarEngine(0.95, 1).binary(positions, paths=PATHS).var_usd == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"price": 1.2}, "price must be in"),
        ({"price": math.nan}, "price must be in"),
        ({"shares": math.inf}, "shares must be finite"),
        ({"daily_logit_volatility": -0.1}, "daily_logit_volatility"),
        ({"days_to_resolution": -1.0}, "days_to_resolution"),
    ],
)
def test_bad_positions_are_refused(kwargs: dict[str, float], message: str) -> None:
    fields: dict[str, float] = {"shares": 1.0, "price": 0.5, "daily_logit_volatility": 0.1}
    with pytest.raises(ValueError, match=message):
        BinaryPosition("t", **(fields | kwargs))  # type: ignore[arg-type]


def test_bad_portfolios_and_matrices_are_refused() -> None:
    p = BinaryPosition("t", 1, 0.5, 0.1, 1, "e")
    q = BinaryPosition("u", 1, 0.5, 0.1, 2, "e")
    with pytest.raises(ValueError, match="appears twice"):
        binary_var([p, p])
    with pytest.raises(ValueError, match="mixes days_to_resolution"):
        binary_var([p, q])
    alone = [BinaryPosition("a", 1, 0.5, 0.1), BinaryPosition("b", 1, 0.5, 0.1)]
    with pytest.raises(ValueError, match="2x2"):
        binary_var(alone, correlation=np.eye(3))
    with pytest.raises(ValueError, match="symmetric"):
        binary_var(alone, correlation=[[1.0, 0.5], [0.2, 1.0]])
    with pytest.raises(ValueError, match="diagonal"):
        binary_var(alone, correlation=[[2.0, 0.0], [0.0, 1.0]])
    three = [*alone, BinaryPosition("c", 1, 0.5, 0.1)]
    with pytest.raises(ValueError, match="positive semi-definite"):
        binary_var(three, correlation=[[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]])


POSITION = st.builds(
    BinaryPosition,
    token_id=st.uuids().map(str),
    shares=st.floats(-1000, 1000),
    price=st.floats(0, 1),
    daily_logit_volatility=st.floats(0, 2),
    days_to_resolution=st.none() | st.floats(0, 5),
    event_id=st.none() | st.sampled_from(["e1", "e2"]),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(POSITION, max_size=6, unique_by=lambda p: p.token_id), st.floats(0.5, 0.999))
def test_es_is_at_least_var_and_var_grows_with_confidence(
    positions: list[BinaryPosition], level: float
) -> None:
    # One event resolves at one time: align each event's members on its first one.
    first: dict[str | None, float | None] = {}
    aligned = []
    for p in positions:
        days = (
            first.setdefault(p.event_id, p.days_to_resolution)
            if p.event_id
            else p.days_to_resolution
        )
        aligned.append(
            BinaryPosition(
                p.token_id, p.shares, p.price, p.daily_logit_volatility, days, p.event_id
            )
        )
    lower = binary_var(aligned, confidence_level=level, paths=2000, seed=1)
    higher = binary_var(aligned, confidence_level=min(level + 0.0005, 0.9999), paths=2000, seed=1)
    assert lower.es_usd >= lower.var_usd
    assert lower.var_usd <= higher.var_usd


def test_extreme_prices_and_volatilities_stay_finite() -> None:
    positions = [
        BinaryPosition("tiny", 10, 1e-45, 100.0),
        BinaryPosition("one", 10, 1.0, 100.0),
        BinaryPosition("near_one", 10, 1 - 1e-12, 100.0),
        BinaryPosition("wild", 10, 0.5, 100.0),
        BinaryPosition("e1", 10, 0.5, 100.0, event_id="e"),
        BinaryPosition("e2", 10, 0.5, 0.0, event_id="e"),
    ]
    values = simulate_binary_prices(positions, time_horizon_days=1, paths=20_000)
    assert np.isfinite(values).all()
    assert values.min() >= 0
    assert values.max() <= 1
    assert values[:, 0].max() == 0
    assert values[:, 1].min() == 1
    # A step of 100 logits sends the price to 0 or 1 almost surely, half the time each.
    assert stats.binomtest(int((values[:, 3] > 0.5).sum()), 20_000, 0.5).pvalue > 1e-3


def test_antithetic_paths_mirror_the_first_half() -> None:
    position = BinaryPosition("m", 1, 0.3, 0.5)
    values = simulate_binary_prices([position], time_horizon_days=1, paths=1001)[:, 0]
    steps = logit(values.astype(np.float64)) - logit(0.3)
    np.testing.assert_allclose(steps[501:], -steps[:500], rtol=1e-4, atol=1e-5)
    independent = simulate_binary_prices(
        [position], time_horizon_days=1, paths=PATHS, antithetic=False
    )
    steps = logit(independent[:, 0].astype(np.float64)) - logit(0.3)
    assert stats.kstest(steps / 0.5, "norm").pvalue > 1e-3
    assert not np.allclose(steps[PATHS // 2 :], -steps[: PATHS // 2], atol=1e-3)


def test_tail_average_agrees_with_the_historical_es_on_distinct_outcomes() -> None:
    sample = np.random.default_rng(6).standard_normal(200_000)
    var, es = tail_average(sample, 0.01)
    assert (var, es) == pytest.approx(empirical_tail(sample, 0.01), rel=1e-3)
    assert es == pytest.approx(stats.norm.pdf(stats.norm.isf(0.01)) / 0.01, rel=0.02)
