"""VarLimit and GreeksLimit: loaded from policy files, bound to a portfolio view, judged."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from agbotkit.errors import ConfigError
from agbotkit.model.risk import RiskContext
from agbotkit.risk.advanced.greeks import Greeks
from agbotkit.risk.engine import RiskEngine
from agbotkit.risk.loading import parse_policies_yaml
from agbotkit.risk.policies.greeks_limit import GreeksLimit, GreeksLimitConfig
from agbotkit.risk.policies.var_limit import VarLimit, VarLimitConfig, normal_quantile
from agbotkit.risk.policy import format_usd
from agbotkit.risk.pricehistory import PriceHistory
from agbotkit.risk.riskview import PortfolioRisk

from .riskdata import fed_view, reference_covariance, walk

FILE = """
policies:
  - type: VarLimit
    max_var_usd: {max_var}
    confidence_level: 0.99
    time_horizon_days: 2
  - type: GreeksLimit
    max_delta: 5000
    max_vega: 40
"""


def order(token: str, size: float, held: float = 0.0) -> RiskContext:
    return RiskContext(market_id="m", token_id=token, current_position=held, proposed_size=size)


def engine_on(view: PortfolioRisk, max_var: float) -> RiskEngine:
    return RiskEngine(parse_policies_yaml(FILE.format(max_var=max_var)), view=view)


def reference_var(prices: np.ndarray, weights: np.ndarray, confidence: float, days: float) -> float:
    variance = weights @ reference_covariance(prices, 200) @ weights
    return float(norm.ppf(confidence) * math.sqrt(days * variance))


def test_policy_file_entries_load_with_their_options() -> None:
    var_limit, greeks_limit = parse_policies_yaml(FILE.format(max_var=100))
    assert isinstance(var_limit, VarLimit)
    assert isinstance(greeks_limit, GreeksLimit)
    assert var_limit.config == VarLimitConfig(
        max_var_usd=100, confidence_level=0.99, time_horizon_days=2
    )
    assert var_limit.config.method == "parametric"
    assert greeks_limit.config == GreeksLimitConfig(max_delta=5000, max_vega=40)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("type: VarLimit\n    max_var_usd: 10\n    method: historical", "method"),
        ("type: VarLimit\n    max_var_usd: 10\n    confidence_level: 1", "confidence_level"),
        ("type: VarLimit\n    max_var_usd: 0", "max_var_usd"),
        ("type: GreeksLimit\n    max_gamma: -1", "max_gamma"),
        ("type: GreeksLimit", "max_delta"),
    ],
)
def test_bad_entries_are_refused_naming_the_field(entry: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_policies_yaml(f"policies:\n  - {entry}\n")


def test_the_normal_quantile_uses_the_exact_tail() -> None:
    assert normal_quantile(0.95) == pytest.approx(float(norm.isf(0.05)), rel=1e-12)
    assert normal_quantile(0.99) == pytest.approx(float(norm.isf(0.01)), rel=1e-12)


def test_var_limit_denies_a_breach_with_the_numbers_and_allows_within() -> None:
    prices = walk(3, 120, seed=7)
    view, tokens = fed_view(prices)
    view.set_position(tokens[0], 400.0)
    now = reference_var(prices, np.array([400.0, 0, 0]), 0.99, 2)
    big = reference_var(prices, np.array([400.0, 0, 3000.0]), 0.99, 2)
    engine = engine_on(view, max_var=(now + big) / 2)
    assert engine.evaluate(order(tokens[2], 1.0)).allowed
    decision = engine.evaluate(order(tokens[2], 3000.0))
    assert decision.denied
    (violation,) = decision.violated_policies
    assert violation.policy == "VarLimit"
    assert violation.reason == (
        f"VaR(99%, 2 d, parametric) {format_usd(big)} would exceed max_var_usd "
        f"{format_usd((now + big) / 2)} (now {format_usd(now)})"
    )


def test_an_order_that_lowers_the_var_passes_above_the_limit() -> None:
    prices = walk(2, 60, seed=1)
    view, tokens = fed_view(prices)
    view.set_position(tokens[0], 5000.0)
    engine = engine_on(view, max_var=0.01)
    assert engine.evaluate(order(tokens[0], -100.0, held=5000.0)).allowed
    assert engine.evaluate(order(tokens[0], 100.0, held=5000.0)).denied


def test_cold_tokens_fail_closed_without_a_fallback() -> None:
    view = PortfolioRisk(PriceHistory(interval_s=60, window=50, min_observations=10))
    view.mark("new", 0.4)
    view.sample()
    engine = engine_on(view, max_var=1e9)
    (violation,) = engine.evaluate(order("new", 10)).violated_policies
    assert "too little price history for token new" in violation.reason
    view.set_position("new", 10)
    (violation,) = engine.evaluate(order("other", 10)).violated_policies
    assert "tokens held (new)" in violation.reason
    assert engine.evaluate(order("new", -5, held=10)).allowed  # reducing stays possible


def test_the_fallback_volatility_prices_cold_tokens_as_independent() -> None:
    view = PortfolioRisk(PriceHistory(interval_s=60, window=50, min_observations=10))
    view.set_position("cold", 100)
    policy = VarLimit(VarLimitConfig(max_var_usd=20, fallback_volatility=0.05))
    policy.bind(view)
    # 1.645 * 0.05 * 200 = 16.4 allowed; 1.645 * 0.05 * 300 = 24.7 denied.
    assert policy.check(order("cold", 100, held=100)) is None
    reason = policy.check(order("cold", 200, held=100))
    expected = normal_quantile(0.95) * 0.05 * 300
    assert reason is not None
    assert format_usd(expected) in reason


def test_policies_without_a_view_deny() -> None:
    engine = RiskEngine(parse_policies_yaml(FILE.format(max_var=10)))
    reasons = engine.evaluate(order("a", 1)).reasons
    assert len(reasons) == 2
    assert all("no portfolio view" in r for r in reasons)


def test_a_reload_binds_the_new_policies() -> None:
    prices = walk(1, 30, seed=2)
    view, tokens = fed_view(prices)
    engine = engine_on(view, max_var=1e9)
    engine.replace_policies(parse_policies_yaml(FILE.format(max_var=1e-6)))
    assert engine.evaluate(order(tokens[0], 10)).reasons[0].startswith("VarLimit: VaR(99%")


def test_greeks_limit_uses_probability_delta_for_unlinked_tokens() -> None:
    view = PortfolioRisk(PriceHistory(interval_s=60, window=10, min_observations=2))
    view.set_position("a", 450)
    policy = GreeksLimit(GreeksLimitConfig(max_delta=500))
    policy.bind(view)
    assert policy.check(order("b", 50)) is None  # at the limit
    assert (
        policy.check(order("b", 60)) == "portfolio delta 510 would exceed max_delta 500 (now 450)"
    )
    assert policy.check(order("a", -450, held=450)) is None


def test_greeks_limit_adds_the_orders_per_share_greeks() -> None:
    view = PortfolioRisk(PriceHistory(interval_s=60, window=10, min_observations=2))
    view.set_greeks({"yes": Greeks(price=0.4, delta=1e-4, gamma=-2e-8, vega=-0.25)})
    view.set_position("yes", 100)  # vega -25
    policy = GreeksLimit(GreeksLimitConfig(max_vega=40, max_gamma=1e-5))
    policy.bind(view)
    assert policy.check(order("yes", 50, held=100)) is None  # vega -37.5
    reason = policy.check(order("yes", 100, held=100))  # vega -50
    assert reason == "portfolio vega -50 would exceed max_vega 40 (now -25)"
    assert policy.check(order("yes", -200, held=100)) is None  # vega +25: toward zero


def test_greeks_limit_fails_closed_on_unknown_greeks() -> None:
    view = PortfolioRisk(PriceHistory(interval_s=60, window=10, min_observations=2))
    view.link("yes")
    policy = GreeksLimit(GreeksLimitConfig(max_delta=1e9))
    policy.bind(view)
    reason = policy.check(order("yes", 10))
    assert reason is not None
    assert "Greeks unknown" in reason
    assert "yes" in reason
    view.set_position("yes", 10)
    assert policy.check(order("plain", 1)) is not None
    assert policy.check(order("yes", -10, held=10)) is None
