"""Exact numbers for prices and sizes, and the attrs validators order values share.

Prices are probabilities in ``[0, 1]`` (USD per share; a winning share pays 1 USD) and sizes
are numbers of shares. Both are :class:`~decimal.Decimal`: they end up in signed orders and
in the books of a simulator, where ``0.1 + 0.2`` must equal ``0.3``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

__all__ = [
    "as_float",
    "non_empty",
    "non_negative",
    "optional_decimal",
    "positive",
    "probability",
    "to_decimal",
]


def to_decimal(value: Decimal | int | float | str) -> Decimal:
    """``value`` as an exact, finite Decimal (a float goes through ``str()``: 0.1 -> 0.1).

    Raises:
        ValueError: ``value`` is a bool, not a number, or not finite.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError:
        raise ValueError(f"expected a number, got {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"expected a finite number, got {value!r}")
    return result


# float(Decimal) goes through a string (~370 ns); prices and sizes repeat, so hot paths
# look them up here instead (~50 ns). Bounded: cleared when full.
_FLOATS: dict[Decimal, float] = {}
_FLOATS_KEPT = 1 << 16


def as_float(value: Decimal) -> float:
    """``float(value)``, remembered for the values seen most recently."""
    result = _FLOATS.get(value)
    if result is None:
        result = float(value)
        if len(_FLOATS) >= _FLOATS_KEPT:
            _FLOATS.clear()
        _FLOATS[value] = result
    return result


def optional_decimal(value: Decimal | int | float | str | None) -> Decimal | None:
    """:func:`to_decimal`, letting ``None`` through."""
    return None if value is None else to_decimal(value)


def probability(_: object, attribute: Any, value: Decimal) -> None:
    """attrs validator: ``value`` lies in ``[0, 1]``."""
    if not 0 <= value <= 1:
        raise ValueError(f"{attribute.name} must lie in [0, 1], got {value}")


def positive(_: object, attribute: Any, value: Decimal) -> None:
    """attrs validator: ``value > 0``."""
    if value <= 0:
        raise ValueError(f"{attribute.name} must be > 0, got {value}")


def non_negative(_: object, attribute: Any, value: Decimal | None) -> None:
    """attrs validator: ``value >= 0`` (``None`` passes)."""
    if value is not None and value < 0:
        raise ValueError(f"{attribute.name} must be >= 0, got {value}")


def non_empty(_: object, attribute: Any, value: str) -> None:
    """attrs validator: a non-empty string (an id)."""
    if not value:
        raise ValueError(f"{attribute.name} must not be empty")
