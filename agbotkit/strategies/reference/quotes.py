"""``QuoteSlot``: one resting quote a strategy keeps (its order, price and size), and the
rule that says when to replace it.

Quote prices are whole numbers of ticks (``ticks / per_unit``, ``per_unit = 1 / tick``):
comparing them is exact and cheap, and the order's Decimal price is built only when an
order is placed.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import NamedTuple

import attrs

from agbotkit.model.books import Side
from agbotkit.strategies.api import StrategyContext
from agbotkit.strategies.reference.ticks import shares

__all__ = ["Quote", "QuoteSlot"]


class Quote(NamedTuple):
    """A quote wanted: BUY or SELL ``size`` of ``token_id`` at ``ticks / per_unit``."""

    token_id: str
    side: Side
    ticks: int
    per_unit: int
    size: float

    @property
    def price(self) -> Decimal:
        """The exact price."""
        return _price(self.ticks, self.per_unit)


@functools.lru_cache(maxsize=4096)
def _price(ticks: int, per_unit: int) -> Decimal:
    # A quoter asks for the same few prices again and again.
    return Decimal(ticks) / Decimal(per_unit)


@attrs.define
class QuoteSlot:
    """One side of a market maker's quotes: the order resting for it, if any."""

    client_order_id: str | None = None
    quote: Quote | None = None
    #: shares of the resting order not filled yet
    remaining: Decimal = Decimal(0)

    def needs_requote(self, wanted: Quote | None, threshold: float) -> bool:
        """Whether the resting quote must go: another token or side, a size change, or a
        price moved by ``threshold`` or more (or nothing wanted any more)."""
        current = self.quote
        if current is None or wanted is None:
            return current is not wanted
        return (
            current.token_id != wanted.token_id
            or current.side is not wanted.side
            or current.size != wanted.size
            or current.per_unit != wanted.per_unit
            # a hair under the threshold: 0.02 must count as 2 ticks of 0.01
            or abs(current.ticks - wanted.ticks) >= threshold * wanted.per_unit - 1e-9
        )

    def replace(self, context: StrategyContext, wanted: Quote | None) -> None:
        """Cancel the resting quote and place ``wanted`` (post-only GTC)."""
        if self.client_order_id is not None:
            context.cancel_order(self.client_order_id)
        self.client_order_id = self.quote = None
        if wanted is not None:
            size = shares(wanted.size)
            self.client_order_id = context.submit_order(
                wanted.token_id, wanted.side, wanted.price, size, post_only=True
            )
            self.quote = wanted
            self.remaining = size

    def filled(self, client_order_id: str, size: Decimal) -> None:
        """``size`` shares of an order traded: the slot empties once its order is done."""
        if self.client_order_id == client_order_id:
            self.remaining -= size
            if self.remaining <= 0:
                self.client_order_id = self.quote = None

    def forget(self, client_order_id: str) -> None:
        """The order is gone (filled, cancelled, rejected): the slot is empty."""
        if self.client_order_id == client_order_id:
            self.client_order_id = self.quote = None
