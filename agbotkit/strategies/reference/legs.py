"""``LegGroup``: orders that must all fill or none stay: a basket of FOK/FAK legs that
unwinds what filled when any leg fails.

A leg fails when it ends without filling completely (rejected, cancelled, expired).
Then the other legs still open are cancelled and every share a leg bought or sold, now or
later (a fill may arrive after the failure), is traded back with a FAK order at the
touch, ``unwind_ticks`` ticks worse to make sure it fills. The group never leaves one leg
standing alone on purpose.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from agbotkit.model.books import Side
from agbotkit.model.orders import OrderType
from agbotkit.strategies.api import StrategyContext
from agbotkit.strategies.reference.ticks import clamp_price, tick_decimal

__all__ = ["Leg", "LegGroup"]


@attrs.define
class Leg:
    """One leg: what it trades and what it has filled."""

    token_id: str
    side: Side
    price: Decimal
    size: Decimal
    filled: Decimal = Decimal(0)
    done: bool = False


@attrs.define
class LegGroup:
    """Legs sent together; ``failed`` once one leg failed (the rest is being unwound)."""

    legs: dict[str, Leg] = attrs.Factory(dict)
    unwinds: set[str] = attrs.Factory(set)
    failed: bool = False

    @classmethod
    def send(
        cls,
        context: StrategyContext,
        legs: list[tuple[str, Side, Decimal, Decimal]],
        order_type: OrderType,
    ) -> LegGroup:
        """Submit every leg (``token, side, price, size``) at once."""
        group = cls()
        for token, side, price, size in legs:
            cid = context.submit_order(token, side, price, size, order_type=order_type)
            group.legs[cid] = Leg(token, side, price, size)
        return group

    @property
    def active(self) -> bool:
        """Whether a leg or an unwind may still trade."""
        return bool(self.unwinds) or any(not leg.done for leg in self.legs.values())

    @property
    def succeeded(self) -> bool:
        """Whether every leg filled completely."""
        return not self.failed and all(leg.filled >= leg.size for leg in self.legs.values())

    def owns(self, client_order_id: str) -> bool:
        """Whether the order is a leg or an unwind of this group."""
        return client_order_id in self.legs or client_order_id in self.unwinds

    def filled(
        self, context: StrategyContext, client_order_id: str, size: Decimal, unwind_ticks: int
    ) -> None:
        """A leg traded ``size`` shares (unwound at once when the group failed)."""
        leg = self.legs.get(client_order_id)
        if leg is None:
            return
        leg.filled += size
        if leg.filled >= leg.size:
            leg.done = True
        if self.failed:
            self._unwind(context, leg, size, unwind_ticks)

    def ended(self, context: StrategyContext, client_order_id: str, unwind_ticks: int) -> None:
        """An order of the group ended (cancelled, rejected, expired, filled)."""
        self.unwinds.discard(client_order_id)
        leg = self.legs.get(client_order_id)
        if leg is None or (leg.done and leg.filled >= leg.size):
            return
        leg.done = True
        if leg.filled < leg.size and not self.failed:
            self.failed = True
            for cid, other in self.legs.items():
                if not other.done:
                    context.cancel_order(cid)
                if other.filled > 0:
                    self._unwind(context, other, other.filled, unwind_ticks)

    def _unwind(self, context: StrategyContext, leg: Leg, size: Decimal, unwind_ticks: int) -> None:
        book = context.book(leg.token_id)
        tick = book.tick_size if book is not None else 0.01
        step = tick_decimal(tick) * unwind_ticks
        if leg.side is Side.BUY:  # sell back what was bought
            touch = book.best_bid if book is not None else None
            price = (Decimal(str(touch)) if touch is not None else leg.price) - step
            side = Side.SELL
        else:  # buy back what was sold
            touch = book.best_ask if book is not None else None
            price = (Decimal(str(touch)) if touch is not None else leg.price) + step
            side = Side.BUY
        cid = context.submit_order(
            leg.token_id, side, clamp_price(price, tick), size, order_type=OrderType.FAK
        )
        self.unwinds.add(cid)
        context.signal("unwind")
