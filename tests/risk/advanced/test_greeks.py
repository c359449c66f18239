"""Greeks by definition: finite differences, parity, the value's arithmetic, bad input."""

from __future__ import annotations

import math
from collections.abc import Callable

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agbotkit.risk.advanced.black_scholes import black_scholes_arrays
from agbotkit.risk.advanced.digital import digital_arrays
from agbotkit.risk.advanced.greeks import Greeks, black_scholes, digital, years_from_days

Pricer = Callable[..., Greeks]
BASE = {"spot": 100.0, "strike": 104.0, "years": 0.4, "volatility": 0.35, "rate": 0.03}


def vanilla(option: str, **inputs: float) -> Greeks:
    return black_scholes(option, **inputs, dividend=0.015)  # type: ignore[arg-type]


def cash_or_nothing(option: str, **inputs: float) -> Greeks:
    return digital(option, **inputs, payout=3.0, dividend=0.015)  # type: ignore[arg-type]


def central(pricer: Pricer, option: str, name: str, step: float) -> float:
    up = pricer(option, **{**BASE, name: BASE[name] + step}).price
    down = pricer(option, **{**BASE, name: BASE[name] - step}).price
    return (up - down) / (2 * step)


@pytest.mark.parametrize("pricer", [vanilla, cash_or_nothing])
@pytest.mark.parametrize("option", ["call", "put"])
def test_every_greek_is_the_central_difference_of_the_price(pricer: Pricer, option: str) -> None:
    greeks = pricer(option, **BASE)
    assert greeks.delta == pytest.approx(central(pricer, option, "spot", 1e-3), rel=1e-7)
    assert greeks.vega == pytest.approx(central(pricer, option, "volatility", 1e-5), rel=1e-7)
    assert greeks.rho == pytest.approx(central(pricer, option, "rate", 1e-5), rel=1e-7)
    # Theta is the price's change as time passes: minus its derivative in time to expiry.
    assert greeks.theta == pytest.approx(-central(pricer, option, "years", 1e-6), rel=1e-6)
    step = 1e-2
    up = pricer(option, **{**BASE, "spot": BASE["spot"] + step}).delta
    down = pricer(option, **{**BASE, "spot": BASE["spot"] - step}).delta
    assert greeks.gamma == pytest.approx((up - down) / (2 * step), rel=1e-6)
    second = (
        pricer(option, **{**BASE, "spot": BASE["spot"] + step}).price
        - 2 * greeks.price
        + pricer(option, **{**BASE, "spot": BASE["spot"] - step}).price
    ) / step**2
    assert greeks.gamma == pytest.approx(second, rel=1e-5)


positive = st.floats(0.01, 1e5)
inputs = st.fixed_dictionaries(
    {
        "spot": positive,
        "strike": positive,
        "years": st.floats(1 / 365, 5.0),
        "volatility": st.floats(0.01, 3.0),
        "rate": st.floats(-0.05, 0.2),
    }
)


@settings(max_examples=200, deadline=None)
@given(inputs=inputs, payout=st.floats(0.01, 1e3))
def test_digital_call_plus_put_is_the_discounted_payout(
    inputs: dict[str, float], payout: float
) -> None:
    call = digital("call", **inputs, payout=payout)
    put = digital("put", **inputs, payout=payout)
    both = call + put
    discount = math.exp(-inputs["rate"] * inputs["years"])
    assert both.price == pytest.approx(payout * discount, rel=1e-12)
    # The sum is a zero-coupon bond: no spot or volatility risk, only time and rate.
    scale = payout / inputs["spot"]
    assert both.delta == pytest.approx(0.0, abs=1e-12 * scale)
    assert both.vega == pytest.approx(0.0, abs=1e-12 * payout)
    assert both.theta == pytest.approx(inputs["rate"] * payout * discount, rel=1e-9, abs=1e-12)
    assert both.rho == pytest.approx(-inputs["years"] * payout * discount, rel=1e-9, abs=1e-12)
    assert 0.0 <= call.price <= payout * discount
    assert call.delta >= 0.0


@settings(max_examples=200, deadline=None)
@given(inputs=inputs, dividend=st.floats(0.0, 0.1))
def test_vanilla_put_call_parity(inputs: dict[str, float], dividend: float) -> None:
    call = black_scholes("call", **inputs, dividend=dividend)
    put = black_scholes("put", **inputs, dividend=dividend)
    years = inputs["years"]
    forward_spot = inputs["spot"] * math.exp(-dividend * years)
    forward_strike = inputs["strike"] * math.exp(-inputs["rate"] * years)
    scale = max(inputs["spot"], inputs["strike"])
    assert call.price - put.price == pytest.approx(
        forward_spot - forward_strike, rel=1e-9, abs=1e-12 * scale
    )
    assert call.delta - put.delta == pytest.approx(math.exp(-dividend * years), rel=1e-9)
    assert call.gamma == pytest.approx(put.gamma, rel=1e-12)
    assert call.vega == pytest.approx(put.vega, rel=1e-12)
    assert call.rho - put.rho == pytest.approx(years * forward_strike, rel=1e-9, abs=1e-12 * scale)


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(st.tuples(inputs, st.booleans(), st.booleans()), min_size=1, max_size=8))
def test_vectorised_forms_equal_the_float_forms(
    rows: list[tuple[dict[str, float], bool, bool]],
) -> None:
    columns = {name: np.array([r[0][name] for r in rows]) for name in rows[0][0]}
    call = np.array([r[1] for r in rows])
    for arrays_of, one in ((black_scholes_arrays, black_scholes), (digital_arrays, digital)):
        arrays = arrays_of(call, **columns)  # type: ignore[operator]
        for i, (single, is_call, _) in enumerate(rows):
            expected = one("call" if is_call else "put", **single)  # type: ignore[operator]
            # Deep in a tail (d near -20) the two normal distributions differ in the 12th
            # digit of a number below 1e-100: the floor is absolute, far under a cent.
            floor = 1e-14 * max(single["spot"], single["strike"], 1.0)
            for field, values in zip(attrs.fields(Greeks), arrays, strict=True):
                assert float(values[i]) == pytest.approx(
                    getattr(expected, field.name), rel=1e-11, abs=floor
                )


def test_units_per_percent_and_per_day() -> None:
    greeks = black_scholes("call", 100.0, 100.0, years_from_days(365), 0.2)
    assert greeks.vega_per_pct == greeks.vega / 100
    assert greeks.rho_per_pct == greeks.rho / 100
    assert greeks.theta_per_day == greeks.theta / 365
    # Per percentage point means a move from 20 % to 21 %: close to the repriced change.
    bumped = black_scholes("call", 100.0, 100.0, 1.0, 0.21).price - greeks.price
    assert greeks.vega_per_pct == pytest.approx(bumped, rel=1e-3)


def test_greeks_add_subtract_and_scale_field_by_field() -> None:
    a = Greeks(1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
    b = Greeks(0.5, -1.0, 0.25, 8.0, -2.0, 1.0)
    assert a + b == Greeks(1.5, 1.0, 3.25, 12.0, 3.0, 7.0)
    assert a - b == Greeks(0.5, 3.0, 2.75, -4.0, 7.0, 5.0)
    assert a.scaled(-2.0) == Greeks(-2.0, -4.0, -6.0, -8.0, -10.0, -12.0)
    assert Greeks() + a == a
    with pytest.raises(TypeError):
        a + 1.0  # type: ignore[operator]
    with pytest.raises(TypeError):
        a - 1.0  # type: ignore[operator]


def test_years_from_days() -> None:
    assert years_from_days(73) == 0.2
    with pytest.raises(ValueError, match="days"):
        years_from_days(-1)


BAD = [
    ("spot", 0.0),
    ("spot", math.nan),
    ("strike", -5.0),
    ("years", 0.0),
    ("years", math.inf),
    ("volatility", -0.1),
    ("volatility", 0.0),
    ("rate", math.nan),
    ("dividend", math.inf),
]


@pytest.mark.parametrize("pricer", [black_scholes, digital])
@pytest.mark.parametrize(("argument", "value"), BAD)
def test_bad_input_raises_naming_the_argument(pricer: Pricer, argument: str, value: float) -> None:
    arguments = {**BASE, "dividend": 0.0, argument: value}
    with pytest.raises(ValueError, match=rf"^{argument} must"):
        pricer("call", **arguments)


@pytest.mark.parametrize("arrays_of", [black_scholes_arrays, digital_arrays])
@pytest.mark.parametrize(("argument", "value"), BAD)
def test_bad_array_input_raises_naming_the_argument_and_element(
    arrays_of: Callable[..., object], argument: str, value: float
) -> None:
    arguments = {name: np.full(3, v) for name, v in {**BASE, "dividend": 0.0}.items()}
    arguments[argument] = np.array([1.0, value, 1.0])
    with pytest.raises(ValueError, match=rf"^{argument} must hold .*element 1 "):
        arrays_of(np.ones(3, dtype=bool), **arguments)


def test_bad_option_and_payout() -> None:
    with pytest.raises(ValueError, match="option must be 'call' or 'put'"):
        black_scholes("straddle", 100.0, 100.0, 1.0, 0.2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="payout must"):
        digital("call", 100.0, 100.0, 1.0, 0.2, payout=0.0)
