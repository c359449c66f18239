"""Golden tests: every price and Greek against QuantLib's analytic European engine."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agbotkit.risk.advanced.black_scholes import black_scholes_arrays
from agbotkit.risk.advanced.digital import digital_arrays
from agbotkit.risk.advanced.greeks import Greeks, black_scholes, digital, years_from_days

from .quantlib_reference import quantlib_greeks

FIELDS = ("price", "delta", "gamma", "vega", "theta", "rho")
REL = 1e-9


# How many times each Greek divides by the spot: the scale of its absolute floor.
SPOT_POWER = {"price": 0, "delta": 1, "gamma": 2, "vega": 0, "theta": 0, "rho": 0}


def assert_matches(ours: Greeks, reference: Greeks, *, unit: float, spot: float) -> None:
    """Relative 1e-9, with an absolute floor 1e-12 of each Greek's natural scale (``unit``
    is the payout of a digital, the spot of a vanilla) for Greeks that cross zero (a
    digital's gamma at d1 = 0), where a relative error means nothing."""
    for name in FIELDS:
        floor = 1e-12 * unit / spot ** SPOT_POWER[name]
        expected = getattr(reference, name)
        assert getattr(ours, name) == pytest.approx(expected, rel=REL, abs=floor), name


CASES = [
    # spot, strike, days, volatility, rate, dividend
    (100.0, 100.0, 365, 0.20, 0.0, 0.0),
    (100.0, 90.0, 30, 0.45, 0.05, 0.0),
    (100.0, 115.0, 180, 0.30, 0.03, 0.02),
    (97_500.0, 100_000.0, 1, 0.55, 0.0, 0.0),  # "BTC above 100k tomorrow"
    (97_500.0, 95_000.0, 7, 0.60, 0.0, 0.0),
    (1.35, 1.30, 730, 0.12, -0.01, 0.04),  # negative rate, high yield
]


@pytest.mark.parametrize("option", ["call", "put"])
@pytest.mark.parametrize(("spot", "strike", "days", "volatility", "rate", "dividend"), CASES)
def test_black_scholes_matches_quantlib(
    option: str,
    spot: float,
    strike: float,
    days: int,
    volatility: float,
    rate: float,
    dividend: float,
) -> None:
    ours = black_scholes(
        option,  # type: ignore[arg-type]
        spot,
        strike,
        years_from_days(days),
        volatility,
        rate,
        dividend=dividend,
    )
    reference = quantlib_greeks("vanilla", option, spot, strike, days, volatility, rate, dividend)
    assert_matches(ours, reference, unit=spot, spot=spot)


@pytest.mark.parametrize("payout", [1.0, 25.0])
@pytest.mark.parametrize("option", ["call", "put"])
@pytest.mark.parametrize(("spot", "strike", "days", "volatility", "rate", "dividend"), CASES)
def test_digital_matches_quantlib(
    option: str,
    payout: float,
    spot: float,
    strike: float,
    days: int,
    volatility: float,
    rate: float,
    dividend: float,
) -> None:
    ours = digital(
        option,  # type: ignore[arg-type]
        spot,
        strike,
        years_from_days(days),
        volatility,
        rate,
        payout,
        dividend=dividend,
    )
    reference = quantlib_greeks(
        "digital", option, spot, strike, days, volatility, rate, dividend, payout
    )
    assert_matches(ours, reference, unit=payout, spot=spot)


@st.composite
def markets(draw: st.DrawFn) -> tuple[float, float, int, float, float, float]:
    """Inputs whose strike sits within 3.5 standard deviations of the forward: further
    out, QuantLib switches its normal distribution to an asymptotic series accurate to
    less than 1e-9, and no longer serves as a reference at that tolerance."""
    spot = draw(st.floats(0.5, 200_000.0))
    days = draw(st.integers(1, 3 * 365))
    volatility = draw(st.floats(0.02, 2.0))
    rate = draw(st.floats(-0.02, 0.10))
    dividend = draw(st.floats(0.0, 0.06))
    stdev = volatility * math.sqrt(days / 365)
    strike = spot * math.exp((rate - dividend) * days / 365 + draw(st.floats(-3.5, 3.5)) * stdev)
    return spot, strike, days, volatility, rate, dividend


@settings(max_examples=150, deadline=None)
@given(inputs=markets(), option=st.sampled_from(["call", "put"]), is_digital=st.booleans())
def test_random_options_match_quantlib(
    inputs: tuple[float, float, int, float, float, float], option: str, is_digital: bool
) -> None:
    spot, strike, days, volatility, rate, dividend = inputs
    years = years_from_days(days)
    if is_digital:
        ours = digital(option, spot, strike, years, volatility, rate, dividend=dividend)  # type: ignore[arg-type]
        reference = quantlib_greeks(
            "digital", option, spot, strike, days, volatility, rate, dividend
        )
        assert_matches(ours, reference, unit=1.0, spot=spot)
    else:
        ours = black_scholes(option, spot, strike, years, volatility, rate, dividend=dividend)  # type: ignore[arg-type]
        reference = quantlib_greeks(
            "vanilla", option, spot, strike, days, volatility, rate, dividend
        )
        assert_matches(ours, reference, unit=spot, spot=spot)


@pytest.mark.parametrize("is_digital", [False, True])
def test_vectorised_closed_forms_match_quantlib(is_digital: bool) -> None:
    call = np.array([True] * len(CASES) + [False] * len(CASES))
    columns = np.array(CASES * 2).T
    spot, strike, days, volatility, rate, dividend = columns
    years = days / 365
    if is_digital:
        arrays = digital_arrays(call, spot, strike, years, volatility, rate, 2.0, dividend)
    else:
        arrays = black_scholes_arrays(call, spot, strike, years, volatility, rate, dividend)
    for i in range(len(call)):
        reference = quantlib_greeks(
            "digital" if is_digital else "vanilla",
            "call" if call[i] else "put",
            spot[i],
            strike[i],
            int(days[i]),
            volatility[i],
            rate[i],
            dividend[i],
            2.0,
        )
        ours = Greeks(*(float(a[i]) for a in arrays))
        assert_matches(ours, reference, unit=2.0 if is_digital else spot[i], spot=spot[i])
