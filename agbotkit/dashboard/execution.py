"""What the dashboard shows of execution: open orders, recent fills, PnL per market.

:class:`ExecutionView` follows three topics (fed by the dashboard component):

* ``ORDER_UPDATES``: the latest :class:`~agbotkit.model.execution.OrderStatusChanged` of
  each order, by client order id; an order leaves the view when its status is terminal
  (filled, canceled, rejected, expired). At most ``max_open_orders`` are kept (the
  longest unchanged go first, counted in :attr:`ExecutionView.forgotten_orders`).
* ``FILLS``: the newest ``recent_fills`` fills.
* ``POSITIONS``: the latest position of each (risk component, token); PnL is summed per
  market (``market_id``) and in total, realised and unrealised (at the position's mark).

It also remembers which of the three changed since the page was last sent them
(:meth:`ExecutionView.take_changes`), so the push loop sends each at most once per
interval however many events arrive. Prices, sizes and money go to JSON as decimal
strings (exact); the page turns them into numbers to show them.
"""

from __future__ import annotations

import collections
import functools
import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs

from agbotkit.model.execution import OrderStatusChanged
from agbotkit.model.orders import Fill
from agbotkit.model.positions import Position, PositionSnapshot

__all__ = ["PAGE_ORDERS", "ExecutionView", "fill_json", "order_json"]

#: The most open orders a frame to the page carries (``GET /api/orders`` gives all).
PAGE_ORDERS = 500


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def order_json(change: OrderStatusChanged) -> dict[str, Any]:
    """An open order as the API and the page show it."""
    order = change.order
    return {
        "client_order_id": order.client_order_id,
        "venue": order.venue,
        "venue_order_id": change.venue_order_id,
        "market_id": order.market_id,
        "token_id": order.token_id,
        "side": order.side.value,
        "price": str(order.price),
        "size": str(order.size),
        "filled_size": str(change.filled_size),
        "remaining_size": str(change.remaining_size),
        "average_price": _text(change.average_price),
        "order_type": order.order_type.value,
        "expires_at_ms": order.expires_at_ms,
        "post_only": order.post_only,
        "status": change.status.value,
        "reason": change.reason,
        "strategy": order.strategy,
        "created_ms": order.created_ms,
        "timestamp_ms": change.timestamp_ms,
        "component": change.component,
    }


def fill_json(fill: Fill) -> dict[str, Any]:
    """A fill as the API and the page show it."""
    return {
        "timestamp_ms": fill.timestamp_ms,
        "venue": fill.venue,
        "market_id": fill.market_id,
        "token_id": fill.token_id,
        "side": fill.side.value,
        "price": str(fill.price),
        "size": str(fill.size),
        "fee_usd": _text(fill.fee_usd),
        "taker": fill.taker,
        "order_id": fill.order_id,
        "client_order_id": fill.client_order_id,
        "trade_id": fill.trade_id,
        "trade_status": fill.trade_status.value if fill.trade_status else None,
    }


@attrs.define
class _Pnl:
    realised: Decimal = Decimal(0)
    unrealised: Decimal = Decimal(0)
    positions: int = 0

    def add(self, position: Position) -> None:
        self.realised += position.realised_pnl_usd
        self.unrealised += position.unrealised_pnl_usd
        self.positions += 1

    def json(self) -> dict[str, Any]:
        return {
            "realised_usd": _money(self.realised),
            "unrealised_usd": _money(self.unrealised),
            "total_usd": _money(self.realised + self.unrealised),
            "positions": self.positions,
        }


def _money(value: Decimal) -> str:
    """``value`` without trailing zeros or an exponent (``2.7``, ``0``, ``100``): PnL works
    out to 27 digits of ``0E-27`` and ``2.700000...`` otherwise."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


@attrs.define
class ExecutionView:
    """Open orders, recent fills and positions, for the API and the page.

    Attributes:
        recent_fills: how many of the newest fills are kept.
        max_open_orders: the most open orders kept.
        forgotten_orders: open orders dropped because there were more than
            ``max_open_orders``.
    """

    recent_fills: int = 100
    max_open_orders: int = 10_000
    forgotten_orders: int = 0
    _orders: dict[str, OrderStatusChanged] = attrs.field(factory=dict, init=False)
    _fills: collections.deque[Fill] = attrs.field(init=False)
    _positions: dict[tuple[str, str], Position] = attrs.field(factory=dict, init=False)
    _changed: set[str] = attrs.field(factory=set, init=False)

    @_fills.default
    def _no_fills(self) -> collections.deque[Fill]:
        return collections.deque(maxlen=self.recent_fills)

    # -- events ---------------------------------------------------------------------------

    def order_changed(self, event: OrderStatusChanged) -> None:
        """An order's status changed: keep it while open, drop it once terminal."""
        key = event.client_order_id
        known = self._orders.pop(key, None)  # re-inserted: now the most recently changed
        if event.status.terminal:
            if known is not None:
                self._changed.add("orders")
            return
        self._orders[key] = event
        while len(self._orders) > self.max_open_orders:
            del self._orders[next(iter(self._orders))]
            self.forgotten_orders += 1
        self._changed.add("orders")

    def filled(self, fill: Fill) -> None:
        """A fill: the newest of the recent fills."""
        self._fills.append(fill)
        self._changed.add("fills")

    def position_changed(self, snapshot: PositionSnapshot) -> None:
        """A risk component's position in a token, for the PnL."""
        position = snapshot.position
        key = (snapshot.component, position.token_id)
        if self._positions.get(key) != position:
            self._positions[key] = position
            self._changed.add("pnl")

    # -- views ----------------------------------------------------------------------------

    def open_orders(self, limit: int | None = None) -> dict[str, Any]:
        """``{"count": n, "orders": [...]}``: open orders, most recently changed first (at
        most ``limit``)."""
        newest_first = itertools.islice(reversed(self._orders.values()), limit)
        return {"count": len(self._orders), "orders": [order_json(c) for c in newest_first]}

    def is_open(self, client_order_id: str) -> bool:
        """Whether the order is among the open orders."""
        return client_order_id in self._orders

    def fills(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The recent fills, newest first (at most ``limit``)."""
        return [fill_json(fill) for fill in itertools.islice(reversed(self._fills), limit)]

    def pnl(self) -> dict[str, Any]:
        """``{"markets": [{"market_id", "realised_usd", "unrealised_usd", "total_usd",
        "positions"}], "total": {...}}``, markets in id order (``""``: unknown market)."""
        by_market: dict[str, _Pnl] = {}
        total = _Pnl()
        for position in self._positions.values():
            by_market.setdefault(position.market_id, _Pnl()).add(position)
            total.add(position)
        markets = [
            {"market_id": market, **by_market[market].json()} for market in sorted(by_market)
        ]
        return {"markets": markets, "total": total.json()}

    def snapshot(self) -> dict[str, Any]:
        """Everything the page shows (its first frame)."""
        return {
            "orders": self.open_orders(PAGE_ORDERS),
            "fills": self.fills(),
            "pnl": self.pnl(),
        }

    def take_changes(self) -> dict[str, Any]:
        """What changed since the previous call, as :meth:`snapshot` shows it."""
        changed, self._changed = self._changed, set()
        views: dict[str, Callable[[], object]] = {
            "orders": functools.partial(self.open_orders, PAGE_ORDERS),
            "fills": self.fills,
            "pnl": self.pnl,
        }
        return {name: views[name]() for name in sorted(changed)}
