"""The portfolio-risk view: its cached variance terms equal a full recomputation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agbotkit.risk.advanced.greeks import Greeks
from agbotkit.risk.pricehistory import PriceHistory
from agbotkit.risk.riskview import PROBABILITY_GREEKS, PortfolioRisk

from .riskdata import fed_view, reference_covariance, walk

shares = st.floats(-5_000, 5_000, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    tokens=st.integers(1, 6),
    samples=st.integers(12, 80),
    holdings=st.lists(shares, min_size=6, max_size=6),
    order=shares,
    which=st.integers(0, 5),
)
def test_incremental_variance_equals_full_recomputation(
    seed: int, tokens: int, samples: int, holdings: list[float], order: float, which: int
) -> None:
    prices = walk(tokens, samples, seed)
    view, names = fed_view(prices, window=50)
    for name, held in zip(names, holdings, strict=False):
        view.set_position(name, held)
    i = which % tokens
    weights = np.array(holdings[:tokens])
    covariance = reference_covariance(prices, 50)
    assert view.variance == pytest.approx(weights @ covariance @ weights, rel=1e-9, abs=1e-9)
    terms = view.variance_terms(names[i])
    assert terms is not None
    sigma_w, sigma_ii = terms
    incremental = view.variance + 2 * order * sigma_w + order * order * sigma_ii
    moved = weights.copy()
    moved[i] += order
    assert incremental == pytest.approx(moved @ covariance @ moved, rel=1e-7, abs=1e-7)


def test_a_token_is_cold_until_it_has_enough_changes() -> None:
    view = PortfolioRisk(PriceHistory(interval_s=60, window=20, min_observations=5))
    for step in range(5):  # five samples: four changes
        view.mark("a", 0.5 + step / 100)
        view.sample()
    view.set_position("a", 10)
    assert view.variance_terms("a") is None
    assert view.cold_tokens == ("a",)
    assert view.cold_square == 100
    view.sample()  # the fifth change (no move)
    assert view.variance_terms("a") is not None
    assert view.cold_tokens == ()


def test_a_late_token_shortens_the_common_window() -> None:
    prices = walk(2, 40, seed=3)
    view = PortfolioRisk(PriceHistory(interval_s=60, window=30, min_observations=8))
    for n, row in enumerate(prices):
        view.mark("a", float(row[0]))
        if n >= 25:  # b is first marked at sample 25: 14 changes by the end
            view.mark("b", float(row[1]))
        view.sample()
    factor = view.factor
    assert factor.tokens == ("a", "b")
    assert factor.observations == 14
    expected = reference_covariance(prices[-15:], 14)
    np.testing.assert_allclose(factor.matrix.T @ factor.matrix, expected, rtol=1e-9)


def test_unlinked_tokens_have_probability_greeks_and_linked_ones_wait_for_theirs() -> None:
    view = PortfolioRisk(PriceHistory(interval_s=60, window=10, min_observations=2))
    view.set_position("plain", 30)
    assert view.greeks("plain") == PROBABILITY_GREEKS
    assert view.portfolio_greeks.delta == 30
    view.link("btc-yes")
    view.set_position("btc-yes", 10)
    assert view.greeks("btc-yes") is None
    assert view.unknown_greeks == ("btc-yes",)
    per_share = Greeks(price=0.4, delta=2e-5, gamma=-1e-9, vega=-0.3, theta=0.1, rho=0.2)
    view.set_greeks({"btc-yes": per_share})
    assert view.unknown_greeks == ()
    totals = view.portfolio_greeks
    assert totals.delta == pytest.approx(30 + 10 * 2e-5)
    assert totals.vega == pytest.approx(-3.0)
    view.set_position("plain", 0)
    assert view.portfolio_greeks.delta == pytest.approx(2e-4)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"interval_s": 0, "window": 10, "min_observations": 2}, "interval_s"),
        ({"interval_s": math.nan, "window": 10, "min_observations": 2}, "interval_s"),
        ({"interval_s": 60, "window": 1, "min_observations": 2}, "window"),
        ({"interval_s": 60, "window": 10, "min_observations": 11}, "min_observations"),
    ],
)
def test_bad_history_options_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PriceHistory(**kwargs)  # type: ignore[arg-type]
