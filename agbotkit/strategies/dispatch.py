"""From bus messages to a strategy's hooks: which messages are its, and which hook each
calls.

:class:`Dispatcher` is synchronous and does no I/O: the ``strategy`` component calls one
of its methods per message, in order of arrival, and publishes what the hook queued
afterwards. Each method first updates the :class:`~agbotkit.strategies.context_live.
LiveContext` (so a hook reads the state the message made), then calls the hook:

* a book of a traded market: ``on_book``;
* a trade, tick-size change or resolution of a traded market: ``on_trade``,
  ``on_tick_size``, ``on_resolution``;
* a fill of one of its orders: ``on_fill`` (fills of other orders never reach it);
* a status change of one of its orders: ``on_order_update``, then ``on_cancel`` when it
  was cancelled or expired;
* a risk denial or a venue rejection of one of its orders: ``on_rejected``.
"""

from __future__ import annotations

from typing import Any

from agbotkit.model.books import TickSizeChanged
from agbotkit.model.execution import OrderStatus, OrderStatusChanged
from agbotkit.model.feeds import BookTop
from agbotkit.model.markets import MarketInfo, MarketResolved, Trade
from agbotkit.model.orders import Fill, OrderRejected
from agbotkit.model.risk import OrderDenied
from agbotkit.strategies.api import OrderRejection, Strategy
from agbotkit.strategies.context_live import LiveContext

__all__ = ["Dispatcher"]

_CANCELED = frozenset({OrderStatus.CANCELED, OrderStatus.EXPIRED})


class Dispatcher:
    """Calls ``strategy``'s hooks for the messages that concern it (see the module).

    Args:
        strategy: the strategy instance.
        context: its context (updated before each hook).
    """

    def __init__(self, strategy: Strategy[Any], context: LiveContext) -> None:
        self.strategy = strategy
        self.context = context

    def start(self) -> None:
        """``on_start``."""
        self.strategy.on_start()

    def stop(self) -> None:
        """``on_stop``."""
        self.strategy.on_stop()

    def timer(self, now_ms: int) -> None:
        """``on_timer``."""
        self.strategy.on_timer(now_ms)

    def market(self, info: MarketInfo) -> None:
        """Market metadata (no hook: ``context.tokens`` and ``context.markets`` change)."""
        self.context.learn_market(info)

    def book(self, top: BookTop) -> None:
        """A token's book changed."""
        view = self.context.apply_book(top)
        if view is not None:
            self.strategy.on_book(view)

    def market_data(self, event: object) -> None:
        """A trade, tick-size change or resolution (other market data is not a strategy's)."""
        if isinstance(event, Trade):
            if self.context.trades(event.market):
                self.strategy.on_trade(event)
        elif isinstance(event, TickSizeChanged):
            if self.context.trades(event.market):
                self.context.apply_tick_size(event)
                self.strategy.on_tick_size(event)
        elif isinstance(event, MarketResolved) and self.context.trades(event.market):
            self.context.apply_resolution(event)
            self.strategy.on_resolution(event)

    def fill(self, fill: Fill) -> None:
        """A fill, if of one of its orders."""
        if self.context.owns(fill.client_order_id):
            self.context.apply_fill(fill)
            self.strategy.on_fill(fill)

    def order_update(self, change: OrderStatusChanged) -> None:
        """A status change, if of one of its orders."""
        if not self.context.owns(change.client_order_id):
            return
        self.context.apply_update(change)
        self.strategy.on_order_update(change)
        if change.status in _CANCELED:
            self.strategy.on_cancel(change)

    def decision(self, decision: object) -> None:
        """A risk decision: a denial of one of its orders is a rejection."""
        if not isinstance(decision, OrderDenied):
            return
        intent = decision.intent
        if not self.context.owns(intent.client_order_id):
            return
        self.context.forget(intent.client_order_id)
        reason = "; ".join(str(v) for v in decision.violations) or "denied"
        self.strategy.on_rejected(
            OrderRejection(
                intent.client_order_id,
                intent.token_id,
                intent.side,
                intent.price,
                intent.size,
                "risk",
                reason,
            )
        )

    def outcome(self, outcome: object) -> None:
        """A venue's answer: a rejection of one of its orders is a rejection."""
        if not isinstance(outcome, OrderRejected):
            return
        client_order_id = outcome.client_order_id
        if not self.context.owns(client_order_id):
            return
        order = self.context.order(client_order_id)
        self.context.forget(client_order_id)
        if order is None:  # an order issued in an earlier life of the context
            return
        self.strategy.on_rejected(
            OrderRejection(
                client_order_id,
                order.token_id,
                order.side,
                order.price,
                order.size,
                "venue",
                outcome.reason or "rejected",
            )
        )
