"""Greeks: the value, the closed forms for one option, and the engine for a portfolio.

Units are QuantLib's, pinned for the whole package: ``vega`` and ``rho`` per 1.00 of
volatility and rate (a move from 0.20 to 1.20), ``theta`` per year of calendar time, and
T = days / 365. :class:`Greeks` also offers ``vega_per_pct``, ``rho_per_pct`` (per 1
percentage point) and ``theta_per_day`` (per calendar day, theta / 365). Formulas, units
and worked examples: ``docs/risk/GREEKS_GUIDE.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import attrs

from agbotkit.risk.advanced.black_scholes import black_scholes_values
from agbotkit.risk.advanced.digital import digital_values
from agbotkit.risk.advanced.greeks_inputs import (
    DAYS_PER_YEAR,
    OptionType,
    check_option,
    check_option_inputs,
    years_from_days,
)
from agbotkit.risk.advanced.greeks_positions import OptionBook, OptionPosition
from agbotkit.risk.advanced.hedge import GreekName, HedgeSuggestion, suggest_hedge

__all__ = [
    "Greeks",
    "GreeksEngine",
    "black_scholes",
    "digital",
    "years_from_days",
]


@attrs.frozen(slots=True)
class Greeks:
    """Price and first-order risks of an option or a portfolio, in QuantLib's units.

    Greeks add: the Greeks of a portfolio are the quantity-weighted sum of its positions'
    (``a + b``, ``g.scaled(quantity)``).

    Attributes:
        price: value (USD for a share, in the underlying's currency for a vanilla).
        delta: d price / d spot.
        gamma: d delta / d spot.
        vega: d price / d volatility, per 1.00 of volatility (see :attr:`vega_per_pct`).
        theta: d price / d t, per year of calendar time, as time passes (usually
            negative for a long option; see :attr:`theta_per_day`).
        rho: d price / d rate, per 1.00 of rate (see :attr:`rho_per_pct`).
    """

    price: float = 0.0
    delta: float = 0.0
    gamma: float = 0.0
    vega: float = 0.0
    theta: float = 0.0
    rho: float = 0.0

    @property
    def vega_per_pct(self) -> float:
        """Price change for a 1 percentage point rise in volatility (vega / 100)."""
        return self.vega / 100.0

    @property
    def rho_per_pct(self) -> float:
        """Price change for a 1 percentage point rise in the rate (rho / 100)."""
        return self.rho / 100.0

    @property
    def theta_per_day(self) -> float:
        """Price change over one calendar day as time passes (theta / 365)."""
        return self.theta / DAYS_PER_YEAR

    def __add__(self, other: Greeks) -> Greeks:
        if not isinstance(other, Greeks):
            return NotImplemented
        return Greeks(
            self.price + other.price,
            self.delta + other.delta,
            self.gamma + other.gamma,
            self.vega + other.vega,
            self.theta + other.theta,
            self.rho + other.rho,
        )

    def __sub__(self, other: Greeks) -> Greeks:
        if not isinstance(other, Greeks):
            return NotImplemented
        return self + other.scaled(-1.0)

    def scaled(self, quantity: float) -> Greeks:
        """The Greeks of ``quantity`` units (signed: negative for a short position)."""
        return Greeks(
            self.price * quantity,
            self.delta * quantity,
            self.gamma * quantity,
            self.vega * quantity,
            self.theta * quantity,
            self.rho * quantity,
        )


def black_scholes(
    option: OptionType,
    spot: float,
    strike: float,
    years: float,
    volatility: float,
    rate: float = 0.0,
    *,
    dividend: float = 0.0,
) -> Greeks:
    """Price and Greeks of one European call or put under Black-Scholes-Merton.

    Args:
        option: ``"call"`` or ``"put"``.
        spot: the underlying's price, > 0.
        strike: the strike, > 0.
        years: time to expiry in years of 365 days (``years_from_days(days)``), > 0.
        volatility: annualised volatility as a fraction (0.2 = 20 %), > 0.
        rate: continuously compounded risk-free rate (0 by the house convention).
        dividend: continuous dividend yield.

    Returns:
        Price, delta, gamma, vega, theta, rho per unit, in QuantLib's units.

    Raises:
        ValueError: an argument is out of its domain; the message names it.
    """
    call = check_option(option)
    check_option_inputs(spot, strike, years, volatility, rate, dividend)
    return Greeks(*black_scholes_values(call, spot, strike, years, volatility, rate, dividend))


def digital(
    option: OptionType,
    spot: float,
    strike: float,
    years: float,
    volatility: float,
    rate: float = 0.0,
    payout: float = 1.0,
    *,
    dividend: float = 0.0,
) -> Greeks:
    """Price and Greeks of one cash-or-nothing digital call or put.

    The call pays ``payout`` if the underlying ends above ``strike`` (price
    ``payout e^{-rT} N(d2)``); the put pays it if it ends below (``payout e^{-rT} N(-d2)``).
    A YES share on "BTC above K at T" is ``digital("call", btc_reference_price, K, ...)``.

    Args:
        option: ``"call"`` or ``"put"``.
        spot: the underlying's price (the reference price the market resolves on), > 0.
        strike: the strike, > 0.
        years: time to expiry in years of 365 days, > 0.
        volatility: annualised volatility as a fraction, > 0.
        rate: continuously compounded risk-free rate.
        payout: cash paid in the money, > 0 (1.0 USD for a Polymarket share).
        dividend: continuous dividend yield (0 for a crypto reference price).

    Returns:
        Price, delta, gamma, vega, theta, rho per unit, in QuantLib's units.

    Raises:
        ValueError: an argument is out of its domain; the message names it.
    """
    call = check_option(option)
    check_option_inputs(spot, strike, years, volatility, rate, dividend)
    if not (math.isfinite(payout) and payout > 0):
        raise ValueError(f"payout must be a finite number > 0, got {payout!r}")
    return Greeks(*digital_values(call, spot, strike, years, volatility, rate, payout, dividend))


@attrs.frozen(slots=True)
class GreeksEngine:
    """Greeks of positions and portfolios, and the hedge that moves them to a target.

    Stateless: one engine serves any number of callers.
    """

    def position(self, position: OptionPosition) -> Greeks:
        """The Greeks of one position: per-unit Greeks times its quantity."""
        if position.payoff == "digital":
            unit = digital(
                position.option,
                position.spot,
                position.strike,
                position.years,
                position.volatility,
                position.rate,
                position.payout,
                dividend=position.dividend,
            )
        else:
            unit = black_scholes(
                position.option,
                position.spot,
                position.strike,
                position.years,
                position.volatility,
                position.rate,
                dividend=position.dividend,
            )
        return unit.scaled(position.quantity)

    def portfolio(self, positions: Sequence[OptionPosition] | OptionBook) -> Greeks:
        """Quantity-weighted sum of the Greeks of every position (zero for none).

        Args:
            positions: option positions, or an :class:`OptionBook` of them as arrays (the
                fast path for large books priced repeatedly).

        Raises:
            ValueError: a position's input is out of its domain; the message names it.
        """
        if not isinstance(positions, OptionBook):
            positions = OptionBook.from_positions(positions)
        return Greeks(*positions.totals())

    def suggest_hedge(
        self,
        current: Greeks,
        target: Greeks,
        instruments: Mapping[str, Greeks],
        *,
        greeks: Sequence[GreekName] = ("delta", "gamma", "vega"),
        weights: Mapping[GreekName, float] | None = None,
    ) -> HedgeSuggestion:
        """Quantities of the hedge ``instruments`` that bring ``greeks`` of ``current`` to
        ``target``; see :func:`agbotkit.risk.advanced.hedge.suggest_hedge`."""
        return suggest_hedge(current, target, instruments, greeks=greeks, weights=weights)
