"""Implied volatility: the volatility at which a closed form returns a given price.

Vanilla calls and puts: the Black-Scholes price rises strictly with volatility between its
no-arbitrage bounds, so the root is unique; it is found with Brent's method
(``scipy.optimize.brentq``) on a bracket that doubles until it holds the price.

Digitals (a Polymarket share): the price ``D N(d2)`` is NOT monotone in volatility. With
``x = ln(F / K)`` (F the forward) and ``u = s sqrt(T)``, ``d2 = x / u - u / 2``; solving
``d2 = z`` for ``z = N^{-1}(price / D)`` (call; ``-N^{-1}`` for a put) is the quadratic
``u^2 + 2 z u - 2 x = 0``, solved in closed form:

- ``x > 0`` (call in the money on the forward, put out of it): one root, every price in
  ``(0, D)`` is reached once.
- ``x = 0``: one root, for call prices below ``D / 2`` (put prices above it).
- ``x < 0`` (call out of the money, put in it): the call's price rises with volatility up
  to a peak ``D N(-sqrt(-2x))`` at ``u = sqrt(-2x)``, then falls back to 0. A price below
  the peak has two roots; above it, none. ``branch="low"`` (the default) returns the
  smaller volatility, ``branch="high"`` the larger; a price past the peak raises
  ``ValueError`` stating the extreme price the strike allows.

The low root is the default because it is the one continuous with the quiet-market regime
traders quote; on the high branch a higher volatility LOWERS an out-of-the-money share's
price, which is rarely what a price means.
"""

from __future__ import annotations

import math
from typing import Literal

from scipy.optimize import brentq
from scipy.special import ndtri

from agbotkit.risk.advanced.black_scholes import black_scholes_values, norm_cdf
from agbotkit.risk.advanced.greeks_inputs import OptionType, check_option, check_option_inputs

__all__ = ["MAX_VOLATILITY", "digital_implied_volatility", "implied_volatility"]

#: The largest volatility searched for a vanilla (10,000 % a year).
MAX_VOLATILITY = 100.0
_MIN_VOLATILITY = 1e-9
# Relative slack on the digital's peak d2, for prices computed exactly at the peak.
_PEAK_SLACK = 1e-12


def _check_price(price: float) -> None:
    if not (math.isfinite(price) and price > 0):
        raise ValueError(f"price must be a finite number > 0, got {price!r}")


def implied_volatility(
    option: OptionType,
    price: float,
    spot: float,
    strike: float,
    years: float,
    rate: float = 0.0,
    *,
    dividend: float = 0.0,
) -> float:
    """The Black-Scholes volatility of a European call or put from its price.

    Args:
        option: ``"call"`` or ``"put"``.
        price: the option's price, strictly between its no-arbitrage bounds (for a call
            ``max(S e^{-qT} - K e^{-rT}, 0)`` and ``S e^{-qT}``).
        spot, strike, years, rate, dividend: as in ``black_scholes``.

    Returns:
        The annualised volatility, to about 1e-15 absolute.

    Raises:
        ValueError: an argument is out of its domain, or ``price`` lies outside the
            no-arbitrage bounds (no volatility in (0, MAX_VOLATILITY] gives it).
    """
    call = check_option(option)
    check_option_inputs(spot, strike, years, 1.0, rate, dividend)
    _check_price(price)
    forward_spot = spot * math.exp(-dividend * years)
    forward_strike = strike * math.exp(-rate * years)
    if call:
        low, high = max(forward_spot - forward_strike, 0.0), forward_spot
    else:
        low, high = max(forward_strike - forward_spot, 0.0), forward_strike
    if not low < price < high:
        raise ValueError(
            f"price must lie strictly between the {option}'s no-arbitrage bounds "
            f"{low!r} and {high!r}, got {price!r}"
        )

    def excess(volatility: float) -> float:
        return (
            black_scholes_values(call, spot, strike, years, volatility, rate, dividend)[0] - price
        )

    if excess(_MIN_VOLATILITY) >= 0:
        raise ValueError(f"price {price!r} implies a volatility below {_MIN_VOLATILITY}")
    upper = 1.0
    while excess(upper) < 0:
        if upper >= MAX_VOLATILITY:
            raise ValueError(f"price {price!r} implies a volatility above {MAX_VOLATILITY}")
        upper = min(upper * 2.0, MAX_VOLATILITY)
    root: float = brentq(excess, _MIN_VOLATILITY, upper, xtol=1e-15, rtol=8.9e-16, maxiter=200)
    return root


def digital_implied_volatility(
    option: OptionType,
    price: float,
    spot: float,
    strike: float,
    years: float,
    rate: float = 0.0,
    payout: float = 1.0,
    *,
    dividend: float = 0.0,
    branch: Literal["low", "high"] = "low",
) -> float:
    """The volatility of a cash-or-nothing call or put (a share) from its price.

    Closed form (see the module docstring for the root structure).

    Args:
        option: ``"call"`` or ``"put"``.
        price: the option's price, in ``(0, payout e^{-rT})``.
        spot, strike, years, rate, payout, dividend: as in ``digital``.
        branch: which root when there are two (out-of-the-money call, in-the-money put
            on the forward): ``"low"`` (default) or ``"high"``. Ignored when the root is
            unique.

    Returns:
        The annualised volatility.

    Raises:
        ValueError: an argument is out of its domain, ``branch`` is unknown, or no
            volatility gives ``price`` (the message states the attainable extreme).
    """
    call = check_option(option)
    check_option_inputs(spot, strike, years, 1.0, rate, dividend)
    _check_price(price)
    if branch not in ("low", "high"):
        raise ValueError(f"branch must be 'low' or 'high', got {branch!r}")
    if not (math.isfinite(payout) and payout > 0):
        raise ValueError(f"payout must be a finite number > 0, got {payout!r}")
    cash = payout * math.exp(-rate * years)
    if not price < cash:
        raise ValueError(f"price must be below the discounted payout {cash!r}, got {price!r}")
    d2 = float(ndtri(price / cash))
    z = d2 if call else -d2
    x = math.log(spot / strike) + (rate - dividend) * years
    sqrt_t = math.sqrt(years)
    if x > 0:
        # The positive root of u^2 + 2zu - 2x, in whichever form adds like signs.
        root = math.sqrt(z * z + 2.0 * x)
        return (2.0 * x / (z + root) if z > 0 else root - z) / sqrt_t
    peak = -math.sqrt(-2.0 * x)  # the largest d2 any volatility reaches
    # A price computed at the peak volatility may land a rounding error past it.
    if z >= 0 or z > peak + _PEAK_SLACK * -peak:
        extreme = cash * norm_cdf(peak if call else -peak)
        side = "at most" if call else "at least"
        raise ValueError(
            f"price {price!r}: no volatility gives it; a digital {option} struck at "
            f"{strike!r} with spot {spot!r} is worth {side} {extreme!r}"
        )
    if x == 0:
        return -2.0 * z / sqrt_t
    z = min(z, peak)
    high = -z + math.sqrt(max(z * z + 2.0 * x, 0.0))
    # The two roots multiply to -2x: the low one without cancellation.
    return (high if branch == "high" else -2.0 * x / high) / sqrt_t
