"""The :class:`~agbotkit.strategies.api.StrategyContext` of a strategy running live or on
paper, inside the ``strategy`` component.

It is the component's view of the world, kept without I/O: the ``strategy`` component
feeds it what the bus says (books, markets, the strategy's own fills and order changes)
through the ``learn_*``/``apply_*`` methods, calls the strategy's hooks, then takes the
:attr:`LiveContext.outbox` (intents and cancels, in the order the hooks asked for them)
and publishes it. So the strategy reads a state that only changes between hooks, never
during one.

Which orders are the strategy's: those whose client order id it issued
(``<strategy_id>-<n>``), kept in an index; a fill, a status change, a denial or a
rejection of any other order never reaches it. Positions and PnL come from its own fills
only (a :class:`~agbotkit.risk.simulator.PolymarketSimulator`), marked at the books' mids.
"""

from __future__ import annotations

import collections
import itertools
import logging
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from agbotkit.errors import InsufficientPositionError, SettledTokenError
from agbotkit.model.books import Side, TickSizeChanged
from agbotkit.model.execution import CancelOrder, OrderStatusChanged
from agbotkit.model.feeds import BookTop
from agbotkit.model.markets import MarketInfo, MarketResolved
from agbotkit.model.numbers import to_decimal
from agbotkit.model.orders import Fill, Order, OrderIntent, OrderType, TradeStatus
from agbotkit.model.positions import Position
from agbotkit.risk.simulator import PolymarketSimulator
from agbotkit.strategies.api import BookView, Number, StrategyContext
from agbotkit.strategies.books import DEFAULT_TICK_SIZE, TopBookView
from agbotkit.strategies.metrics import StrategyMetrics, pnl_by_market

__all__ = ["LiveContext", "Outgoing"]

#: Ended orders remembered (for answers that come after an order's end).
_RECENT = 1024

#: What the context asks the runner to publish, in order.
Outgoing = OrderIntent | CancelOrder


class LiveContext(StrategyContext):
    """A strategy's context in the ``strategy`` component (see the module).

    Args:
        strategy_id: the instance's name (the stack entry's).
        params: the validated parameters.
        markets: the markets to trade, by condition id or slug; empty: every market the
            component hears of.
        now_ms: the clock.
        venue: the execution venue put on its intents (empty: the execution component's
            default venue).
        fee_rate: the taker fee rate for fills that carry no fee (PnL only).
    """

    def __init__(
        self,
        strategy_id: str,
        params: Any,
        *,
        markets: Sequence[str] = (),
        now_ms: Callable[[], int],
        venue: str = "",
        fee_rate: Decimal | float | str = 0,
    ) -> None:
        self.strategy_id = strategy_id
        self.params = params
        self.logger = logging.getLogger(f"agbotkit.strategy.{strategy_id}")
        self.venue = venue
        self.outbox: list[Outgoing] = []
        self.metrics = StrategyMetrics(strategy_id)
        self.timer_interval_s = 0.0
        self._clock = now_ms
        self._wanted = frozenset(markets)
        self._follow_all = not markets
        # Condition ids given directly are traded before their metadata arrives.
        self.markets = tuple(m for m in markets if m.startswith("0x"))
        self._market_set = set(self.markets)
        self._tokens: dict[str, tuple[str, ...]] = {}
        self._token_market: dict[str, str] = {}
        self._tick_sizes: dict[str, float] = {}
        self._market_ticks: dict[str, float] = {}
        self._books: dict[str, TopBookView] = {}
        self._open: dict[str, Order] = {}
        self._canceling: set[str] = set()
        # Orders that ended lately, for a venue's rejection that arrives after the status.
        self._recent: collections.OrderedDict[str, Order] = collections.OrderedDict()
        self._issued: set[str] = set()
        self._ids = itertools.count(1)
        self._simulator = PolymarketSimulator(fee_rate=fee_rate)
        self._held: set[str] = set()

    # -- what the strategy calls -------------------------------------------------------------

    def now_ms(self) -> int:
        """The current time, Unix ms."""
        return self._clock()

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
        """Queue an order; its client order id (``<strategy_id>-<n>``).

        Raises:
            ValueError: the token's market is not known and ``market_id`` not given, or a
                value is out of range (the order is not queued).
        """
        market = market_id or self._token_market.get(token_id)
        if not market:
            raise ValueError(f"the market of token {token_id} is not known: pass market_id")
        client_order_id = f"{self.strategy_id}-{next(self._ids)}"
        intent = OrderIntent(
            market_id=market,
            token_id=token_id,
            side=Side(side),
            price=to_decimal(price),
            size=to_decimal(size),
            client_order_id=client_order_id,
            strategy=self.strategy_id,
            order_type=order_type,
            expires_at_ms=expires_at_ms,
            post_only=post_only,
            venue=self.venue,
        )
        self._issued.add(client_order_id)
        self._open[client_order_id] = Order.from_intent(
            intent, venue=self.venue, created_ms=self._clock()
        )
        self.outbox.append(intent)
        self.metrics.order_submitted()
        return client_order_id

    def cancel_order(self, client_order_id: str) -> None:
        """Queue a cancel of one of its open orders (others, and repeats, are ignored)."""
        if client_order_id not in self._open or client_order_id in self._canceling:
            return
        self._canceling.add(client_order_id)
        self.outbox.append(
            CancelOrder(client_order_id=client_order_id, reason="strategy", source=self.strategy_id)
        )

    def cancel_all(self, market_id: str | None = None) -> None:
        """Queue cancels of every open order (of one market if given)."""
        for order in self.open_orders(market_id):
            self.cancel_order(order.client_order_id)

    def get_position(self, token_id: str) -> Decimal:
        """Shares of ``token_id`` held, from the strategy's own fills."""
        if token_id not in self._held:
            return Decimal(0)
        return self._simulator.position(token_id).size

    def positions(self) -> Mapping[str, Position]:
        """Every position of the strategy, by token."""
        return {p.token_id: p for p in self._simulator.positions()}

    def open_orders(self, market_id: str | None = None) -> Sequence[Order]:
        """Its orders that may still trade (queued, sent or resting)."""
        orders = self._open.values()
        if market_id is None:
            return list(orders)
        return [o for o in orders if o.market_id == market_id]

    def book(self, token_id: str) -> BookView | None:
        """The token's current book, ``None`` before its first one."""
        return self._books.get(token_id)

    def tokens(self, market_id: str) -> Sequence[str]:
        """The market's tokens, YES first, as far as known."""
        return self._tokens.get(market_id, ())

    def set_timer(self, interval_s: float) -> None:
        """Call ``on_timer`` every ``interval_s`` seconds (0 stops it)."""
        if interval_s < 0:
            raise ValueError(f"a timer interval must be >= 0, got {interval_s}")
        self.timer_interval_s = float(interval_s)

    def metric(self, name: str, value: float, labels: Mapping[str, str] | None = None) -> None:
        """Set a gauge, published every metrics interval (``strategy_id`` added)."""
        self.metrics.gauge(name, value, labels)

    def signal(self, signal_type: str, count: int = 1) -> None:
        """Count signals (``strategy.signals_generated{signal_type=...}``)."""
        self.metrics.signal(signal_type, count)

    # -- what the runner feeds in ------------------------------------------------------------

    def take_outbox(self) -> list[Outgoing]:
        """What the hooks queued since the last call, in order (and forget it)."""
        outbox, self.outbox = self.outbox, []
        return outbox

    def trades(self, market_id: str) -> bool:
        """Whether the strategy trades ``market_id`` (a condition id)."""
        return market_id in self._market_set

    def owns(self, client_order_id: str) -> bool:
        """Whether the strategy issued ``client_order_id``."""
        return client_order_id in self._issued

    def learn_market(self, info: MarketInfo) -> bool:
        """Take a market's metadata; whether it is one the strategy trades (newly or not)."""
        wanted = (
            self._follow_all
            or info.condition_id in self._wanted
            or (bool(info.slug) and info.slug in self._wanted)
        )
        if not wanted:
            return False
        market = info.condition_id
        if market not in self._market_set:
            self._market_set.add(market)
            self.markets = (*self.markets, market)
        self._tokens[market] = info.token_ids
        if info.tick_size is not None:
            self._market_ticks[market] = float(info.tick_size)
        for token in info.token_ids:
            self._token_market[token] = market
        return True

    def apply_book(self, top: BookTop) -> TopBookView | None:
        """Take a token's book; its view, or ``None`` when not of a traded market."""
        market = top.market
        if market not in self._market_set:
            return None
        token = top.asset_id
        self._token_market.setdefault(token, market)
        tick = self._tick_sizes.get(token) or self._market_ticks.get(market, DEFAULT_TICK_SIZE)
        view = TopBookView.from_top(top, tick)
        self._books[token] = view
        if token in self._held and view.mid is not None:
            self._simulator.update_mid(token, view.mid)
        return view

    def apply_tick_size(self, change: TickSizeChanged) -> None:
        """Take a token's new tick size."""
        tick = float(change.new_tick_size)
        self._tick_sizes[change.asset_id] = tick
        book = self._books.get(change.asset_id)
        if book is not None:
            self._books[change.asset_id] = book.with_tick_size(tick)

    def apply_fill(self, fill: Fill) -> None:
        """Book one of its fills (positions, PnL)."""
        self.metrics.fill()
        if not fill.market_id and fill.token_id in self._token_market:
            fill = attrs.evolve(fill, market_id=self._token_market[fill.token_id])
        if fill.trade_status is TradeStatus.FAILED:
            # The execution layer publishes a failed trade it had counted: undo it, as the
            # risk component's books do (the opposite trade at the same price, no fee).
            undo = Side.SELL if fill.side is Side.BUY else Side.BUY
            fill = attrs.evolve(fill, side=undo, fee_usd=Decimal(0))
        try:
            self._simulator.apply_fill(fill)
        except (InsufficientPositionError, SettledTokenError) as exc:
            # Fills are facts: books that disagree (shares held before this run) are
            # reported, not a reason to stop trading.
            self.logger.warning("fill %s not booked: %s", fill.trade_id or fill.order_id, exc)
            return
        self._held.add(fill.token_id)
        book = self._books.get(fill.token_id)
        if book is not None and book.mid is not None:
            self._simulator.update_mid(fill.token_id, book.mid)

    def apply_update(self, change: OrderStatusChanged) -> None:
        """Take a status change of one of its orders."""
        client_order_id = change.client_order_id
        if change.status.terminal:
            self.forget(client_order_id)
        elif client_order_id in self._open:
            self._open[client_order_id] = change.order

    def forget(self, client_order_id: str) -> None:
        """The order will not trade (again): no longer open."""
        order = self._open.pop(client_order_id, None)
        self._canceling.discard(client_order_id)
        if order is not None:
            self._recent[client_order_id] = order
            if len(self._recent) > _RECENT:
                self._recent.popitem(last=False)

    def order(self, client_order_id: str) -> Order | None:
        """One of its orders, open or ended lately (``None``: not known)."""
        return self._open.get(client_order_id) or self._recent.get(client_order_id)

    def apply_resolution(self, resolved: MarketResolved) -> None:
        """Settle a resolved market's positions; its orders are gone."""
        market = resolved.market
        if any(self._simulator.position(t).market_id == market for t in self._held):
            self._simulator.resolve(market, resolved.winning_asset_id)
        for order in self.open_orders(market):
            self.forget(order.client_order_id)

    def pnl_by_market(self) -> dict[str, Decimal]:
        """PnL per market traded."""
        return pnl_by_market(self._simulator.positions())
