"""The backtest's order path, after a strategy hook returns.

``submit_order`` -> the risk engine (judged against the backtest's own positions, as the
risk component judges against its portfolio) -> the order manager (``NEW``,
``SUBMITTING``) -> ``latency_ms`` of simulated time -> the fill simulator (the paper
venue's fill logic: queue place, walking the book, fees) -> its answers back through the
order manager -> fills into the positions (:class:`PolymarketSimulator`) -> the strategy's
hooks (``on_order_update``, ``on_fill``, ``on_cancel``, ``on_rejected``).

Two venue rules the paper venue does not need are added here, because a backtest trades
on its own books: a sell needs the shares (held, less what open sells already promise:
Polymarket refuses the order otherwise), and a resolved market takes no order.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterable
from decimal import Decimal

from agbotkit.exec.fillsim import FillSimulator
from agbotkit.exec.oms import OrderManager
from agbotkit.exec.rules import FillRules
from agbotkit.model.execution import OrderStatus, OrderStatusChanged
from agbotkit.model.markets import MarketResolved, Trade
from agbotkit.model.members import (
    ACCEPTED,
    BUY,
    CANCELED,
    EXPIRED,
    FILLED,
    PARTIALLY_FILLED,
    REJECTED,
    SELL,
)
from agbotkit.model.numbers import as_float
from agbotkit.model.orders import Fill, Order
from agbotkit.model.risk import RiskContext
from agbotkit.model.venues import OrderAck, VenueEvent
from agbotkit.risk.engine import RiskEngine
from agbotkit.risk.simulator import PolymarketSimulator
from agbotkit.strategies.api import OrderRejection, Strategy
from agbotkit.strategies.backtest.book import TokenBook

__all__ = ["VENUE", "Broker"]

#: The venue name on the backtest's orders and fills.
VENUE = "backtest"
_ZERO = Decimal(0)
_S = OrderStatus
_RESTING = frozenset({ACCEPTED, PARTIALLY_FILLED})
_ENDED = frozenset({CANCELED, EXPIRED})
_TERMINAL = frozenset(status for status in _S if status.terminal)
_SUBMIT = 0
_CANCEL = 1


class Broker:
    """Risk, order manager, latency, fill simulator and positions of one backtest.

    Args:
        strategy: whose hooks hear about its orders (set after construction).
        risk: the risk engine.
        fee_rate: the taker fee rate.
        min_size: the smallest resting order (a market's own, when set, wins).
        latency_ms: simulated time from a request to the venue.
        books: every token's book.
        clock: the simulated clock.
    """

    def __init__(
        self,
        *,
        risk: RiskEngine,
        fee_rate: Decimal,
        min_size: Decimal,
        latency_ms: int,
        books: dict[str, TokenBook],
        clock: Callable[[], int],
    ) -> None:
        self.strategy: Strategy[object] | None = None
        self._hears_changes = False  # see attach()
        self.risk = risk
        self.latency_ms = latency_ms
        self.books = books
        self.clock = clock
        rules = FillRules(
            venue=VENUE,
            fee_rate=fee_rate,
            min_size=min_size,
            order_id_prefix="bt-",
            trade_id_prefix="bt-",
        )
        self.venue = FillSimulator(rules)
        self.oms = OrderManager(component=VENUE, now_ms=clock)
        self.positions = PolymarketSimulator(fee_rate=fee_rate)
        self.fills: list[Fill] = []
        self.orders_submitted = 0
        self.market_ends: dict[str, int] = {}
        self.resolved: set[str] = set()
        # (due, seq, kind, order or client order id): requests on their way to the venue
        self._pending: deque[tuple[int, int, int, Order | str]] = deque()
        self._seq = 0
        self._expiries: list[int] = []  # GTD expiry times (the simulator expires them)
        self._resting: dict[str, set[str]] = {}  # token -> client ids resting there
        self._selling: dict[str, Decimal] = {}  # token -> shares open sells promise
        self._sells: dict[str, Decimal] = {}  # client id -> shares its sell still promises
        self._touched: set[str] = set()  # tokens the positions know
        self._took: set[str] = set()  # tokens we took liquidity from (the simulator follows)
        self.rejections: dict[str, int] = {}
        #: never stop watching a token (the engine's ``watch_all`` check)
        self.keep_watching = False
        self._inventory = 0.0

    # -- scheduling -------------------------------------------------------------------

    def next_due(self) -> int | None:
        """When the next request reaches the venue or a GTD order expires."""
        due = self._pending[0][0] if self._pending else None
        if self._expiries and (due is None or self._expiries[0] < due):
            due = self._expiries[0]
        return due

    def run_due(self, now_ms: int) -> None:
        """Deliver the requests and expiries due at ``now_ms``."""
        pending = self._pending
        while pending and pending[0][0] <= now_ms:
            _, _, kind, what = pending.popleft()
            if kind == _SUBMIT:
                assert isinstance(what, Order)
                self._arrive(what, now_ms)
            else:
                assert isinstance(what, str)
                self._cancel_arrives(what, now_ms)
        if self._expiries and self._expiries[0] <= now_ms:
            while self._expiries and self._expiries[0] <= now_ms:
                heapq.heappop(self._expiries)
            self._venue_events(self.venue.expire(now_ms))

    # -- requests (called once the hook returned) ----------------------------------------

    def submit(self, order: Order, now_ms: int) -> None:
        """Judge ``order`` and send it on its way (or reject it to the strategy)."""
        token = order.token_id
        book = self.books.get(token)
        mid = None
        if book is not None and book.bid_prices and book.ask_prices:
            mid = (as_float(book.bid_prices[-1]) + as_float(book.ask_prices[0])) / 2
        size = as_float(order.size)
        market = order.market_id
        decision = self.risk.evaluate(
            RiskContext(
                market_id=market,
                current_position=as_float(self.positions.size(token))
                if token in self._touched
                else 0.0,
                proposed_size=size if order.side is BUY else -size,
                inventory_value_usd=self._inventory,
                token_id=token,
                price=as_float(order.price),
                mid=mid,
                now_ms=now_ms,
                market_end_ms=self.market_ends.get(market),
            )
        )
        if not decision.allowed:
            reason = "; ".join(f"{v.policy}: {v.reason}" for v in decision.violated_policies)
            self._reject(order, "risk", reason)
            return
        oms = self.oms
        client_order_id = order.client_order_id
        added = oms.add(order)
        if self._hears_changes:
            self._tell(added)
        sending = oms.submitting(client_order_id, self.venue.order_id_for(client_order_id))
        if self._hears_changes:
            self._tell(sending)
        self.orders_submitted += 1
        self._seq += 1
        self._pending.append((now_ms + self.latency_ms, self._seq, _SUBMIT, order))

    def cancel(self, client_order_id: str, now_ms: int) -> None:
        """Send a cancel on its way (it reaches the venue after the latency)."""
        self._seq += 1
        self._pending.append((now_ms + self.latency_ms, self._seq, _CANCEL, client_order_id))

    # -- the venue ----------------------------------------------------------------------

    def _arrive(self, order: Order, now_ms: int) -> None:
        token = order.token_id
        reason = None
        if order.market_id in self.resolved:
            reason = f"market {order.market_id} is resolved"
        elif order.side is SELL:
            free = self._held(token) - self._selling.get(token, _ZERO)
            if order.size > free:
                reason = f"not enough shares to sell: {free} free of {token}"
        book = self.books.get(token)
        if reason is not None:
            ack = OrderAck(
                client_order_id=order.client_order_id,
                venue_order_id="",
                status=REJECTED,
                reason=reason,
                timestamp_ms=now_ms,
            )
            self._acked(order, ack, ())
            return
        result = self.venue.submit(
            order, book.sim if book is not None and book.valid else None, now_ms
        )
        if order.side is SELL and result.ack.status in _RESTING:
            self._promise(order.client_order_id, token, order.size)
        self._acked(order, result.ack, result.fills)

    def _acked(self, order: Order, ack: OrderAck, fills: Iterable[Fill]) -> None:
        status = ack.status
        if status in _RESTING:
            self._resting.setdefault(order.token_id, set()).add(order.client_order_id)
            book = self.books.get(order.token_id)
            if book is not None:
                book.watched = True
            if order.expires_at_ms is not None:
                heapq.heappush(self._expiries, order.expires_at_ms)
        changes = self.oms.acknowledged(ack)
        for fill in fills:
            self._fill(fill)
            self._took.add(order.token_id)
            book = self.books.get(order.token_id)
            if book is not None:
                book.watched = True  # it took liquidity: the simulator follows those levels
        self._tell_all(changes)
        if status is REJECTED:
            self._reject(order, "venue", ack.reason)

    def _cancel_arrives(self, client_order_id: str, now_ms: int) -> None:
        oms = self.oms
        state = oms.get(client_order_id)
        if state is None or state.status in _TERMINAL:
            return  # filled or cancelled meanwhile, or never ours: nothing to cancel
        self._tell_all(oms.cancel_requested(client_order_id, "strategy"))
        result = self.venue.cancel((state.venue_order_id,), now_ms)
        if result.canceled:
            self._gone(state.order)
        self._tell_all(oms.cancel_result(VENUE, result))

    def on_book(self, book: TokenBook, changes: object, now_ms: int) -> None:
        """A watched book changed (``changes``: the level changes, ``None``: a snapshot)."""
        self._venue_events(
            self.venue.on_book(book.token_id, book.sim, changes, now_ms)  # type: ignore[arg-type]
        )

    def on_trade(self, trade: Trade, now_ms: int) -> None:
        """A trade printed on a watched token."""
        self._venue_events(self.venue.on_trade(trade, now_ms))

    def on_resolution(self, resolved: MarketResolved, now_ms: int) -> None:
        """A market resolved: its orders are cancelled, its positions settle."""
        self.resolved.add(resolved.market)
        self._venue_events(self.venue.resolve_market(resolved.market, now_ms))
        self.positions.resolve(resolved.market, resolved.winning_asset_id)
        for token in resolved.asset_ids:
            self._touched.add(token)

    def _venue_events(self, events: Iterable[VenueEvent]) -> None:
        oms = self.oms
        for event in events:
            if isinstance(event, Fill):
                self._fill(event)
            else:
                changes = oms.on_update(VENUE, event)
                if event.status in _ENDED or event.status is FILLED:
                    state = oms.get(event.client_order_id)
                    if state is not None:
                        self._gone(state.order)
                self._tell_all(changes)

    def _fill(self, fill: Fill) -> None:
        result = self.oms.on_fill(VENUE, fill)
        booked = result.fill
        if booked is None:
            return
        self.positions.apply_fill(booked)
        self._touched.add(booked.token_id)
        if booked.side is SELL:
            self._promise(booked.client_order_id, booked.token_id, -booked.size)
        self.fills.append(booked)
        strategy = self.strategy
        if strategy is not None:
            strategy.on_fill(booked)
        state = self.oms.get(booked.client_order_id)
        if state is not None and state.status is FILLED:
            self._gone(state.order)
        self._tell_all(result.changes)

    # -- bookkeeping ------------------------------------------------------------------

    def _held(self, token: str) -> Decimal:
        return self.positions.size(token) if token in self._touched else _ZERO

    def _promise(self, client_order_id: str, token: str, shares: Decimal) -> None:
        """Shares an open sell promises (negative: it delivered some)."""
        left = self._sells.get(client_order_id, _ZERO) + shares
        self._selling[token] = self._selling.get(token, _ZERO) + shares
        if left > 0:
            self._sells[client_order_id] = left
        else:
            self._sells.pop(client_order_id, None)

    def _gone(self, order: Order) -> None:
        """``order`` no longer rests: stop watching its token when nothing else does."""
        token = order.token_id
        resting = self._resting.get(token)
        if resting is not None:
            resting.discard(order.client_order_id)
            if not resting and token not in self._took and not self.keep_watching:
                book = self.books.get(token)
                if book is not None:
                    book.watched = False  # nothing of ours there: the simulator has no use
        left = self._sells.pop(order.client_order_id, None)
        if left:
            self._selling[token] -= left

    def _reject(self, order: Order, stage: str, reason: str) -> None:
        self.rejections[stage] = self.rejections.get(stage, 0) + 1
        if self.strategy is not None:
            self.strategy.on_rejected(
                OrderRejection(
                    order.client_order_id,
                    order.token_id,
                    order.side,
                    order.price,
                    order.size,
                    stage,
                    reason,
                )
            )

    def attach(self, strategy: Strategy[object]) -> None:
        """The strategy whose hooks hear about its orders."""
        self.strategy = strategy
        # Five status changes per order: skip the calls when both hooks are the base
        # class's (they do nothing), which most strategies leave alone.
        kind = type(strategy)
        self._hears_changes = (
            kind.on_order_update is not Strategy.on_order_update
            or kind.on_cancel is not Strategy.on_cancel
        )
        # The order manager builds only the changes the strategy hears.
        if kind.on_order_update is not Strategy.on_order_update:
            self.oms.publish = None
        elif kind.on_cancel is not Strategy.on_cancel:
            self.oms.publish = _ENDED
        else:
            self.oms.publish = frozenset()

    def _tell(self, change: OrderStatusChanged) -> None:
        """Pass one change to the strategy (callers check ``_hears_changes`` first)."""
        strategy = self.strategy
        if strategy is not None:
            strategy.on_order_update(change)
            if change.status in _ENDED:
                strategy.on_cancel(change)

    def _tell_all(self, changes: Iterable[OrderStatusChanged]) -> None:
        if self._hears_changes:
            for change in changes:
                self._tell(change)

    def set_inventory(self, value_usd: float) -> None:
        """The inventory value risk policies see (updated at each equity sample)."""
        self._inventory = value_usd
