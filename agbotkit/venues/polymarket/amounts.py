"""Prices and sizes to the integer amounts a V2 order signs, rounded as Polymarket rounds.

An order does not carry a price and a size: it carries ``makerAmount`` (what the maker gives)
and ``takerAmount`` (what it gets), both integers in millionths (shares and pUSD both have 6
decimals). A BUY gives pUSD for shares, a SELL shares for pUSD. The exchange reads the price
back as their ratio, so the rounding below must be exactly that of Polymarket's reference
client, or an order is refused ("invalid amounts") or trades at another price.

Per tick size, :data:`ROUNDING_CONFIG` gives three numbers of decimals: the price's ``p``, the
size's (always 2) and the notional's ``a``. A limit order rounds the price half-up to ``p``
decimals, floors the size to 2 and takes ``notional = shares x price``; a notional with more
than ``a`` decimals is rounded up at ``a + 4`` decimals and, if still longer, floored at ``a``
(the reference computes in floats, and this undoes their noise; in exact decimals a limit
notional always fits, since ``a = p + 2``). Market orders (FOK, FAK) are given an amount
instead: dollars to spend for a BUY, shares for a SELL; their price is rounded *down*.

Everything is :class:`~decimal.Decimal` in a private context, never float, so a caller's
decimal context cannot change the result.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from types import MappingProxyType

import attrs

from agbotkit.errors import SigningError
from agbotkit.model.books import Side

__all__ = [
    "ROUNDING_CONFIG",
    "TICK_SIZES",
    "OrderAmounts",
    "RoundConfig",
    "limit_order_amounts",
    "market_order_amounts",
    "price_valid",
    "round_config",
]

VENUE = "polymarket"


@attrs.frozen
class RoundConfig:
    """How many decimals an order's numbers keep at one tick size.

    Attributes:
        price: decimals of the price (the tick's own decimals).
        size: decimals of a size in shares (2 at every tick size).
        amount: decimals of a notional in pUSD.
    """

    price: int
    size: int
    amount: int


#: The tick sizes Polymarket uses (its API spells them as strings: ``"0.01"``).
TICK_SIZES: tuple[Decimal, ...] = (
    Decimal("0.1"),
    Decimal("0.01"),
    Decimal("0.001"),
    Decimal("0.0001"),
)

#: Rounding per tick size, keyed by the tick as a Decimal (``Decimal("0.010")`` finds 0.01).
_CONFIGS = {
    Decimal("0.1"): RoundConfig(price=1, size=2, amount=3),
    Decimal("0.01"): RoundConfig(price=2, size=2, amount=4),
    Decimal("0.001"): RoundConfig(price=3, size=2, amount=5),
    Decimal("0.0001"): RoundConfig(price=4, size=2, amount=6),
}
ROUNDING_CONFIG: Mapping[Decimal, RoundConfig] = MappingProxyType(_CONFIGS)

# Wide enough that no product or quotient here is ever rounded by the context itself.
_CONTEXT = decimal.Context(
    prec=50,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(13)}
_ONE = Decimal(1)
_CEILINGS = {tick: _ONE - tick for tick in ROUNDING_CONFIG}


@attrs.frozen
class OrderAmounts:
    """The integer amounts of one order, and the price and size they stand for.

    Attributes:
        maker_amount: what the maker gives, in millionths (pUSD for a BUY, shares for a SELL).
        taker_amount: what the maker gets, in millionths.
        price: the price after rounding (the one the amounts encode).
        size: the shares after rounding (a market BUY: the pUSD to spend).
    """

    maker_amount: int
    taker_amount: int
    price: Decimal
    size: Decimal


def round_config(tick_size: Decimal) -> RoundConfig:
    """The rounding of a tick size.

    Raises:
        SigningError: when ``tick_size`` is not one of :data:`TICK_SIZES`.
    """
    config = _CONFIGS.get(tick_size)
    if config is None:
        raise SigningError(VENUE, f"unknown tick size {tick_size} (expected 0.1 to 0.0001)")
    return config


def price_valid(price: Decimal, tick_size: Decimal) -> bool:
    """Whether a price is inside Polymarket's range at a tick size: ``tick <= price <= 1 -
    tick`` (0 and 1 are never prices: a token worth them is settled)."""
    return tick_size <= price <= _ONE - tick_size


def limit_order_amounts(
    side: Side, price: Decimal, size: Decimal, tick_size: Decimal
) -> OrderAmounts:
    """The amounts of a limit order (GTC, GTD) of ``size`` shares at ``price``.

    Raises:
        SigningError: for an unknown tick size, a price outside ``[tick, 1 - tick]``, or a
            size that rounds to no shares.
    """
    config = _checked(price, tick_size)
    rounded_price = price.quantize(_QUANTA[config.price], ROUND_HALF_UP, _CONTEXT)
    shares = _floor(size, config.size)
    if shares <= 0:
        raise SigningError(VENUE, f"size {size} rounds to no shares")
    notional = _fit(_CONTEXT.multiply(shares, rounded_price), config.amount)
    if side is Side.BUY:
        return OrderAmounts(_units(notional), _units(shares), rounded_price, shares)
    return OrderAmounts(_units(shares), _units(notional), rounded_price, shares)


def market_order_amounts(
    side: Side, amount: Decimal, price: Decimal, tick_size: Decimal
) -> OrderAmounts:
    """The amounts of a market order (FOK, FAK) down to ``price``.

    Args:
        side: BUY or SELL.
        amount: for a BUY the pUSD to spend, for a SELL the shares to sell.
        price: the worst price to trade at (the reference clients find it by walking the
            book until the amount is covered); rounded down to the tick.
        tick_size: the token's tick size.

    Raises:
        SigningError: for an unknown tick size, a price outside ``[tick, 1 - tick]``, or an
            amount that rounds to nothing.
    """
    config = _checked(price, tick_size)
    rounded_price = _floor(price, config.price)
    if rounded_price <= 0:
        raise SigningError(VENUE, f"price {price} rounds down to nothing")
    given = _floor(amount, config.size)
    if given <= 0:
        raise SigningError(VENUE, f"amount {amount} rounds to nothing")
    if side is Side.BUY:
        shares = _fit(_CONTEXT.divide(given, rounded_price), config.amount)
        return OrderAmounts(_units(given), _units(shares), rounded_price, given)
    notional = _fit(_CONTEXT.multiply(given, rounded_price), config.amount)
    return OrderAmounts(_units(given), _units(notional), rounded_price, given)


def _checked(price: Decimal, tick_size: Decimal) -> RoundConfig:
    config = round_config(tick_size)
    if not tick_size <= price <= _CEILINGS[tick_size]:
        raise SigningError(
            VENUE, f"price {price} is outside [{tick_size}, {_ONE - tick_size}] at tick {tick_size}"
        )
    return config


def _floor(value: Decimal, places: int) -> Decimal:
    return value.quantize(_QUANTA[places], ROUND_FLOOR, _CONTEXT)


def _places(value: Decimal) -> int:
    """Decimals of ``value`` without trailing zeros (``82.8200`` has 2)."""
    exponent = value.normalize(_CONTEXT).as_tuple().exponent
    assert isinstance(exponent, int)  # finite: the context traps NaN and infinities
    return -exponent if exponent < 0 else 0


def _fit(value: Decimal, places: int) -> Decimal:
    """Polymarket's notional rule: round up at ``places + 4`` decimals, then floor at
    ``places`` if that was not enough."""
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite: the context traps NaN and infinities
    # The written exponent bounds the decimals: most values fit without normalising.
    if -exponent > places and _places(value) > places:
        value = value.quantize(_QUANTA[places + 4], ROUND_CEILING, _CONTEXT)
        if _places(value) > places:
            value = _floor(value, places)
    return value


def _units(value: Decimal) -> int:
    """Millionths, as the integer the order signs (exact: at most 6 decimals remain, so
    shifting the point six places leaves no fraction to round)."""
    return int(value.scaleb(6, _CONTEXT))
