"""``TargetTrader``: move a token's position toward a target with one marketable order
at a time (trend and mean reversion decide targets; this trades them)."""

from __future__ import annotations

from decimal import Decimal

import attrs

from agbotkit.model.books import Side
from agbotkit.model.orders import OrderType
from agbotkit.strategies.api import BookView, StrategyContext
from agbotkit.strategies.reference.ticks import clamp_price, tick_decimal

__all__ = ["TargetTrader"]


@attrs.define
class TargetTrader:
    """Trades one token toward ``target`` shares: a FAK buy at the best ask (plus
    ``slippage_ticks``) or a FAK sell at the best bid (minus them), never two orders at
    once, nothing smaller than ``min_size`` (except selling out the last shares)."""

    token_id: str
    min_size: Decimal
    slippage_ticks: int = 0
    target: Decimal = Decimal(0)
    pending: str | None = None

    def trade(self, context: StrategyContext, book: BookView) -> str | None:
        """Send the order that moves toward the target, if any is needed; its id."""
        if self.pending is not None or not book.valid:
            return None
        held = context.get_position(self.token_id)
        gap = self.target - held
        step = tick_decimal(book.tick_size) * self.slippage_ticks
        if gap > 0 and gap >= self.min_size and book.best_ask is not None:
            price = clamp_price(Decimal(str(book.best_ask)) + step, book.tick_size)
            side = Side.BUY
        elif gap < 0 and (-gap >= self.min_size or self.target == 0) and book.best_bid is not None:
            price = clamp_price(Decimal(str(book.best_bid)) - step, book.tick_size)
            side = Side.SELL
        else:
            return None
        self.pending = context.submit_order(
            self.token_id, side, price, abs(gap), order_type=OrderType.FAK
        )
        return self.pending

    def ended(self, client_order_id: str) -> None:
        """An order ended (filled, cancelled, rejected): the next book may trade again."""
        if self.pending == client_order_id:
            self.pending = None
