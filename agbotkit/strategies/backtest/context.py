"""The :class:`~agbotkit.strategies.api.StrategyContext` a strategy gets in a backtest.

Its requests are queued and handed to the :class:`~agbotkit.strategies.backtest.broker.Broker`
when the hook returns, as the live runner does; everything it reads is the backtest's
current state on the simulated clock. Client order ids are ``<strategy_id>-<n>``, so two
runs of the same inputs name their orders alike.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from agbotkit.model.books import Side
from agbotkit.model.markets import MarketInfo
from agbotkit.model.members import GTC
from agbotkit.model.numbers import to_decimal
from agbotkit.model.orders import Order, OrderType
from agbotkit.model.positions import Position
from agbotkit.strategies.api import BookView, Number, OrderRejection, StrategyContext
from agbotkit.strategies.backtest.book import TokenBook
from agbotkit.strategies.backtest.broker import VENUE, Broker

__all__ = ["BacktestContext"]

#: how many distinct prices and sizes the context remembers as Decimals
_DECIMALS_KEPT = 4096


class BacktestContext(StrategyContext):
    """A strategy's context in a backtest (see the module docstring).

    Args:
        strategy_id: the instance's name.
        params: its validated parameters.
        markets: the markets it trades.
        broker: where its requests go.
        books: every token's book.
        infos: the markets' metadata.
    """

    def __init__(
        self,
        *,
        strategy_id: str,
        params: Any,
        markets: tuple[str, ...],
        broker: Broker,
        books: dict[str, TokenBook],
        infos: Mapping[str, MarketInfo],
    ) -> None:
        self.strategy_id = strategy_id
        self.params = params
        self.markets = markets
        self.logger = logging.getLogger(f"agbotkit.strategies.{strategy_id}")
        self.now = 0
        #: requests queued by the running hook: ``(True, order)`` or ``(False, client id)``
        self.queue: list[tuple[bool, Any]] = []
        self.metrics: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        self.signals: dict[str, int] = {}
        self._broker = broker
        self._books = books
        self._infos = infos
        self._count = 0
        self._decimals: dict[tuple[type, Number], Decimal] = {}
        self._tokens: dict[str, tuple[str, ...]] = {m: i.token_ids for m, i in infos.items()}
        for book in books.values():
            if book.market_id not in infos:
                known = self._tokens.get(book.market_id, ())
                self._tokens[book.market_id] = (*known, book.token_id)

    def now_ms(self) -> int:
        return self.now

    def submit_order(
        self,
        token_id: str,
        side: Side,
        price: Number,
        size: Number,
        *,
        order_type: OrderType = GTC,
        post_only: bool = False,
        expires_at_ms: int | None = None,
        market_id: str | None = None,
    ) -> str:
        self._count += 1
        client_order_id = f"{self.strategy_id}-{self._count}"
        if market_id is None:
            book = self._books.get(token_id)
            market_id = book.market_id if book is not None else ""
        try:
            order = Order(
                client_order_id=client_order_id,
                venue=VENUE,
                market_id=market_id,
                token_id=token_id,
                side=side,
                price=price if price.__class__ is Decimal else self._decimal(price),
                size=size if size.__class__ is Decimal else self._decimal(size),
                order_type=order_type,
                expires_at_ms=expires_at_ms,
                post_only=post_only,
                strategy=self.strategy_id,
                created_ms=self.now,
            )
        except (ValueError, TypeError, ArithmeticError) as exc:
            # An impossible order is refused like any other, not raised into the run.
            self.queue.append((False, _Refused(client_order_id, token_id, side, price, size, exc)))
            return client_order_id
        self.queue.append((True, order))
        return client_order_id

    def _decimal(self, value: Number) -> Decimal:
        """``to_decimal(value)``, remembered: strategies quote the same few prices over and
        over, and the conversion (through ``str``) is a good part of an order's cost."""
        if isinstance(value, Decimal):
            return value
        key = (value.__class__, value)  # 1 and 1.0 and True hash alike: the type tells them apart
        exact = self._decimals.get(key)
        if exact is None:
            exact = to_decimal(value)
            if len(self._decimals) >= _DECIMALS_KEPT:
                self._decimals.clear()
            self._decimals[key] = exact
        return exact

    def cancel_order(self, client_order_id: str) -> None:
        self.queue.append((False, client_order_id))

    def cancel_all(self, market_id: str | None = None) -> None:
        for state in self._broker.oms.open_orders(VENUE, market_id):
            self.queue.append((False, state.order.client_order_id))

    def get_position(self, token_id: str) -> Decimal:
        return self._broker.positions.size(token_id)

    def positions(self) -> Mapping[str, Position]:
        return {p.token_id: p for p in self._broker.positions.positions()}

    def open_orders(self, market_id: str | None = None) -> Sequence[Order]:
        return [state.order for state in self._broker.oms.open_orders(VENUE, market_id)]

    def book(self, token_id: str) -> BookView | None:
        book = self._books.get(token_id)
        return None if book is None or not book.valid else book.view

    def tokens(self, market_id: str) -> Sequence[str]:
        return self._tokens.get(market_id, ())

    def set_timer(self, interval_s: float) -> None:
        self.timer_interval_ms = max(0, round(interval_s * 1000))
        self.timer_due = self.now + self.timer_interval_ms if self.timer_interval_ms else None
        self.queue.append((False, None))  # wakes the engine: its next due time changed

    def metric(self, name: str, value: float, labels: Mapping[str, str] | None = None) -> None:
        self.metrics[(name, tuple(sorted((labels or {}).items())))] = value

    def signal(self, signal_type: str, count: int = 1) -> None:
        self.signals[signal_type] = self.signals.get(signal_type, 0) + count

    timer_interval_ms: int = 0
    timer_due: int | None = None


class _Refused:
    """An order the context could not even build (a bad price or size)."""

    __slots__ = ("rejection",)

    def __init__(
        self, client_order_id: str, token_id: str, side: Side, price: Any, size: Any, exc: Exception
    ) -> None:
        def exact(value: Any) -> Decimal:
            try:
                return to_decimal(value)
            except (ValueError, TypeError, ArithmeticError):
                return Decimal(0)

        self.rejection = OrderRejection(
            client_order_id, token_id, side, exact(price), exact(size), "execution", str(exc)
        )
