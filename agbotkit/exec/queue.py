"""Simulated resting orders and their places in the venue's queues.

Pure: no trio, no I/O. Part of the fill simulator (the rules are in
:mod:`agbotkit.exec.fillsim`'s docstring); this module keeps the orders and does the
queue arithmetic.

Our orders are not on the venue's book, so each one's place is a number: ``queue_ahead``,
the real shares resting at its price ahead of it. A trade at a price walks one queue that
holds the real shares and our orders, front to back: the real shares ahead of our first
order, then that order, then the real shares between it and our next order, and so on.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

import attrs

from agbotkit.exec.liquidity import BookView
from agbotkit.model.execution import OrderStatus
from agbotkit.model.members import ACCEPTED, BUY, SELL
from agbotkit.model.orders import Order, Side
from agbotkit.model.venues import VenueOrder

__all__ = ["RestingOrders", "SimOrder", "bound_queue_places", "trade_walk"]

_ZERO = Decimal(0)


@attrs.define(slots=True, eq=False)
class SimOrder:
    """One simulated order (mutable; never published: see :meth:`view`).

    Attributes:
        order: the order as submitted.
        venue_order_id: the simulated venue's id.
        seq: arrival number (time priority among our orders at one price).
        created_ms: when the simulator took it.
        filled: shares filled so far.
        status: its status now.
        queue_ahead: real shares ahead of it at its price (resting orders only).
    """

    order: Order
    venue_order_id: str
    seq: int
    created_ms: int
    filled: Decimal = _ZERO
    status: OrderStatus = ACCEPTED
    queue_ahead: Decimal = _ZERO

    @property
    def remaining(self) -> Decimal:
        """Shares not filled yet."""
        return self.order.size - self.filled

    def view(self) -> VenueOrder:
        """The order as the venue reports it."""
        order = self.order
        return VenueOrder(
            venue_order_id=self.venue_order_id,
            client_order_id=order.client_order_id,
            market_id=order.market_id,
            token_id=order.token_id,
            side=order.side,
            price=order.price,
            size=order.size,
            filled_size=self.filled,
            status=self.status,
            order_type=order.order_type,
            expires_at_ms=order.expires_at_ms,
            created_ms=self.created_ms,
        )


class RestingOrders:
    """The resting orders of one account: by id, by token, side and price (in arrival
    order), and by expiry."""

    __slots__ = ("_by_id", "_expiries", "_levels")

    def __init__(self) -> None:
        self._by_id: dict[str, SimOrder] = {}
        # token -> side -> price -> orders at that price by venue id, oldest first (a dict:
        # insertion-ordered like a list, but removing one order is O(1), so a cancel-all of
        # many orders at one price stays linear)
        self._levels: dict[str, dict[Side, dict[Decimal, dict[str, SimOrder]]]] = {}
        # (expires_at_ms, seq, venue order id); entries of orders gone are skipped lazily
        self._expiries: list[tuple[int, int, str]] = []

    def add(self, order: SimOrder) -> None:
        """Rest ``order`` (after its older siblings at the same price)."""
        self._by_id[order.venue_order_id] = order
        sides = self._levels.setdefault(order.order.token_id, {})
        level = sides.setdefault(order.order.side, {}).setdefault(order.order.price, {})
        level[order.venue_order_id] = order
        if order.order.expires_at_ms is not None:
            heapq.heappush(
                self._expiries, (order.order.expires_at_ms, order.seq, order.venue_order_id)
            )

    def remove(self, order: SimOrder) -> None:
        """Take ``order`` off (filled, cancelled, expired); no error when absent."""
        if self._by_id.pop(order.venue_order_id, None) is None:
            return
        token, side, price = order.order.token_id, order.order.side, order.order.price
        sides = self._levels[token]
        prices = sides[side]
        queue = prices[price]
        del queue[order.venue_order_id]
        if not queue:
            del prices[price]
            if not prices:
                del sides[side]
                if not sides:
                    del self._levels[token]

    def get(self, venue_order_id: str) -> SimOrder | None:
        """The resting order with this id."""
        return self._by_id.get(venue_order_id)

    def at(self, token_id: str, side: Side, price: Decimal) -> list[SimOrder]:
        """Our orders resting at ``price`` on ``side`` of ``token_id``, oldest first."""
        level = self._levels.get(token_id, {}).get(side, {}).get(price)
        return list(level.values()) if level else []

    def levels(self, token_id: str, side: Side) -> dict[Decimal, dict[str, SimOrder]]:
        """Price -> our orders there by venue id, oldest first, for one side of one token
        (do not modify)."""
        return self._levels.get(token_id, {}).get(side, {})

    def reached(
        self, token_id: str, book: BookView, levels: Sequence[tuple[Side, Decimal]]
    ) -> list[Side]:
        """A delta changed ``levels`` of ``token_id``'s book: bound the queue places of our
        orders at those levels, and return the sides of our orders it may let fill (BUY
        first), which the caller then walks.

        A change only matters where we rest (the queue ahead may shrink) or on the other
        side at a price that crosses one of ours (liquidity we can fill against appeared or
        changed). Most deltas touch neither and are done with here."""
        mine = self._levels.get(token_id)
        if not mine:
            return []
        buys = mine.get(BUY)
        sells = mine.get(SELL)
        # Our best prices: a change at a price crosses one of ours iff it crosses the best.
        top_buy = max(buys) if buys else None
        low_sell = min(sells) if sells else None
        buy_reached = sell_reached = False
        for side, price in levels:
            if side is BUY:
                if buys is not None and price in buys:
                    bound_queue_places(book, buys[price].values())
                if low_sell is not None and price >= low_sell:
                    sell_reached = True  # a bid at or above our lowest offer
            else:
                if sells is not None and price in sells:
                    bound_queue_places(book, sells[price].values())
                if top_buy is not None and price <= top_buy:
                    buy_reached = True  # an ask at or below our highest bid
        found = []
        if buy_reached:
            found.append(BUY)
        if sell_reached:
            found.append(SELL)
        return found

    def of_token(self, token_id: str) -> Iterator[SimOrder]:
        """Every resting order of ``token_id``."""
        for prices in self._levels.get(token_id, {}).values():
            for queue in prices.values():
                yield from queue.values()

    def all(self, market_id: str | None = None) -> list[SimOrder]:
        """Every resting order (of one market), oldest first."""
        orders = [o for o in self._by_id.values() if market_id in (None, o.order.market_id)]
        orders.sort(key=lambda o: o.seq)
        return orders

    def any_due(self, now_ms: int) -> bool:
        """Whether an expiry is at or before ``now_ms`` (maybe of an order gone since)."""
        return bool(self._expiries) and self._expiries[0][0] <= now_ms

    def due(self, now_ms: int) -> list[SimOrder]:
        """Take off and return the orders whose expiry is at or before ``now_ms``."""
        expired: list[SimOrder] = []
        heap = self._expiries
        while heap and heap[0][0] <= now_ms:
            _, _, venue_order_id = heapq.heappop(heap)
            order = self._by_id.get(venue_order_id)
            if order is not None:
                self.remove(order)
                expired.append(order)
        return expired

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, venue_order_id: object) -> bool:
        return venue_order_id in self._by_id


def bound_queue_places(book: BookView, orders: Iterable[SimOrder]) -> None:
    """The shares displayed at an order's price bound the queue ahead of it (cancels ahead
    of it moved it up); only ever lowers a place."""
    for sim in orders:
        displayed = book.size_at(sim.order.side, sim.order.price)
        if displayed < sim.queue_ahead:
            sim.queue_ahead = displayed


def trade_walk(
    queues: Iterable[tuple[bool, list[SimOrder]]], size: Decimal
) -> list[tuple[SimOrder, Decimal]]:
    """Walk a trade of ``size`` shares through our resting orders; return each order's fill.

    Args:
        queues: ``(through, orders)`` per price, best price for the taker first; orders
            oldest first. ``through``: the trade printed past this price, so every real
            share ahead of our orders there was taken (their ``queue_ahead`` counts as 0).
        size: the trade's size.

    Each order's ``queue_ahead`` is lowered by the real shares the trade took ahead of it;
    fills are not applied to the orders (the caller does).
    """
    fills: list[tuple[SimOrder, Decimal]] = []
    left = size
    # No early exit once the trade is used up: the orders behind still move up the queue.
    for through, orders in queues:
        real_done = _ZERO  # real shares of this price the walk has passed
        for order in orders:
            ahead = _ZERO if through else order.queue_ahead
            passed = min(max(ahead - real_done, _ZERO), left)
            real_done += passed
            left -= passed
            order.queue_ahead = max(ahead - real_done, _ZERO)
            fill = min(left, order.remaining)
            if fill > 0:
                fills.append((order, fill))
                left -= fill
    return fills
