"""What every Polymarket translator shares: the per-frame result and exact number parsing.

Pure: no I/O, no trio. :mod:`agbotkit.marketdata.translate_clob`,
:mod:`agbotkit.marketdata.translate_rtds` and :mod:`agbotkit.marketdata.translate_gamma`
build on these; :mod:`agbotkit.marketdata.translate` re-exports the public names. They live
apart from the per-protocol modules so that each can import them without a cycle through the
re-exporting module.

* :class:`FrameEvents` is what decoding one frame returns: its events plus the errors of its
  bad array elements.
* The ``_decimal`` family turns wire price and size strings into exact, memoised
  :class:`~decimal.Decimal` values and rejects what is not a finite, non-negative number;
  ``_levels`` does so for a whole side of a book.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import TypeVar

from agbotkit.errors import MalformedFrameError
from agbotkit.marketdata.wire_clob import WireLevel
from agbotkit.model.marketdata import PriceLevel

__all__ = [
    "FrameEvents",
]

_E = TypeVar("_E")


class FrameEvents(list[_E]):
    """The events of one frame (a plain list), plus the frame's bad array elements.

    Attributes:
        errors: one :class:`MalformedFrameError` per element of an array frame that could
            not be understood; empty for a clean frame. Count them like a malformed frame.
    """

    # A shared empty default instead of an __init__: building the result of every frame
    # then costs what building a list costs.
    errors: tuple[MalformedFrameError, ...] = ()


# NamedTuple.__new__ is a Python function; tuple.__new__ builds the same value directly.
_new_tuple = tuple.__new__

# --- exact numbers -------------------------------------------------------------------------

# Decimal(str) costs about 0.3 µs and the same few hundred price strings repeat all day, so
# parsed values are memoised (Decimals are immutable; the cache only changes speed). The
# bound keeps a long run of distinct sizes from growing it without limit.
_DECIMALS: dict[str, Decimal] = {}
_DECIMALS_LIMIT = 50_000


def _decimal(text: str, what: str) -> Decimal:
    """Parse a wire price or size: a finite, non-negative decimal string.

    Raises:
        MalformedFrameError: (without excerpt) anything else.
    """
    value = _DECIMALS.get(text)
    if value is not None:
        return value
    try:
        value = Decimal(text)
    except (decimal.InvalidOperation, ValueError, TypeError):
        raise MalformedFrameError(f"{what}: invalid decimal {text!r}") from None
    if not value.is_finite() or value < 0:
        raise MalformedFrameError(f"{what}: expected a finite non-negative number, got {text!r}")
    if len(_DECIMALS) >= _DECIMALS_LIMIT:
        _DECIMALS.clear()
    _DECIMALS[text] = value
    return value


def _optional_decimal(text: str | None, what: str) -> Decimal | None:
    """Like :func:`_decimal`, but ``None`` or ``""`` (not sent, or an empty side) give None."""
    if not text:
        return None
    value = _DECIMALS.get(text)
    return value if value is not None else _decimal(text, what)


def _finite(value: Decimal | None, what: str) -> Decimal | None:
    """Reject NaN and infinities that msgspec's Decimal decoding lets through."""
    if value is not None and not value.is_finite():
        raise MalformedFrameError(f"{what}: expected a finite number, got {value}")
    return value


def _levels(levels: list[WireLevel], what: str, *, descending: bool) -> tuple[PriceLevel, ...]:
    """Snapshot levels, best first, zero-size levels dropped, whatever the wire order."""
    cache = _DECIMALS
    out: list[PriceLevel] = []
    for level in levels:
        price = cache.get(level.price)
        if price is None:
            price = _decimal(level.price, what + " price")
        size = cache.get(level.size)
        if size is None:
            size = _decimal(level.size, what + " size")
        if size:
            out.append(_new_tuple(PriceLevel, (price, size)))
    # The real feed lists bids ascending and asks descending (best last); never rely on it.
    out.sort(key=_price_of, reverse=descending)
    return tuple(out)


def _price_of(level: PriceLevel) -> Decimal:
    return level.price
