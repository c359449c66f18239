"""``StrategyHarness``: run a strategy in memory, feed it market data, see what it sends.

For unit tests of strategies (the reference ones and plugins'): no bus, no venue, no event
loop. The harness builds the strategy with a :class:`HarnessContext` and calls its hooks
as a runner would; a test feeds books from ``(price, size)`` levels, trades, fills,
rejections, cancels, resolutions and the clock, and reads what the strategy sent::

    harness = StrategyHarness(MyStrategy, {"size": 10}, markets={"m1": ("yes", "no")})
    harness.start()
    harness.book("yes", bids=[(0.48, 100)], asks=[(0.52, 100)])
    [order] = harness.take_orders()
    harness.fill(order.client_order_id)

It keeps the contract of :mod:`agbotkit.strategies.api`: what a hook submits or cancels is
queued and counts as *sent* when the hook returns, in order; events the harness makes
itself (a venue rule refusing an order, a cancel confirmed) reach the strategy after that,
in order, never inside a hook. Positions come from the fills fed (the
:class:`~agbotkit.risk.simulator.PolymarketSimulator`'s accounting, fees included).

With ``rules`` (the paper venue's :class:`~agbotkit.exec.rules.FillRules`, the default) an
order off its token's tick grid, a resting order below the minimum size, a post-only order
that would cross the book fed, or a marketable order below the minimum notional is
rejected by the ``venue`` after it is sent, as the paper venue would. The harness never
matches orders itself: a test says which order fills, how much and at what price.
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from agbotkit.exec.rules import FillRules
from agbotkit.model.books import Side, TickSizeChanged
from agbotkit.model.execution import CancelOrder, OrderStatus, OrderStatusChanged
from agbotkit.model.markets import MarketResolved, Trade
from agbotkit.model.numbers import to_decimal
from agbotkit.model.orders import Fill, Order
from agbotkit.risk.simulator import PolymarketSimulator
from agbotkit.strategies.api import Number, OrderRejection, Strategy
from agbotkit.testing.harness_context import HarnessContext
from agbotkit.testing.harness_rules import harness_params, venue_refusal
from agbotkit.testing.levels_book import Levels, LevelsBook

__all__ = ["HarnessContext", "StrategyHarness"]


class StrategyHarness:
    """A strategy under test with its in-memory context.

    Args:
        strategy_cls: the strategy class.
        params: its parameters: a ``Config`` instance, a mapping (structured and validated
            as a stack entry's ``params`` are; ``ValueError`` lists the problems) or None
            for the Config's defaults.
        markets: the markets traded, each with its outcome tokens (YES first).
        strategy_id: the instance's name (client order ids are ``<strategy_id>-<n>``).
        now_ms: the clock's start, Unix ms.
        rules: the venue rules orders are checked against when sent (None: none).
        fee_rate: the taker fee rate positions are charged (fills without ``fee_usd``).
        auto_confirm_cancels: confirm each cancel once sent (the order becomes
            ``CANCELED``: ``on_order_update`` then ``on_cancel``); False leaves it pending
            until :meth:`cancelled`.

    Attributes:
        strategy: the strategy.
        context: its context.
        sent: every request sent, in order: :class:`~agbotkit.model.orders.Order` and
            :class:`~agbotkit.model.execution.CancelOrder` values.
        rejections: every rejection delivered to the strategy.
        fills: every fill delivered.
    """

    def __init__(
        self,
        strategy_cls: type[Strategy[Any]],
        params: Any = None,
        *,
        markets: Mapping[str, Sequence[str]] | None = None,
        strategy_id: str = "test",
        now_ms: int = 1_700_000_000_000,
        rules: FillRules | None = FillRules(),  # noqa: B008 - frozen, shared safely
        fee_rate: Decimal | float | str = 0,
        auto_confirm_cancels: bool = True,
    ) -> None:
        self.rules = rules
        self.auto_confirm_cancels = auto_confirm_cancels
        self.simulator = PolymarketSimulator(fee_rate=fee_rate)
        config = harness_params(strategy_cls, params)
        self.context = HarnessContext(
            strategy_id=strategy_id,
            params=config,
            markets=dict(markets or {}),
            simulator=self.simulator,
            now_ms=now_ms,
        )
        self.strategy = strategy_cls(config, self.context)
        self.sent: list[Order | CancelOrder] = []
        self.rejections: list[OrderRejection] = []
        self.fills: list[Fill] = []
        self._taken = 0
        self._events: collections.deque[Callable[[], None]] = collections.deque()
        self._draining = False
        self._trade_ids = 0

    # -- what was sent ------------------------------------------------------------------

    @property
    def orders(self) -> list[Order]:
        """Every order sent, in order."""
        return [request for request in self.sent if isinstance(request, Order)]

    @property
    def cancels(self) -> list[str]:
        """The client order ids of every cancel sent, in order."""
        return [r.client_order_id for r in self.sent if isinstance(r, CancelOrder)]

    def take(self) -> list[Order | CancelOrder]:
        """The requests sent since the last ``take`` (or the start)."""
        new = self.sent[self._taken :]
        self._taken = len(self.sent)
        return new

    def take_orders(self) -> list[Order]:
        """The orders sent since the last ``take`` (cancels taken too, and dropped)."""
        return [request for request in self.take() if isinstance(request, Order)]

    def order(self, client_order_id: str) -> Order:
        """A sent order by its id."""
        return self.context.tracked(client_order_id).order

    # -- lifecycle and market data -------------------------------------------------------

    def start(self) -> None:
        """Call ``on_start``."""
        self._deliver(self.strategy.on_start)

    def stop(self) -> None:
        """Call ``on_stop``."""
        self._deliver(self.strategy.on_stop)

    def book(
        self,
        token_id: str,
        bids: Levels = (),
        asks: Levels = (),
        *,
        market_id: str | None = None,
        tick_size: float | None = None,
        valid: bool = True,
    ) -> LevelsBook:
        """Make ``token_id``'s book from levels and call ``on_book`` with it.

        The market defaults to the one the token was given under; the tick size to the
        token's last (0.01 at first). The token's mid marks its position.
        """
        context = self.context
        market = market_id if market_id is not None else context.market_of(token_id)
        old = context.books.get(token_id)
        tick = tick_size if tick_size is not None else (old.tick_size if old else 0.01)
        view = LevelsBook(
            token_id,
            bids,
            asks,
            market_id=market,
            timestamp_ms=context.now,
            tick_size=tick,
            valid=valid,
        )
        context.add_book(view)
        if view.mid is not None:
            self.simulator.update_mid(token_id, view.mid)
        self._deliver(self.strategy.on_book, view)
        return view

    def trade(self, token_id: str, side: Side, price: Number, size: Number) -> Trade:
        """A public trade print (``side`` is the taker's): call ``on_trade``."""
        now = self.context.now
        trade = Trade(
            token_id,
            self.context.market_of(token_id),
            side,
            to_decimal(price),
            to_decimal(size),
            now,
            now,
            "last_trade_price",
        )
        self._deliver(self.strategy.on_trade, trade)
        return trade

    def tick_size(self, token_id: str, new_tick_size: float) -> TickSizeChanged:
        """Change a token's tick size (its book keeps its levels): call ``on_tick_size``."""
        context = self.context
        old = context.books.get(token_id)
        old_tick = old.tick_size if old is not None else 0.01
        if old is not None:
            context.add_book(
                LevelsBook(
                    token_id,
                    old.bids(1_000_000),
                    old.asks(1_000_000),
                    market_id=old.market_id,
                    timestamp_ms=context.now,
                    tick_size=new_tick_size,
                    valid=old.valid,
                )
            )
        change = TickSizeChanged(
            token_id,
            context.market_of(token_id),
            to_decimal(old_tick),
            to_decimal(new_tick_size),
            context.now,
        )
        self._deliver(self.strategy.on_tick_size, change)
        return change

    def resolve(self, market_id: str, winning_token_id: str) -> MarketResolved:
        """Resolve a market: its positions settle, its open orders are gone (no events for
        them), then ``on_resolution``."""
        context = self.context
        for tracked in context.open_tracked(market_id):
            context.close(tracked.order.client_order_id)
        self.simulator.resolve(market_id, winning_token_id)
        tokens = tuple(context.tokens(market_id)) or (winning_token_id,)
        resolved = MarketResolved(market_id, tokens, winning_token_id, "", context.now)
        self._deliver(self.strategy.on_resolution, resolved)
        return resolved

    def hold(self, token_id: str, size: Number, price: Number = "0.5") -> None:
        """Give the strategy ``size`` shares bought at ``price`` without telling it (a
        position it starts with)."""
        self.simulator.buy(token_id, size, price, market_id=self.context.market_of(token_id))

    # -- the clock --------------------------------------------------------------------------

    def advance(self, ms: int) -> None:
        """Move the clock ``ms`` forward, firing the timer at each due time on the way."""
        self.advance_to(self.context.now + ms)

    def advance_to(self, now_ms: int) -> None:
        """Move the clock to ``now_ms``, firing the timer at each due time on the way."""
        context = self.context
        if now_ms < context.now:
            raise ValueError(f"the clock cannot go back from {context.now} to {now_ms}")
        while context.timer_due is not None and context.timer_due <= now_ms:
            context.now = context.timer_due
            context.timer_due += context.timer_interval_ms
            self._deliver(self.strategy.on_timer, context.now)
        context.now = now_ms

    def flush(self) -> None:
        """Send what was queued on the context outside a hook (a test calling
        ``harness.context.submit_order`` itself), as if a hook had just returned."""
        self._deliver(lambda: None)

    # -- answers about its orders ------------------------------------------------------------

    def accept(self, client_order_id: str) -> OrderStatusChanged:
        """The venue accepted the order (it rests): ``on_order_update``."""
        change = self.context.change(client_order_id, OrderStatus.ACCEPTED)
        self._deliver(self.strategy.on_order_update, change)
        return change

    def fill(
        self,
        client_order_id: str,
        size: Number | None = None,
        price: Number | None = None,
        *,
        taker: bool | None = None,
        fee_usd: Number | None = None,
    ) -> Fill:
        """The order traded ``size`` shares (default: all that remains) at ``price``
        (default: its limit): ``on_fill``, then ``on_order_update`` (partially filled or
        filled). ``taker`` defaults to True for FOK/FAK orders, False for resting ones.

        Raises:
            ValueError: the order is not open, or ``size`` exceeds what remains.
        """
        context = self.context
        tracked = context.tracked(client_order_id)
        if not tracked.status.open:
            raise ValueError(f"order {client_order_id} is {tracked.status}, it cannot fill")
        order = tracked.order
        remaining = order.size - tracked.filled
        shares = remaining if size is None else to_decimal(size)
        if not 0 < shares <= remaining:
            raise ValueError(f"cannot fill {shares} of {client_order_id}: {remaining} remain")
        self._trade_ids += 1
        fill = Fill(
            token_id=order.token_id,
            side=order.side,
            price=order.price if price is None else to_decimal(price),
            size=shares,
            market_id=order.market_id,
            fee_usd=None if fee_usd is None else to_decimal(fee_usd),
            taker=not order.order_type.rests if taker is None else taker,
            timestamp_ms=context.now,
            order_id=client_order_id,
            trade_id=f"harness-{self._trade_ids}",
            client_order_id=client_order_id,
            venue=order.venue,
        )
        self.simulator.apply_fill(fill)
        change = context.record_fill(tracked, fill)
        self.fills.append(fill)
        self._events.append(lambda: self._call(self.strategy.on_fill, fill))
        self._events.append(lambda: self._call(self.strategy.on_order_update, change))
        self._drain()
        return fill

    def reject(
        self, client_order_id: str, reason: str = "rejected", stage: str = "venue"
    ) -> OrderRejection:
        """The order was denied (``stage``: ``risk``, ``execution`` or ``venue``) and will
        never trade: it leaves the open orders, ``on_rejected``."""
        order = self.context.tracked(client_order_id).order
        self.context.close(client_order_id, OrderStatus.REJECTED)
        rejection = OrderRejection(
            client_order_id, order.token_id, order.side, order.price, order.size, stage, reason
        )
        self.rejections.append(rejection)
        self._deliver(self.strategy.on_rejected, rejection)
        return rejection

    def cancelled(self, client_order_id: str, reason: str = "cancelled") -> OrderStatusChanged:
        """The order was cancelled (asked for, or the unfilled rest of a FAK order): it
        leaves the open orders, ``on_order_update`` then ``on_cancel``."""
        if not self.context.tracked(client_order_id).status.open:
            raise ValueError(f"order {client_order_id} is not open")
        changes: list[OrderStatusChanged] = []
        self._events.append(lambda: changes.append(self._cancelled(client_order_id, reason)))
        self._drain()
        return changes[0]

    # -- delivery ------------------------------------------------------------------------

    def _cancelled(self, client_order_id: str, reason: str) -> OrderStatusChanged:
        change = self.context.change(client_order_id, OrderStatus.CANCELED, reason=reason)
        self._call(self.strategy.on_order_update, change)
        self._call(self.strategy.on_cancel, change)
        return change

    def _deliver(self, hook: Callable[..., None], *args: Any) -> None:
        self._events.append(lambda: self._call(hook, *args))
        self._drain()

    def _drain(self) -> None:
        # Events made while a hook's requests are processed wait their turn: FIFO, never
        # inside a hook.
        if self._draining:
            return
        self._draining = True
        try:
            while self._events:
                self._events.popleft()()
        finally:
            self._draining = False

    def _call(self, hook: Callable[..., None], *args: Any) -> None:
        hook(*args)
        for request in self.context.flush():
            self.sent.append(request)
            if isinstance(request, CancelOrder):
                if self.auto_confirm_cancels:
                    self._events.append(functools.partial(self._confirm, request.client_order_id))
            else:
                refusal = self._refusal(request)
                if refusal is not None:
                    cid = request.client_order_id
                    self._events.append(functools.partial(self._refuse, cid, refusal))

    def _confirm(self, client_order_id: str) -> None:
        tracked = self.context.orders.get(client_order_id)
        if tracked is not None and tracked.status.open:
            self._cancelled(client_order_id, "cancelled by the strategy")

    def _refuse(self, client_order_id: str, reason: str) -> None:
        if self.context.orders[client_order_id].status.open:
            self.reject(client_order_id, reason, "venue")

    def _refusal(self, order: Order) -> str | None:
        if self.rules is None:
            return None
        view = self.context.books.get(order.token_id)
        return venue_refusal(order, view, self.rules, self.context.now)
