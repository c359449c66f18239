"""``QuoteSlot``: one resting quote a strategy keeps (its order, price and size), and the
rule that says when to replace it."""

from __future__ import annotations

from decimal import Decimal

import attrs

from agbotkit.model.books import Side
from agbotkit.strategies.api import StrategyContext

__all__ = ["Quote", "QuoteSlot"]


@attrs.frozen
class Quote:
    """A quote wanted: BUY or SELL ``size`` of ``token_id`` at ``price``."""

    token_id: str
    side: Side
    price: Decimal
    size: Decimal


@attrs.define
class QuoteSlot:
    """One side of a market maker's quotes: the order resting for it, if any."""

    client_order_id: str | None = None
    quote: Quote | None = None

    def needs_requote(self, wanted: Quote | None, threshold: Decimal) -> bool:
        """Whether the resting quote must go: another token or side, a size change, or a
        price moved by ``threshold`` or more (or nothing wanted any more)."""
        current = self.quote
        if current is None or wanted is None:
            return current is not wanted
        return (
            current.token_id != wanted.token_id
            or current.side is not wanted.side
            or current.size != wanted.size
            or abs(current.price - wanted.price) >= threshold
        )

    def replace(self, context: StrategyContext, wanted: Quote | None) -> None:
        """Cancel the resting quote and place ``wanted`` (post-only GTC)."""
        if self.client_order_id is not None:
            context.cancel_order(self.client_order_id)
        self.client_order_id = self.quote = None
        if wanted is not None:
            self.client_order_id = context.submit_order(
                wanted.token_id, wanted.side, wanted.price, wanted.size, post_only=True
            )
            self.quote = wanted

    def forget(self, client_order_id: str) -> None:
        """The order is gone (filled, cancelled, rejected): the slot is empty."""
        if self.client_order_id == client_order_id:
            self.client_order_id = self.quote = None
