"""Black-Scholes-Merton closed forms for European calls and puts, with their five Greeks.

Two implementations of the same formulas: one on Python floats (``math``, a few µs, for a
single order on the risk path) and one on numpy arrays (a whole book at once). Both are
checked against QuantLib. Units are QuantLib's: vega and rho per 1.00 of volatility and
rate, theta per year of calendar time (T = days / 365); see ``docs/risk/GREEKS_GUIDE.md``.

With spot S, strike K, time T, volatility s, rate r and dividend yield q::

    d1 = (ln(S / K) + (r - q + s^2 / 2) T) / (s sqrt(T)),   d2 = d1 - s sqrt(T)
    call = S e^{-qT} N(d1) - K e^{-rT} N(d2),   put = K e^{-rT} N(-d2) - S e^{-qT} N(-d1)
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

from agbotkit.risk.advanced.greeks_inputs import as_checked_array

__all__ = [
    "GreeksArrays",
    "GreeksTuple",
    "black_scholes_arrays",
    "black_scholes_values",
    "checked_terms",
    "d1_d2",
    "norm_cdf",
    "norm_pdf",
]

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

#: price, delta, gamma, vega, theta, rho of one option.
GreeksTuple = tuple[float, float, float, float, float, float]


class GreeksArrays(NamedTuple):
    """Price and Greeks of many options, one element per option (QuantLib's units)."""

    price: NDArray[np.float64]
    delta: NDArray[np.float64]
    gamma: NDArray[np.float64]
    vega: NDArray[np.float64]
    theta: NDArray[np.float64]
    rho: NDArray[np.float64]


def norm_cdf(x: float) -> float:
    """Standard normal distribution function, through ``erfc`` (accurate in both tails)."""
    return 0.5 * math.erfc(-x / _SQRT2)


def norm_pdf(x: float) -> float:
    """Standard normal density."""
    return _INV_SQRT_2PI * math.exp(-0.5 * x * x)


def d1_d2(
    spot: float, strike: float, years: float, volatility: float, rate: float, dividend: float
) -> tuple[float, float]:
    """The two Black-Scholes standardised distances, ``d1`` and ``d2 = d1 - s sqrt(T)``."""
    stdev = volatility * math.sqrt(years)
    d1 = (math.log(spot / strike) + (rate - dividend) * years) / stdev + 0.5 * stdev
    return d1, d1 - stdev


def black_scholes_values(
    call: bool,
    spot: float,
    strike: float,
    years: float,
    volatility: float,
    rate: float = 0.0,
    dividend: float = 0.0,
) -> GreeksTuple:
    """Price and Greeks of one European option, on floats (inputs already checked)."""
    sqrt_t = math.sqrt(years)
    d1, d2 = d1_d2(spot, strike, years, volatility, rate, dividend)
    df_r = math.exp(-rate * years)
    df_q = math.exp(-dividend * years)
    pdf = norm_pdf(d1)
    gamma = df_q * pdf / (spot * volatility * sqrt_t)
    vega = spot * df_q * pdf * sqrt_t
    decay = -spot * df_q * pdf * volatility / (2.0 * sqrt_t)
    if call:
        n1, n2 = norm_cdf(d1), norm_cdf(d2)
        price = spot * df_q * n1 - strike * df_r * n2
        delta = df_q * n1
        theta = decay - rate * strike * df_r * n2 + dividend * spot * df_q * n1
        rho = strike * years * df_r * n2
    else:
        n1, n2 = norm_cdf(-d1), norm_cdf(-d2)
        price = strike * df_r * n2 - spot * df_q * n1
        delta = -df_q * n1
        theta = decay + rate * strike * df_r * n2 - dividend * spot * df_q * n1
        rho = -strike * years * df_r * n2
    return price, delta, gamma, vega, theta, rho


class Terms(NamedTuple):
    """Checked array inputs of an option formula, with ``sqrt(T)``, ``s sqrt(T)``, ``d1``
    and ``d2`` (shared by the Black-Scholes and digital formulas)."""

    spot: NDArray[np.float64]
    strike: NDArray[np.float64]
    years: NDArray[np.float64]
    volatility: NDArray[np.float64]
    rate: NDArray[np.float64]
    dividend: NDArray[np.float64]
    sqrt_t: NDArray[np.float64]
    stdev: NDArray[np.float64]
    d1: NDArray[np.float64]
    d2: NDArray[np.float64]


def checked_terms(
    spot: ArrayLike,
    strike: ArrayLike,
    years: ArrayLike,
    volatility: ArrayLike,
    rate: ArrayLike,
    dividend: ArrayLike,
) -> Terms:
    """The inputs as checked float arrays and the standardised distances ``d1``, ``d2``.

    Raises:
        ValueError: an argument holds NaN, infinity, or a non-positive value where a
            positive one is needed; the message names it.
    """
    s = as_checked_array("spot", spot, positive=True)
    k = as_checked_array("strike", strike, positive=True)
    t = as_checked_array("years", years, positive=True)
    v = as_checked_array("volatility", volatility, positive=True)
    r = as_checked_array("rate", rate, positive=False)
    q = as_checked_array("dividend", dividend, positive=False)
    sqrt_t = np.sqrt(t)
    stdev = v * sqrt_t
    d1 = (np.log(s / k) + (r - q) * t) / stdev + 0.5 * stdev
    return Terms(s, k, t, v, r, q, sqrt_t, stdev, d1, d1 - stdev)


def black_scholes_arrays(
    call: ArrayLike,
    spot: ArrayLike,
    strike: ArrayLike,
    years: ArrayLike,
    volatility: ArrayLike,
    rate: ArrayLike = 0.0,
    dividend: ArrayLike = 0.0,
) -> GreeksArrays:
    """Price and Greeks of many European options at once (arrays broadcast together).

    Args:
        call: booleans, ``True`` for a call, ``False`` for a put.
        spot: underlying prices, > 0.
        strike: strikes, > 0.
        years: times to expiry in years (days / 365), > 0.
        volatility: annualised volatilities as fractions (0.2 = 20 %), > 0.
        rate: continuously compounded risk-free rates.
        dividend: continuous dividend yields.

    Returns:
        One array per quantity, per option (QuantLib's units).

    Raises:
        ValueError: an argument holds NaN, infinity, or a non-positive value where a
            positive one is needed; the message names it.
    """
    s, k, t, v, r, q, sqrt_t, stdev, d1, d2 = checked_terms(
        spot, strike, years, volatility, rate, dividend
    )
    df_r = np.exp(-r * t)
    df_q = np.exp(-q * t)
    sign = np.where(np.asarray(call, dtype=bool), 1.0, -1.0)
    # One formula for both types: N(sign * d) is N(d) for a call and N(-d) for a put.
    n1 = ndtr(sign * d1)
    n2 = ndtr(sign * d2)
    pdf = np.exp(-0.5 * d1 * d1) * _INV_SQRT_2PI
    spot_q = s * df_q
    strike_r = k * df_r
    price = sign * (spot_q * n1 - strike_r * n2)
    delta = sign * df_q * n1
    gamma = df_q * pdf / (s * stdev)
    vega = spot_q * pdf * sqrt_t
    theta = -spot_q * pdf * v / (2.0 * sqrt_t) + sign * (q * spot_q * n1 - r * strike_r * n2)
    rho = sign * strike_r * t * n2
    return GreeksArrays(price, delta, gamma, vega, theta, rho)
