"""Price moves a stress scenario makes: digitals re-priced, log-odds shifts, exit prices.

A YES share of "BTC above K at T" is a cash-or-nothing call paying 1: with zero rates its
price is ``N(d2)``, ``d2 = (ln(S / K) - sigma^2 T / 2) / (sigma sqrt(T))`` (a put, "below
K", is ``N(-d2)``). A linked position keeps the market's premium over the model in
log-odds: the new price is ``expit(logit(p) + L(S') - L(S))``, where ``L`` is the model
price's log-odds. A market priced at the model goes to the model price at ``S'``; every
price stays in [0, 1]; 0 and 1 (a settled book) stay put. Log-odds of ``N(d)`` are
``log N(d) - log N(-d)``, computed with ``log_ndtr`` so that far out of the money they stay
finite instead of becoming ``log 0``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import special

__all__ = ["digital_log_odds", "digital_price", "exit_prices", "shift_log_odds"]

FloatArray = npt.NDArray[np.float64]

#: Calendar days in a year: T = days / 365, as for the Greeks.
DAYS_PER_YEAR = 365.0


def _d2(spot: FloatArray, strike: FloatArray, years: FloatArray, vol: FloatArray) -> FloatArray:
    root = vol * np.sqrt(years)
    d2: FloatArray = (np.log(spot / strike) - 0.5 * root * root) / root
    return d2


def digital_price(
    spot: FloatArray, strike: FloatArray, years: FloatArray, vol: FloatArray, sign: FloatArray
) -> FloatArray:
    """Cash-or-nothing price paying 1, zero rates: ``N(sign x d2)``; sign +1 call, -1 put."""
    price: FloatArray = special.ndtr(sign * _d2(spot, strike, years, vol))
    return price


def digital_log_odds(
    spot: FloatArray, strike: FloatArray, years: FloatArray, vol: FloatArray, sign: FloatArray
) -> FloatArray:
    """``logit`` of :func:`digital_price`, finite for any finite ``d2``."""
    d = sign * _d2(spot, strike, years, vol)
    odds: FloatArray = special.log_ndtr(d) - special.log_ndtr(-d)
    return odds


def shift_log_odds(price: FloatArray, shift: FloatArray) -> FloatArray:
    """``expit(logit(p) + shift)``; prices of exactly 0 or 1 do not move."""
    with np.errstate(divide="ignore"):  # logit(0) = -inf and logit(1) = +inf are meant
        moved: FloatArray = special.expit(special.logit(price) + shift)
    return moved


def exit_prices(
    price: FloatArray,
    mid: FloatArray,
    bid: FloatArray,
    ask: FloatArray,
    shares: FloatArray,
    bid_depth: FloatArray,
    ask_depth: FloatArray,
    *,
    spread_factor: float,
    depth_factor: float,
    depth_haircut: float,
) -> FloatArray:
    """The average price per share an exit fetches, once spreads widen and depth thins.

    The book keeps its half-spreads around the (possibly shocked) price ``p``, widened:
    ``bid' = clip(p - f (mid - bid))``, ``ask' = clip(p + f (ask - mid))`` in [0, 1]. Longs
    sell at ``bid'``, shorts buy back at ``ask'``. Beyond ``depth_factor`` x the displayed
    size, a long's shares fetch ``bid' (1 - h)``, a short's cost ``1 - (1 - ask') (1 - h)``
    (the same haircut on the complementary NO price), ``h = depth_haircut``.
    """
    new_bid = np.clip(price - spread_factor * (mid - bid), 0.0, 1.0)
    new_ask = np.clip(price + spread_factor * (ask - mid), 0.0, 1.0)
    size = np.abs(shares)
    long = shares > 0
    # Unknown depth is infinite (no haircut), also when it is scaled by 0 (inf x 0 = nan,
    # and nan compares false); 0 shares divide by 0 but take the price as it is.
    # np.where computes both branches: a tiny position overflows the one not taken.
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        depth = np.where(long, bid_depth, ask_depth) * depth_factor
        beyond = np.where(size > depth, (size - depth) / size, 0.0)
    cut = depth_haircut * beyond
    exit_long = new_bid * (1.0 - cut)
    exit_short = new_ask + (1.0 - new_ask) * cut
    prices: FloatArray = np.where(long, exit_long, np.where(shares < 0, exit_short, price))
    return prices
