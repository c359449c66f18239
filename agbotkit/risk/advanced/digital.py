"""Cash-or-nothing digital options: the closed forms of a prediction-market share.

A cash-or-nothing call pays ``payout`` at expiry if the underlying is above the strike,
nothing otherwise; the put pays if it is below. A YES share on "BTC above K at T" is a
digital call on the reference price with payout 1 USD. Two implementations of the same
formulas (``math`` for one option, numpy for a book), both checked against QuantLib. With
``D = payout e^{-rT}``, ``phi`` the normal density and ``d1``, ``d2`` as in Black-Scholes::

    call = D N(d2)                            put = D N(-d2)
    delta = +-D phi(d2) / (S s sqrt(T))       gamma = -+D phi(d2) d1 / (S^2 s^2 T)
    vega = -+D phi(d2) d1 / s                 rho = -T price +- D phi(d2) sqrt(T) / s
    theta = r price -+ D phi(d2) ((r - q) / (s sqrt(T)) - d1 / (2T))

(upper sign for the call). Units as QuantLib's: vega and rho per 1.00, theta per year.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr

from agbotkit.risk.advanced.black_scholes import (
    GreeksArrays,
    GreeksTuple,
    checked_terms,
    d1_d2,
    norm_cdf,
    norm_pdf,
)
from agbotkit.risk.advanced.greeks_inputs import as_checked_array

__all__ = ["digital_arrays", "digital_values"]

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def digital_values(
    call: bool,
    spot: float,
    strike: float,
    years: float,
    volatility: float,
    rate: float = 0.0,
    payout: float = 1.0,
    dividend: float = 0.0,
) -> GreeksTuple:
    """Price and Greeks of one cash-or-nothing option, on floats (inputs already checked)."""
    sqrt_t = math.sqrt(years)
    d1, d2 = d1_d2(spot, strike, years, volatility, rate, dividend)
    cash = payout * math.exp(-rate * years)
    density = cash * norm_pdf(d2)
    sign = 1.0 if call else -1.0
    price = cash * norm_cdf(sign * d2)
    delta = sign * density / (spot * volatility * sqrt_t)
    gamma = -sign * density * d1 / (spot * spot * volatility * volatility * years)
    vega = -sign * density * d1 / volatility
    rho = -years * price + sign * density * sqrt_t / volatility
    theta = rate * price - sign * density * (
        (rate - dividend) / (volatility * sqrt_t) - d1 / (2.0 * years)
    )
    return price, delta, gamma, vega, theta, rho


def digital_arrays(
    call: ArrayLike,
    spot: ArrayLike,
    strike: ArrayLike,
    years: ArrayLike,
    volatility: ArrayLike,
    rate: ArrayLike = 0.0,
    payout: ArrayLike = 1.0,
    dividend: ArrayLike = 0.0,
) -> GreeksArrays:
    """Price and Greeks of many cash-or-nothing options at once (arrays broadcast).

    Args:
        call: booleans, ``True`` for a digital call, ``False`` for a digital put.
        spot: underlying prices, > 0.
        strike: strikes, > 0.
        years: times to expiry in years (days / 365), > 0.
        volatility: annualised volatilities as fractions, > 0.
        rate: continuously compounded risk-free rates.
        payout: cash paid when the option finishes in the money (1.0 for a share), > 0.
        dividend: continuous dividend yields.

    Returns:
        One array per quantity, per option (QuantLib's units).

    Raises:
        ValueError: an argument holds NaN, infinity, or a non-positive value where a
            positive one is needed; the message names it.
    """
    s, _, t, v, r, q, sqrt_t, stdev, d1, d2 = checked_terms(
        spot, strike, years, volatility, rate, dividend
    )
    cash = as_checked_array("payout", payout, positive=True) * np.exp(-r * t)
    density = cash * np.exp(-0.5 * d2 * d2) * _INV_SQRT_2PI
    sign = np.where(np.asarray(call, dtype=bool), 1.0, -1.0)
    price = cash * ndtr(sign * d2)
    delta = sign * density / (s * stdev)
    gamma = -sign * density * d1 / (s * s * stdev * stdev)
    vega = -sign * density * d1 / v
    rho = -t * price + sign * density * sqrt_t / v
    theta = r * price - sign * density * ((r - q) / stdev - d1 / (2.0 * t))
    return GreeksArrays(price, delta, gamma, vega, theta, rho)
