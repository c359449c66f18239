"""Exact Decimal prices and sizes for orders, from the floats strategies compute with."""

from __future__ import annotations

import functools
from decimal import Decimal

__all__ = ["clamp_price", "shares", "tick_decimal"]


def tick_decimal(tick: float) -> Decimal:
    """The tick size as an exact Decimal (0.01 -> Decimal("0.01"))."""
    return Decimal(str(tick))


def clamp_price(price: Decimal, tick: float) -> Decimal:
    """``price`` within the tradable range ``[tick, 1 - tick]``."""
    step = tick_decimal(tick)
    return min(max(price, step), 1 - step)


@functools.lru_cache(maxsize=4096)
def shares(size: float) -> Decimal:
    """A float size as a Decimal of at most 6 decimals, without an exponent (10.0 -> 10)."""
    value = Decimal(f"{size:.6f}").normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value
