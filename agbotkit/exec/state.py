"""The order manager's values: an order's tracked state, fill verdicts, its counters.

:class:`OrderState` is mutable and private to the order manager (:mod:`agbotkit.exec.oms`);
what it publishes is :class:`~agbotkit.model.execution.OrderStatusChanged`, made by
:meth:`OrderState.change`. The other classes are what the order manager's methods return.
"""

from __future__ import annotations

import enum
from decimal import Decimal

import attrs

from agbotkit.model.execution import OrderStatus, OrderStatusChanged
from agbotkit.model.members import BUY, NEW
from agbotkit.model.orders import Fill, Order
from agbotkit.model.venues import VenueOrder

__all__ = [
    "UNPUBLISHED",
    "FillResult",
    "FillVerdict",
    "OmsCounters",
    "OrderState",
    "Reconciliation",
]

_new = object.__new__
_setattr = object.__setattr__

#: The change an order manager returns for a status its ``publish`` leaves out: one
#: placeholder about no real order, never to be published.
UNPUBLISHED = OrderStatusChanged(
    order=Order(
        client_order_id="(unpublished)",
        venue="",
        market_id="",
        token_id="",
        side=BUY,
        price=0,
        size=1,
    ),
    status=NEW,
    reason="a change nobody publishes",
)


@attrs.define(slots=True)
class OrderState:
    """One order as the OMS tracks it (mutable; never published: see :meth:`change`).

    Attributes:
        order: the order as sent.
        status: its status now.
        venue_order_id: the venue's id ("" until known).
        filled_size: shares filled so far (sum of the distinct fills applied).
        filled_notional: sum of price * size of those fills (for the average price).
        reason: the last reason given (rejection, cancel, resolution).
        updated_ms: when it last changed.
        status_before_cancel: the status to return to when a cancel is refused.
    """

    order: Order
    status: OrderStatus
    venue_order_id: str = ""
    filled_size: Decimal = Decimal(0)
    filled_notional: Decimal = Decimal(0)
    reason: str = ""
    updated_ms: int = 0
    status_before_cancel: OrderStatus | None = None

    @property
    def average_price(self) -> Decimal | None:
        """Average fill price (``None`` while nothing filled)."""
        return self.filled_notional / self.filled_size if self.filled_size else None

    def change_for(
        self,
        publish: frozenset[OrderStatus] | None,
        previous: OrderStatus | None,
        component: str,
    ) -> OrderStatusChanged:
        """:meth:`change`, or :data:`UNPUBLISHED` when ``publish`` (``None``: every status)
        leaves this order's status out."""
        if publish is None or self.status in publish:
            return self.change(previous, component)
        return UNPUBLISHED

    def change(self, previous: OrderStatus | None, component: str) -> OrderStatusChanged:
        """This order's state now, as the event that publishes it."""
        # Every update builds one of these, and attrs' __init__ (keyword arguments, the
        # status converter) is 40% slower than setting the nine slots: the values are
        # already what the event holds. The tests compare it with the constructor's.
        filled = self.filled_size
        event = _new(OrderStatusChanged)
        _setattr(event, "order", self.order)
        _setattr(event, "status", self.status)
        _setattr(event, "previous", previous)
        _setattr(event, "venue_order_id", self.venue_order_id)
        _setattr(event, "filled_size", filled)
        _setattr(event, "average_price", self.filled_notional / filled if filled else None)
        _setattr(event, "reason", self.reason)
        _setattr(event, "timestamp_ms", self.updated_ms)
        _setattr(event, "component", component)
        return event


class FillVerdict(enum.Enum):
    """What the OMS made of one fill."""

    NEW = "new"  # counted: publish it
    DUPLICATE = "duplicate"  # already counted (same venue, trade id and order): drop it
    OVERFILL = "overfill"  # counted, but it takes the order past its size: published, loudly
    UNKNOWN_ORDER = "unknown_order"  # no such order here: published (money moved), loudly
    REVERSED = "reversed"  # a counted trade FAILED: taken back, published so positions undo it


@attrs.frozen
class FillResult:
    """The outcome of :meth:`OrderManager.on_fill`.

    Attributes:
        verdict: see :class:`FillVerdict`.
        fill: the fill to publish, with ``client_order_id``, ``market_id`` and ``venue``
            filled in from the order when the venue left them out (``None``: drop it).
        changes: the order's status changes the fill caused.
    """

    verdict: FillVerdict
    fill: Fill | None
    changes: tuple[OrderStatusChanged, ...] = ()


@attrs.frozen
class Reconciliation:
    """What :meth:`OrderManager.reconcile` found comparing the venue's open orders with ours.

    Attributes:
        adopted: venue orders unknown here, now tracked (with their status changes).
        to_cancel: venue orders unknown here that the caller should cancel (when not
            adopting).
        missing_on_venue: our orders that we think are open but the venue does not list;
            the caller should look each up (:meth:`OrderManager.resolved`).
        matched: orders both sides know.
    """

    adopted: tuple[OrderStatusChanged, ...] = ()
    to_cancel: tuple[VenueOrder, ...] = ()
    missing_on_venue: tuple[str, ...] = ()
    matched: int = 0


@attrs.define
class OmsCounters:
    """Problems the OMS saw (published as metrics by the component)."""

    illegal_transitions: int = 0
    duplicate_fills: int = 0
    overfills: int = 0
    unknown_order_fills: int = 0
    unknown_order_updates: int = 0
    failed_trades: int = 0
