"""Float prices from books onto a token's tick grid, as exact Decimals for orders."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

__all__ = ["ceil_tick", "clamp_price", "floor_tick", "shares", "tick_decimal"]


def tick_decimal(tick: float) -> Decimal:
    """The tick size as an exact Decimal (0.01 -> Decimal("0.01"))."""
    return Decimal(str(tick))


def _on_grid(price: float, tick: float, rounding: str) -> Decimal:
    # Nine decimals first: a float just below a tick (0.47 computed as 0.4699999999) must
    # not fall a whole tick.
    step = tick_decimal(tick)
    return (Decimal(f"{price:.9f}") / step).to_integral_value(rounding=rounding) * step


def floor_tick(price: float, tick: float) -> Decimal:
    """The highest grid price <= ``price`` (for bids)."""
    return _on_grid(price, tick, ROUND_FLOOR)


def ceil_tick(price: float, tick: float) -> Decimal:
    """The lowest grid price >= ``price`` (for asks)."""
    return _on_grid(price, tick, ROUND_CEILING)


def clamp_price(price: Decimal, tick: float) -> Decimal:
    """``price`` within the tradable range ``[tick, 1 - tick]``."""
    step = tick_decimal(tick)
    return min(max(price, step), 1 - step)


def shares(size: float) -> Decimal:
    """A float size as a Decimal of at most 6 decimals, without an exponent (10.0 -> 10)."""
    value = Decimal(f"{size:.6f}").normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value
