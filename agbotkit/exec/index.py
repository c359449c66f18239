"""The order manager's indexes: every lookup it makes is a dict lookup.

The order manager (:mod:`agbotkit.exec.oms`) owns the orders' lives; this module only keeps
them findable: by client order id, by ``(venue, venue order id)``, the open orders per venue
and market (so a cancel-all lists exactly the orders it cancels, however many closed orders
are remembered), the ``UNKNOWN`` ones and the terminal ones (what
:meth:`~agbotkit.exec.oms.OrderManager.forget_closed` looks through). Every status change
goes through :meth:`OrderIndex.set_status`, which moves the order between the sets.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from agbotkit.exec.transitions import OPEN, TERMINAL
from agbotkit.model.execution import OrderStatus

if TYPE_CHECKING:
    from agbotkit.exec.oms import OrderState

__all__ = ["OrderIndex"]

LOGGER = logging.getLogger(__name__)

_UNKNOWN = OrderStatus.UNKNOWN
_EMPTY: Mapping[str, OrderState] = MappingProxyType({})


class OrderIndex:
    """Orders by client id, by venue id, open (per venue and market), unknown, closed."""

    __slots__ = ("_by_client", "_by_venue", "_closed", "_open", "_open_by_venue", "_unknown", "get")

    def __init__(self) -> None:
        self._by_client: dict[str, OrderState] = {}
        # venue -> venue order id -> order: two lookups, no tuple built per event.
        self._by_venue: dict[str, dict[str, OrderState]] = {}
        self._open: dict[str, OrderState] = {}
        # venue -> market -> client id -> order; emptied dicts are removed, so listing a
        # venue's open orders costs what it returns.
        self._open_by_venue: dict[str, dict[str, dict[str, OrderState]]] = {}
        self._unknown: dict[str, OrderState] = {}
        self._closed: dict[str, OrderState] = {}
        #: The order with this client order id (the dict's own method: the hottest lookup).
        self.get = self._by_client.get

    # -- lookups -------------------------------------------------------------------------

    def by_venue_id(self, venue: str, venue_order_id: str) -> OrderState | None:
        """The order with this venue order id at ``venue``."""
        orders = self._by_venue.get(venue)
        return orders.get(venue_order_id) if orders is not None else None

    def venue_ids(self, venue: str) -> Mapping[str, OrderState]:
        """The orders of ``venue`` by the venue's id (the index's own dict: read it only)."""
        return self._by_venue.get(venue, _EMPTY)

    def find(self, venue: str, venue_order_id: str, client_order_id: str) -> OrderState | None:
        """The order a venue's report is about: by the venue's id, else by our id (the
        venue gave it, or the venue uses our ids as its own); only an order of ``venue``."""
        if venue_order_id:
            orders = self._by_venue.get(venue)
            if orders is not None:
                state = orders.get(venue_order_id)
                if state is not None:
                    return state
        state = self._by_client.get(client_order_id or venue_order_id)
        if state is None and client_order_id and venue_order_id:
            state = self._by_client.get(venue_order_id)
        if state is not None and state.order.venue == venue:
            return state
        return None

    def open_orders(self, venue: str | None, market_id: str | None) -> list[OrderState]:
        """Open orders, optionally of one venue and one market, in the order they opened."""
        if venue is None:
            if market_id is None:
                return list(self._open.values())
            out: list[OrderState] = []
            for markets in self._open_by_venue.values():
                orders = markets.get(market_id)
                if orders is not None:
                    out.extend(orders.values())
            return out
        of_venue = self._open_by_venue.get(venue)
        if of_venue is None:
            return []
        if market_id is not None:
            orders = of_venue.get(market_id)
            return list(orders.values()) if orders is not None else []
        return [state for orders in of_venue.values() for state in orders.values()]

    def unknown(self) -> list[OrderState]:
        """Orders in ``UNKNOWN``."""
        return list(self._unknown.values())

    def closed(self) -> list[OrderState]:
        """Terminal orders (a copy: the caller may remove them while going through it)."""
        return list(self._closed.values())

    def closed_before(self, before_ms: int) -> list[OrderState]:
        """Terminal orders last changed before ``before_ms``, oldest closed first, up to the
        first one changed since: O(number returned), not O(all terminal orders), because
        orders join the terminal set in the order they close. One changed after it closed
        (a late fill) holds back those behind it until a later call."""
        found = []
        for state in self._closed.values():
            if state.updated_ms >= before_ms:
                break
            found.append(state)
        return found

    # -- changes -------------------------------------------------------------------------

    def add(self, state: OrderState) -> None:
        """Index a new order (its client id must be free: the caller checks)."""
        self._by_client[state.order.client_order_id] = state
        if state.venue_order_id:
            self._by_venue.setdefault(state.order.venue, {})[state.venue_order_id] = state
        self._enter(state, state.status)

    def set_venue_id(self, state: OrderState, venue_order_id: str) -> bool:
        """Record the venue's id of an order; whether it was news."""
        if not venue_order_id or venue_order_id == state.venue_order_id:
            return False
        orders = self._by_venue.setdefault(state.order.venue, {})
        if state.venue_order_id:
            LOGGER.warning(
                "order %s: the venue's id changed from %s to %s",
                state.order.client_order_id,
                state.venue_order_id,
                venue_order_id,
            )
            if orders.get(state.venue_order_id) is state:
                del orders[state.venue_order_id]
        other = orders.get(venue_order_id)
        if other is not None and other is not state:
            LOGGER.error(
                "venue %s order id %s was order %s's, now order %s's",
                state.order.venue,
                venue_order_id,
                other.order.client_order_id,
                state.order.client_order_id,
            )
        orders[venue_order_id] = state
        state.venue_order_id = venue_order_id
        return True

    def set_status(self, state: OrderState, status: OrderStatus) -> None:
        """Move an order to ``status`` and between the sets accordingly."""
        old = state.status
        if old is status:
            return
        state.status = status
        # Only what changes is touched: most moves are between two open statuses.
        if (old in OPEN) is not (status in OPEN):
            if status in OPEN:
                self._add_open(state)
            else:
                self._remove_open(state)
        if old is _UNKNOWN:
            del self._unknown[state.order.client_order_id]
        elif status is _UNKNOWN:
            self._unknown[state.order.client_order_id] = state
        if (old in TERMINAL) is not (status in TERMINAL):
            if status in TERMINAL:
                self._closed[state.order.client_order_id] = state
            else:
                del self._closed[state.order.client_order_id]

    def remove(self, state: OrderState) -> None:
        """Forget an order entirely."""
        client_order_id = state.order.client_order_id
        if self._by_client.get(client_order_id) is not state:
            return
        del self._by_client[client_order_id]
        orders = self._by_venue.get(state.order.venue)
        if orders is not None and orders.get(state.venue_order_id) is state:
            del orders[state.venue_order_id]
            if not orders:
                del self._by_venue[state.order.venue]
        self._leave(state, state.status)

    def _enter(self, state: OrderState, status: OrderStatus) -> None:
        if status in OPEN:
            self._add_open(state)
            if status is _UNKNOWN:
                self._unknown[state.order.client_order_id] = state
        elif status in TERMINAL:
            self._closed[state.order.client_order_id] = state

    def _leave(self, state: OrderState, status: OrderStatus) -> None:
        if status in OPEN:
            self._remove_open(state)
            if status is _UNKNOWN:
                del self._unknown[state.order.client_order_id]
        elif status in TERMINAL:
            del self._closed[state.order.client_order_id]

    def _add_open(self, state: OrderState) -> None:
        order = state.order
        self._open[order.client_order_id] = state
        markets = self._open_by_venue.get(order.venue)
        if markets is None:
            markets = self._open_by_venue[order.venue] = {}
        orders = markets.get(order.market_id)
        if orders is None:
            orders = markets[order.market_id] = {}
        orders[order.client_order_id] = state

    def _remove_open(self, state: OrderState) -> None:
        order = state.order
        del self._open[order.client_order_id]
        markets = self._open_by_venue[order.venue]
        orders = markets[order.market_id]
        del orders[order.client_order_id]
        if not orders:
            del markets[order.market_id]
            if not markets:
                del self._open_by_venue[order.venue]
