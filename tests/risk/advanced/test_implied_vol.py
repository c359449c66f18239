"""Implied volatility: round trips through the closed forms, and the digital's two roots."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from agbotkit.risk.advanced.greeks import black_scholes, digital
from agbotkit.risk.advanced.implied_vol import digital_implied_volatility, implied_volatility

from .quantlib_reference import quantlib_greeks

options = st.sampled_from(["call", "put"])


@settings(max_examples=200, deadline=None)
@given(
    option=options,
    moneyness=st.floats(-1.5, 1.5),
    years=st.floats(1 / 365, 3.0),
    volatility=st.floats(0.03, 2.5),
    rate=st.floats(-0.02, 0.1),
)
def test_vanilla_round_trip(
    option: str, moneyness: float, years: float, volatility: float, rate: float
) -> None:
    spot = 100.0
    strike = spot * math.exp(moneyness * volatility * math.sqrt(years))
    greeks = black_scholes(option, spot, strike, years, volatility, rate)  # type: ignore[arg-type]
    # Where vega vanishes the volatility is not determined by the price to 1e-9.
    assume(greeks.vega * volatility > 1e-4 * greeks.price)
    found = implied_volatility(option, greeks.price, spot, strike, years, rate)  # type: ignore[arg-type]
    assert found == pytest.approx(volatility, rel=1e-9)


def test_vanilla_recovers_the_volatility_quantlib_priced_at() -> None:
    price = quantlib_greeks("vanilla", "put", 100.0, 110.0, 90, 0.42, 0.04, 0.01).price
    found = implied_volatility("put", price, 100.0, 110.0, 90 / 365, 0.04, dividend=0.01)
    assert found == pytest.approx(0.42, rel=1e-9)


@settings(max_examples=300, deadline=None)
@given(
    option=options,
    moneyness=st.floats(-2.0, 2.0),
    years=st.floats(1 / 365, 3.0),
    volatility=st.floats(0.03, 2.5),
    rate=st.floats(-0.02, 0.1),
)
def test_digital_round_trip_on_the_branch_the_volatility_lies_on(
    option: str, moneyness: float, years: float, volatility: float, rate: float
) -> None:
    spot = 97_000.0
    strike = spot * math.exp(moneyness)
    greeks = digital(option, spot, strike, years, volatility, rate)  # type: ignore[arg-type]
    x = math.log(spot / strike) + rate * years
    assume(abs(greeks.vega) > 1e-6)  # not at the peak, where the two roots meet
    # The price peaks (call) at u = sqrt(-2x) when the forward is below the strike.
    branch = "high" if x < 0 and volatility * math.sqrt(years) > math.sqrt(-2 * x) else "low"
    found = digital_implied_volatility(
        option,  # type: ignore[arg-type]
        greeks.price,
        spot,
        strike,
        years,
        rate,
        branch=branch,  # type: ignore[arg-type]
    )
    assert digital(option, spot, strike, years, found, rate).price == pytest.approx(  # type: ignore[arg-type]
        greeks.price, rel=1e-10
    )
    assert found == pytest.approx(volatility, rel=1e-6)


def test_digital_out_of_the_money_call_has_two_roots_below_its_peak() -> None:
    spot, strike, years = 100_000.0, 110_000.0, 30 / 365
    price = digital("call", spot, strike, years, 0.5).price
    low = digital_implied_volatility("call", price, spot, strike, years)
    high = digital_implied_volatility("call", price, spot, strike, years, branch="high")
    assert low == pytest.approx(0.5, rel=1e-12)
    assert high > 1.0
    assert digital("call", spot, strike, years, high).price == pytest.approx(price, rel=1e-12)
    peak_volatility = math.sqrt(2 * math.log(strike / spot) / years)
    peak = digital("call", spot, strike, years, peak_volatility).price
    with pytest.raises(ValueError, match=r"price 0\.4: no volatility gives it; .* at most"):
        digital_implied_volatility("call", 0.4, spot, strike, years)
    assert peak < 0.4


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"price": 0.0}, "price must"),
        ({"price": 1.0}, "price must be below the discounted payout"),
        ({"years": 0.0}, "years must"),
        ({"spot": math.nan}, "spot must"),
        ({"branch": "middle"}, "branch must"),
        ({"payout": -1.0}, "payout must"),
        ({"option": "yes"}, "option must"),
    ],
)
def test_digital_bad_input_names_the_argument(arguments: dict[str, object], message: str) -> None:
    call: dict[str, object] = {
        "option": "call",
        "price": 0.3,
        "spot": 100.0,
        "strike": 100.0,
        "years": 0.1,
    }
    with pytest.raises(ValueError, match=message):
        digital_implied_volatility(**{**call, **arguments})  # type: ignore[arg-type]


@pytest.mark.parametrize("price", [1.0, 100.0, 150.0, -1.0])
def test_vanilla_price_outside_the_bounds_is_refused(price: float) -> None:
    # A 1-year call on 100 struck at 99 is worth between 1 and 100.
    with pytest.raises(ValueError, match="price must"):
        implied_volatility("call", price, 100.0, 99.0, 1.0)


def test_vanilla_volatility_outside_the_searched_range_is_refused() -> None:
    # At-the-money, a volatility of 1e-9 is already worth 4e-8: 1e-9 needs less.
    with pytest.raises(ValueError, match="below 1e-09"):
        implied_volatility("call", 1e-9, 100.0, 100.0, 1.0)
    # One day to expiry: 99.9 of a possible 100 needs about 12,000 %.
    with pytest.raises(ValueError, match="above 100"):
        implied_volatility("call", 99.9, 100.0, 100.0, 1 / 365)
