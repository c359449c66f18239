"""The fill simulator: one account's simulated orders, filled against a venue's real book.

Pure: no trio, no I/O, no clock of its own (every call takes ``now_ms``). The ``paper``
venue feeds it the live (or replayed) market data; the backtester feeds it recorded data.
:mod:`agbotkit.exec.liquidity` (walking the book), :mod:`agbotkit.exec.queue` (resting
orders and queue places) and :mod:`agbotkit.exec.rules` (fees, ticks, minimums) hold its parts.

The rules, and the assumptions they make:

* **Marketable part.** An order walks the opposite side of the book level by level, best
  first, at the *book's* prices, as far as its limit: a buy at 0.55 against asks 0.52 x 10,
  0.54 x 20, 0.56 x 50 fills 10 @ 0.52 and 20 @ 0.54, as taker.
* **Resting part.** What is left of a GTC or GTD order rests at its limit price. Its queue
  position (``queue_ahead``) is the size the book displayed at that price on its side when
  it arrived: every real order there came first.
* **Trades fill resting orders.** A trade at our price (the taker on the other side) takes
  the real shares ahead of us first; what it has left fills us, at our price, as maker. Our
  orders at one price are queued among the real ones in arrival order (see
  :func:`~agbotkit.exec.queue.trade_walk`). A trade printed *through* our price (a taker
  buy at 0.55 while we offer at 0.53) took the whole queue at our price: it fills us, up
  to its size, whatever our place.
* **The book moving through.** When the best ask falls to or below a resting buy (or the
  best bid rises to or above a resting sell), the order fills at *its own* price, as maker,
  for up to the size the book displays at or through its price; its queue ahead is gone.
* **Cancellations ahead.** When the size displayed at our price drops below our
  ``queue_ahead``, the queue ahead shrinks to it: we assume the shares that left were
  ahead of us (cancels from the back of the queue would keep us in place: we are optimistic
  there).
* **No self-impact.** Our fills never change the venue's book (we cannot), so one level's
  displayed size could be taken again and again. It is not: the account's takings at a
  level are remembered while the level still shows them; shares that join the level later
  can be taken, and shares that leave it are taken to be the ones we took first (see
  :class:`~agbotkit.exec.liquidity.TakenLiquidity`). Trades are not affected by our fills.
* **Fees.** Polymarket's taker fee for ``C`` shares at price ``p``:
  ``C * fee_rate * p * (1 - p)`` USD, exact (not rounded); makers pay none. ``fee_rate``
  defaults to 0.
* **Limits.** A price must be a multiple of the token's tick size (from
  :meth:`FillSimulator.set_tick_size`, else ``default_tick_size``) within
  ``[tick, 1 - tick]``. A resting order type (GTC, GTD) needs at least ``min_size`` shares
  (per token when set, else the rules'); an order that takes liquidity (FOK, FAK, or a GTC
  or GTD that crosses) needs at least ``min_notional_usd`` of ``price * size``. Else:
  ``REJECTED`` with the reason.
* **Order types.** FOK fills entirely at once or not at all (``CANCELED`` "FOK could not be
  fully filled", no fill). FAK fills what it can at once, the rest is cancelled (``FILLED``
  when complete, else ``CANCELED`` with its partial fills). A post-only order that would
  cross is ``REJECTED``. A GTD order expires at ``expires_at_ms`` exactly (an ``EXPIRED``
  update; its queue place is gone). Polymarket's one-minute expiry buffer is a rule of its
  wire format (the signed expiration must be a minute ahead), not of when orders expire, so
  it is not simulated.
* **Answers.** :meth:`FillSimulator.submit` returns the :class:`OrderAck` and the fills of
  the submit; the other calls return :class:`Fill` and :class:`VenueOrderUpdate` values
  (a resting order's ``FILLED``, ``EXPIRED``, and ``CANCELED`` when its market resolved).
  A cancel the account asked for is answered by its :class:`CancelResult` only. Fills are
  ``CONFIRMED`` at once and carry trade ids ``<trade_id_prefix><n>``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import NamedTuple

from agbotkit.exec.liquidity import BookView, Slice, TakenLiquidity, crosses, opposite, walk
from agbotkit.exec.queue import RestingOrders, SimOrder, bound_queue_places, trade_walk
from agbotkit.exec.rules import FillRules, book_refusal, order_refusal, taker_fee
from agbotkit.model.books import LevelChange
from agbotkit.model.execution import OrderStatus
from agbotkit.model.markets import Trade
from agbotkit.model.members import (
    ACCEPTED,
    BUY,
    CANCELED,
    CONFIRMED,
    EXPIRED,
    FILLED,
    FOK,
    PARTIALLY_FILLED,
    REJECTED,
    SELL,
)
from agbotkit.model.orders import Fill, Order, OrderType, Side
from agbotkit.model.venues import CancelResult, OrderAck, VenueEvent, VenueOrder, VenueOrderUpdate

__all__ = ["FillRules", "FillSimulator", "SubmitResult"]  # FillRules lives in exec.rules

_ZERO = Decimal(0)
_ONE = Decimal(1)
_RESTS = frozenset(kind for kind in OrderType if kind.rests)  # GTC, GTD


class SubmitResult(NamedTuple):
    """What a submit did (a named tuple: one is made per order).

    Attributes:
        ack: the venue's answer.
        fills: the fills it made at once (taker), in book order.
    """

    ack: OrderAck
    fills: tuple[Fill, ...] = ()


class FillSimulator:
    """One account's orders at a simulated venue (see the module docstring)."""

    def __init__(self, rules: FillRules | None = None) -> None:
        self.rules = rules or FillRules()
        self._resting = RestingOrders()
        self._closed: OrderedDict[str, SimOrder] = OrderedDict()
        self._taken = TakenLiquidity()
        self._ticks: dict[str, Decimal] = {}
        self._min_sizes: dict[str, Decimal] = {}
        self._seq = 0
        self._trades = 0

    # -- venue facts ---------------------------------------------------------------------

    def order_id_for(self, client_order_id: str) -> str:
        """The venue order id an order with ``client_order_id`` gets."""
        return self.rules.order_id_prefix + client_order_id

    def tick_size(self, token_id: str) -> Decimal:
        """The tick size of ``token_id``."""
        return self._ticks.get(token_id, self.rules.default_tick_size)

    def set_tick_size(self, token_id: str, tick_size: Decimal) -> None:
        """Set the tick size of ``token_id`` (resting orders stay as they are)."""
        self._ticks[token_id] = tick_size

    def set_min_size(self, token_id: str, min_size: Decimal) -> None:
        """Set the smallest resting order of ``token_id`` (a market's own minimum)."""
        self._min_sizes[token_id] = min_size

    # -- orders --------------------------------------------------------------------------

    def submit(self, order: Order, book: BookView | None, now_ms: int) -> SubmitResult:
        """Take ``order`` against ``book`` (``None``: the token has no usable book)."""
        venue_order_id = self.rules.order_id_prefix + order.client_order_id
        reason = self._refusal(order, venue_order_id, now_ms)
        if reason is None and book is None:
            reason = f"no order book for token {order.token_id} yet (waiting for market data)"
        if reason is not None or book is None:
            return SubmitResult(self._ack(order, "", REJECTED, reason or "", now_ms))
        side = order.side
        if side is BUY:
            best = book.asks(1)
            crossing = bool(best) and best[0].price <= order.price
        else:
            best = book.bids(1)
            crossing = bool(best) and best[0].price >= order.price
        if crossing or order.order_type not in _RESTS:  # else nothing for the book to refuse
            best_price = best[0].price if best else None
            reason = book_refusal(order, crossing, best_price, self.rules.min_notional_usd)
            if reason is not None:
                return SubmitResult(self._ack(order, "", REJECTED, reason, now_ms))
        token = order.token_id
        slices = walk(book, token, side, order.price, order.size, self._taken) if crossing else []
        self._seq += 1
        sim = SimOrder(order, venue_order_id, self._seq, now_ms)
        if order.order_type is FOK and sum((s.size for s in slices), _ZERO) < order.size:
            return SubmitResult(self._close(sim, CANCELED, "FOK could not be fully filled", now_ms))
        fills = tuple(self._take(sim, s, now_ms) for s in slices) if slices else ()
        if sim.remaining <= 0:
            ack = self._close(sim, FILLED, "", now_ms)
        elif order.order_type not in _RESTS:
            reason = (
                f"FAK remainder canceled: filled {sim.filled} of {order.size}"
                if fills
                else "FAK found nothing to fill at or better than its limit"
            )
            ack = self._close(sim, CANCELED, reason, now_ms)
        else:
            sim.queue_ahead = book.size_at(side, order.price)
            sim.status = PARTIALLY_FILLED if fills else ACCEPTED
            self._resting.add(sim)
            ack = self._ack(order, venue_order_id, sim.status, "", now_ms)
        return SubmitResult(ack, fills)

    def cancel(self, venue_order_ids: Sequence[str], now_ms: int) -> CancelResult:
        """Cancel resting orders by id (answered by the result only: no update event)."""
        canceled: list[str] = []
        not_canceled: dict[str, str] = {}
        for venue_order_id in venue_order_ids:
            sim = self._resting.get(venue_order_id)
            if sim is not None:
                self._finish(sim, CANCELED)
                canceled.append(venue_order_id)
            elif (closed := self._closed.get(venue_order_id)) is not None:
                not_canceled[venue_order_id] = f"already {closed.status.value.lower()}"
            else:
                not_canceled[venue_order_id] = "order not found"
        return CancelResult(canceled=tuple(canceled), not_canceled=not_canceled)

    def cancel_all(self, market_id: str | None, now_ms: int) -> CancelResult:
        """Cancel every resting order (of one market)."""
        ids = [sim.venue_order_id for sim in self._resting.all(market_id)]
        return self.cancel(ids, now_ms)

    def resolve_market(self, market_id: str, now_ms: int) -> list[VenueEvent]:
        """The market resolved: its resting orders are cancelled (with update events)."""
        events: list[VenueEvent] = []
        for sim in self._resting.all(market_id):
            self._finish(sim, CANCELED)
            events.append(self._update(sim, "market resolved", now_ms))
        return events

    def expire(self, now_ms: int) -> list[VenueEvent]:
        """Expire the GTD orders due at ``now_ms`` (each: an ``EXPIRED`` update)."""
        events: list[VenueEvent] = []
        if not self._resting.any_due(now_ms):
            return events  # the common case, on every book change and trade
        for sim in self._resting.due(now_ms):
            self._finish(sim, EXPIRED)
            events.append(self._update(sim, "GTD order expired", now_ms))
        return events

    # -- market data ---------------------------------------------------------------------

    def on_book(
        self,
        token_id: str,
        book: BookView,
        changes: Iterable[LevelChange] | None,
        now_ms: int,
    ) -> list[VenueEvent]:
        """The book of ``token_id`` changed: ``changes`` are a delta's levels, ``None`` for
        a snapshot (anything may have changed). Returns the fills and updates it caused."""
        events = self.expire(now_ms)
        if changes is None:
            self._taken.follow(token_id, book, None)
            bound_queue_places(book, self._resting.of_token(token_id))
            sides: Iterable[Side] = (BUY, SELL)
        else:
            levels = [(c.side, c.price) for c in changes]
            self._taken.follow(token_id, book, levels)
            sides = self._resting.reached(token_id, book, levels)
        for side in sides:
            events.extend(self._through(token_id, side, book, now_ms))
        return events

    def on_book_reset(self, token_id: str) -> None:
        """The book of ``token_id`` was dropped (a tick-size change, lost data)."""
        self._taken.forget_token(token_id)

    def on_trade(self, trade: Trade, now_ms: int) -> list[VenueEvent]:
        """A trade printed: it may fill our resting orders on its maker side."""
        events = self.expire(now_ms)
        maker_side = opposite(trade.side)
        levels = self._resting.levels(trade.asset_id, maker_side)
        if not levels:
            return events
        price = trade.price
        # Best price for the taker first: a taker buy meets our lowest offer first.
        if maker_side is SELL:
            prices = sorted(p for p in levels if p <= price)
        else:
            prices = sorted((p for p in levels if p >= price), reverse=True)
        queues = [(p != price, list(levels[p].values())) for p in prices]
        for sim, size in trade_walk(queues, trade.size):
            events.append(self._maker_fill(sim, size, now_ms))
            if sim.remaining <= 0:
                events.append(self._update(sim, "", now_ms))
        return events

    # -- lookups -------------------------------------------------------------------------

    def get(self, venue_order_id: str) -> VenueOrder | None:
        """An order by the venue's id, resting or closed (recent ones)."""
        sim = self._resting.get(venue_order_id) or self._closed.get(venue_order_id)
        return None if sim is None else sim.view()

    def find(self, client_order_id: str) -> VenueOrder | None:
        """An order by the client's id."""
        return self.get(self.order_id_for(client_order_id))

    def open_orders(self, market_id: str | None = None) -> list[VenueOrder]:
        """The resting orders (of one market), oldest first."""
        return [sim.view() for sim in self._resting.all(market_id)]

    @property
    def resting_count(self) -> int:
        """How many orders rest."""
        return len(self._resting)

    # -- inside --------------------------------------------------------------------------

    def _refusal(self, order: Order, venue_order_id: str, now_ms: int) -> str | None:
        if venue_order_id in self._resting or venue_order_id in self._closed:
            return f"duplicate client order id {order.client_order_id}"
        token = order.token_id
        min_size = self._min_sizes.get(token, self.rules.min_size)
        return order_refusal(order, self.tick_size(token), min_size, now_ms)

    def _take(self, sim: SimOrder, piece: Slice, now_ms: int) -> Fill:
        """Fill ``sim`` as taker from one level slice, recording what it took."""
        order = sim.order
        self._taken.take(
            order.token_id, opposite(order.side), piece.price, piece.displayed, piece.size
        )
        fee = taker_fee(piece.size, piece.price, self.rules.fee_rate)
        return self._fill(sim, piece.price, piece.size, fee, True, now_ms)

    def _through(self, token_id: str, side: Side, book: BookView, now_ms: int) -> list[VenueEvent]:
        """Fill our resting orders of ``side`` that the opposite side reached."""
        levels = self._resting.levels(token_id, side)
        if not levels:
            return []
        best = book.asks(1) if side is BUY else book.bids(1)
        if not best:
            return []
        best_price = best[0].price
        # Highest buy (lowest sell) first: price priority among our own orders.
        prices = sorted((p for p in levels if crosses(side, p, best_price)), reverse=side is BUY)
        events: list[VenueEvent] = []
        book_side = opposite(side)
        for price in prices:
            for sim in list(levels[price].values()):
                sim.queue_ahead = _ZERO
                slices = walk(book, token_id, side, price, sim.remaining, self._taken)
                for piece in slices:
                    self._taken.take(token_id, book_side, piece.price, piece.displayed, piece.size)
                size = sum((s.size for s in slices), _ZERO)
                if size > 0:
                    events.append(self._maker_fill(sim, size, now_ms))
                    if sim.remaining <= 0:
                        events.append(self._update(sim, "", now_ms))
        return events

    def _maker_fill(self, sim: SimOrder, size: Decimal, now_ms: int) -> Fill:
        """Fill resting ``sim`` at its own price, as maker (no fee)."""
        fill = self._fill(sim, sim.order.price, size, _ZERO, False, now_ms)
        if sim.remaining <= 0:
            self._finish(sim, FILLED)
        else:
            sim.status = PARTIALLY_FILLED
        return fill

    def _fill(
        self, sim: SimOrder, price: Decimal, size: Decimal, fee: Decimal, taker: bool, now_ms: int
    ) -> Fill:
        self._trades += 1
        sim.filled += size
        order = sim.order
        return Fill(
            token_id=order.token_id,
            side=order.side,
            price=price,
            size=size,
            market_id=order.market_id,
            fee_usd=fee,
            taker=taker,
            timestamp_ms=now_ms,
            order_id=sim.venue_order_id,
            trade_id=f"{self.rules.trade_id_prefix}{self._trades}",
            trade_status=CONFIRMED,
            client_order_id=order.client_order_id,
            venue=self.rules.venue,
        )

    def _close(self, sim: SimOrder, status: OrderStatus, reason: str, now_ms: int) -> OrderAck:
        """Move ``sim`` to a terminal ``status``; returns the ack a submit would give."""
        self._finish(sim, status)
        return self._ack(sim.order, sim.venue_order_id, status, reason, now_ms)

    def _finish(self, sim: SimOrder, status: OrderStatus) -> None:
        """Move ``sim`` to a terminal ``status`` (no ack: a cancel's answer is its result)."""
        sim.status = status
        self._resting.remove(sim)
        closed = self._closed
        closed[sim.venue_order_id] = sim
        while len(closed) > self.rules.keep_closed:
            closed.popitem(last=False)

    def _update(self, sim: SimOrder, reason: str, now_ms: int) -> VenueOrderUpdate:
        return VenueOrderUpdate(
            venue_order_id=sim.venue_order_id,
            status=sim.status,
            client_order_id=sim.order.client_order_id,
            filled_size=sim.filled,
            reason=reason,
            timestamp_ms=now_ms,
        )

    @staticmethod
    def _ack(
        order: Order, venue_order_id: str, status: OrderStatus, reason: str, now_ms: int
    ) -> OrderAck:
        return OrderAck(
            client_order_id=order.client_order_id,
            venue_order_id=venue_order_id,
            status=status,
            reason=reason,
            timestamp_ms=now_ms,
        )
