"""Option positions for portfolio Greeks: one position as a value, a book as arrays.

:class:`OptionPosition` is what a caller builds (an instrument and a quantity);
:class:`OptionBook` is the same positions as one array per field, so a whole book is
priced in a few numpy passes instead of a Python loop per position.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal, TypeAlias

import attrs
import numpy as np
from numpy.typing import NDArray

from agbotkit.risk.advanced.black_scholes import GreeksArrays, black_scholes_arrays
from agbotkit.risk.advanced.digital import digital_arrays
from agbotkit.risk.advanced.greeks_inputs import (
    OptionType,
    as_checked_array,
    check_option,
    check_option_inputs,
)

__all__ = ["OptionBook", "OptionPosition", "Payoff"]

#: ``"vanilla"``: a European call or put; ``"digital"``: a cash-or-nothing call or put.
Payoff: TypeAlias = Literal["vanilla", "digital"]


@attrs.frozen(slots=True, kw_only=True)
class OptionPosition:
    """A quantity of one European option, vanilla or cash-or-nothing.

    A YES share on "BTC above 100,000 at T" is ``OptionPosition(payoff="digital",
    option="call", strike=100_000, spot=<reference price>, ...)``; a NO share on it is the
    digital put of the same strike.

    Attributes:
        payoff: ``"vanilla"`` or ``"digital"``.
        option: ``"call"`` or ``"put"``.
        spot: the underlying's price now, > 0.
        strike: the strike, > 0.
        years: time to expiry in years of 365 days (see ``years_from_days``), > 0.
        volatility: annualised volatility as a fraction (0.6 = 60 %), > 0.
        quantity: units held, signed (+ long, - short); shares for a digital.
        rate: continuously compounded risk-free rate (0 by the house convention).
        dividend: continuous dividend yield of the underlying.
        payout: cash a digital pays in the money (1.0 USD for a Polymarket share);
            ignored by a vanilla.
        label: the caller's name for the position (a token id), carried, never read.
    """

    payoff: Payoff
    option: OptionType
    spot: float
    strike: float
    years: float
    volatility: float
    quantity: float
    rate: float = 0.0
    dividend: float = 0.0
    payout: float = 1.0
    label: str = ""

    def __attrs_post_init__(self) -> None:
        if self.payoff not in ("vanilla", "digital"):
            raise ValueError(f"payoff must be 'vanilla' or 'digital', got {self.payoff!r}")
        check_option(self.option)
        check_option_inputs(
            self.spot, self.strike, self.years, self.volatility, self.rate, self.dividend
        )
        if not math.isfinite(self.quantity):
            raise ValueError(f"quantity must be a finite number, got {self.quantity!r}")
        if not (math.isfinite(self.payout) and self.payout > 0):
            raise ValueError(f"payout must be a finite number > 0, got {self.payout!r}")


def _floats(values: Sequence[float]) -> NDArray[np.float64]:
    return np.asarray(values, dtype=np.float64)


@attrs.frozen(slots=True, kw_only=True)
class OptionBook:
    """Many option positions as parallel arrays (all of one length).

    Build it with :meth:`from_positions`, or directly from arrays when the caller keeps
    its book in arrays already (the cheapest way to price a large book repeatedly).

    Attributes:
        digital: ``True`` where the position is a cash-or-nothing option.
        call: ``True`` for calls, ``False`` for puts.
        spot, strike, years, volatility, rate, dividend, payout: as in
            :class:`OptionPosition`, one element per position.
        quantity: signed units held.
    """

    digital: NDArray[np.bool_]
    call: NDArray[np.bool_]
    spot: NDArray[np.float64]
    strike: NDArray[np.float64]
    years: NDArray[np.float64]
    volatility: NDArray[np.float64]
    quantity: NDArray[np.float64]
    rate: NDArray[np.float64]
    dividend: NDArray[np.float64]
    payout: NDArray[np.float64]

    def __attrs_post_init__(self) -> None:
        sizes = {name: getattr(self, name).shape for name in attrs.fields_dict(OptionBook)}
        if len(set(sizes.values())) > 1:
            raise ValueError(f"the arrays of an OptionBook must share one shape, got {sizes}")
        as_checked_array("quantity", self.quantity, positive=False)

    @classmethod
    def from_positions(cls, positions: Sequence[OptionPosition]) -> OptionBook:
        """The positions, already checked one by one, as arrays."""
        return cls(
            digital=np.array([p.payoff == "digital" for p in positions], dtype=bool),
            call=np.array([p.option == "call" for p in positions], dtype=bool),
            spot=_floats([p.spot for p in positions]),
            strike=_floats([p.strike for p in positions]),
            years=_floats([p.years for p in positions]),
            volatility=_floats([p.volatility for p in positions]),
            quantity=_floats([p.quantity for p in positions]),
            rate=_floats([p.rate for p in positions]),
            dividend=_floats([p.dividend for p in positions]),
            payout=_floats([p.payout for p in positions]),
        )

    def __len__(self) -> int:
        return int(self.quantity.shape[0]) if self.quantity.ndim else 1

    def unit_greeks(self) -> GreeksArrays:
        """Price and Greeks of one unit of each position (not weighted by quantity).

        Raises:
            ValueError: an array holds a value the closed forms refuse, named.
        """
        vanilla = black_scholes_arrays(
            self.call,
            self.spot,
            self.strike,
            self.years,
            self.volatility,
            self.rate,
            self.dividend,
        )
        cash = digital_arrays(
            self.call,
            self.spot,
            self.strike,
            self.years,
            self.volatility,
            self.rate,
            self.payout,
            self.dividend,
        )
        # Both closed forms over the whole book, then a select: for books of thousands this
        # is cheaper than fancy-indexing each field into two sub-books and back.
        return GreeksArrays(
            *(np.where(self.digital, d, v) for v, d in zip(vanilla, cash, strict=True))
        )

    def totals(self) -> tuple[float, float, float, float, float, float]:
        """Quantity-weighted sums of price and each Greek over the book."""
        if len(self) == 0:
            return (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        unit = np.stack(self.unit_greeks())
        price, delta, gamma, vega, theta, rho = (unit @ self.quantity).tolist()
        return price, delta, gamma, vega, theta, rho
