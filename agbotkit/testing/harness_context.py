"""``HarnessContext``: the in-memory :class:`~agbotkit.strategies.api.StrategyContext` of
:class:`~agbotkit.testing.strategy_harness.StrategyHarness`.

It keeps the strategy's orders (client order ids ``<strategy_id>-<n>``), queues what a
hook submits or cancels until the harness flushes it, and reads positions from the
harness's simulator. Build it through the harness.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from agbotkit.model.books import Side
from agbotkit.model.execution import CancelOrder, OrderStatus, OrderStatusChanged
from agbotkit.model.orders import Fill, Order, OrderType
from agbotkit.model.positions import Position
from agbotkit.risk.simulator import PolymarketSimulator
from agbotkit.strategies.api import BookView, Number, StrategyContext
from agbotkit.testing.levels_book import LevelsBook

__all__ = ["HarnessContext", "Tracked"]


@attrs.define
class Tracked:
    """One order of the strategy and what happened to it (mutable, harness-private)."""

    order: Order
    status: OrderStatus = OrderStatus.SUBMITTING
    filled: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)
    cancel_sent: bool = False


class HarnessContext(StrategyContext):
    """A strategy's context in a :class:`~agbotkit.testing.strategy_harness.StrategyHarness`.

    Attributes:
        now: the clock, Unix ms (the harness moves it).
        books: the latest book of each token.
        orders: every order the strategy submitted, by client order id.
        metrics: the latest value of each gauge, by ``(name, sorted labels)``.
        signals: signals counted, by type.
        timer_interval_ms: the timer's interval (0: off).
        timer_due: when it fires next (None: off).
        venue: the venue name put on orders.
    """

    def __init__(
        self,
        *,
        strategy_id: str,
        params: Any,
        markets: Mapping[str, Sequence[str]],
        simulator: PolymarketSimulator,
        now_ms: int,
        venue: str = "harness",
    ) -> None:
        self.strategy_id = strategy_id
        self.params = params
        self.markets = tuple(markets)
        self.logger = logging.getLogger(f"agbotkit.strategy.{strategy_id}")
        self.now = now_ms
        self.venue = venue
        self.books: dict[str, LevelsBook] = {}
        self.orders: dict[str, Tracked] = {}
        self.metrics: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        self.signals: dict[str, int] = {}
        self.timer_interval_ms = 0
        self.timer_due: int | None = None
        self._simulator = simulator
        self._tokens = {market: list(tokens) for market, tokens in markets.items()}
        self._market_of = {t: m for m, tokens in markets.items() for t in tokens}
        self._queue: list[Order | CancelOrder] = []
        self._next_id = 0

    # -- the harness's side --------------------------------------------------------------

    def market_of(self, token_id: str) -> str:
        """The market a token belongs to ("" when unknown)."""
        return self._market_of.get(token_id, "")

    def add_book(self, view: LevelsBook) -> None:
        """Take ``view`` as its token's book (learning the token's market)."""
        self.books[view.token_id] = view
        if view.market_id and view.token_id not in self._market_of:
            self._market_of[view.token_id] = view.market_id
            self._tokens.setdefault(view.market_id, []).append(view.token_id)

    def flush(self) -> list[Order | CancelOrder]:
        """The requests queued by the hook that just returned, now sent."""
        queued, self._queue = self._queue, []
        return queued

    def tracked(self, client_order_id: str) -> Tracked:
        """An order by id (``KeyError`` for an unknown one)."""
        return self.orders[client_order_id]

    def open_tracked(self, market_id: str | None = None) -> list[Tracked]:
        """Orders that may still trade, in submission order."""
        return [
            t
            for t in self.orders.values()
            if t.status.open and (market_id is None or t.order.market_id == market_id)
        ]

    def change(
        self, client_order_id: str, status: OrderStatus, *, reason: str = ""
    ) -> OrderStatusChanged:
        """Move an order to ``status``; the event that says so."""
        tracked = self.orders[client_order_id]
        previous, tracked.status = tracked.status, status
        average = tracked.paid / tracked.filled if tracked.filled else None
        return OrderStatusChanged(
            order=tracked.order,
            status=status,
            previous=previous,
            venue_order_id=client_order_id,
            filled_size=tracked.filled,
            average_price=average,
            reason=reason,
            timestamp_ms=self.now,
        )

    def close(self, client_order_id: str, status: OrderStatus = OrderStatus.CANCELED) -> None:
        """End an order silently (it leaves the open orders)."""
        self.orders[client_order_id].status = status

    def record_fill(self, tracked: Tracked, fill: Fill) -> OrderStatusChanged:
        """Count ``fill`` on its order; the status change it makes."""
        tracked.filled += fill.size
        tracked.paid += fill.size * fill.price
        done = tracked.filled >= tracked.order.size
        status = OrderStatus.FILLED if done else OrderStatus.PARTIALLY_FILLED
        return self.change(tracked.order.client_order_id, status)

    # -- the strategy's side (StrategyContext) --------------------------------------------

    def now_ms(self) -> int:
        """The harness's clock."""
        return self.now

    def submit_order(
        self,
        token_id: str,
        side: Side,
        price: Number,
        size: Number,
        *,
        order_type: OrderType = OrderType.GTC,
        post_only: bool = False,
        expires_at_ms: int | None = None,
        market_id: str | None = None,
    ) -> str:
        """Queue an order; its id ``<strategy_id>-<n>``. Invalid values raise ValueError."""
        self._next_id += 1
        client_order_id = f"{self.strategy_id}-{self._next_id}"
        order = Order(
            client_order_id=client_order_id,
            venue=self.venue,
            market_id=market_id if market_id is not None else self.market_of(token_id),
            token_id=token_id,
            side=side,
            price=price,
            size=size,
            order_type=order_type,
            expires_at_ms=expires_at_ms,
            post_only=post_only,
            strategy=self.strategy_id,
            created_ms=self.now,
        )
        self.orders[client_order_id] = Tracked(order)
        self._queue.append(order)
        return client_order_id

    def cancel_order(self, client_order_id: str) -> None:
        """Queue a cancel of an open order (unknown, closed or already cancelled: ignored)."""
        tracked = self.orders.get(client_order_id)
        if tracked is None or not tracked.status.open or tracked.cancel_sent:
            return
        tracked.cancel_sent = True
        self._queue.append(
            CancelOrder(client_order_id=client_order_id, reason="strategy", source=self.strategy_id)
        )

    def cancel_all(self, market_id: str | None = None) -> None:
        """Queue a cancel of each open order (of ``market_id``), in submission order."""
        for tracked in self.open_tracked(market_id):
            self.cancel_order(tracked.order.client_order_id)

    def get_position(self, token_id: str) -> Decimal:
        """Shares held, from the fills fed."""
        return self._simulator.position(token_id).size

    def positions(self) -> Mapping[str, Position]:
        """Every position, by token."""
        return {p.token_id: p for p in self._simulator.positions()}

    def open_orders(self, market_id: str | None = None) -> Sequence[Order]:
        """Orders that may still trade (sent or queued, not filled, cancelled or rejected)."""
        return [t.order for t in self.open_tracked(market_id)]

    def book(self, token_id: str) -> BookView | None:
        """The latest book fed for the token."""
        return self.books.get(token_id)

    def tokens(self, market_id: str) -> Sequence[str]:
        """The market's tokens as given (then as seen in books)."""
        return tuple(self._tokens.get(market_id, ()))

    def set_timer(self, interval_s: float) -> None:
        """Fire ``on_timer`` every ``interval_s`` from now (0 stops it)."""
        if interval_s < 0:
            raise ValueError(f"interval_s must be >= 0, got {interval_s}")
        self.timer_interval_ms = round(interval_s * 1000)
        self.timer_due = self.now + self.timer_interval_ms if self.timer_interval_ms else None

    def metric(self, name: str, value: float, labels: Mapping[str, str] | None = None) -> None:
        """Record a gauge's latest value."""
        key = tuple(sorted({**(labels or {}), "strategy_id": self.strategy_id}.items()))
        self.metrics[(name, key)] = value

    def signal(self, signal_type: str, count: int = 1) -> None:
        """Count signals."""
        self.signals[signal_type] = self.signals.get(signal_type, 0) + count
