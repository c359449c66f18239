"""An order's life in the execution layer: its states, the events of its changes, cancels.

The order management system (:mod:`agbotkit.exec.oms`) moves every order through
:class:`OrderStatus` and publishes each change as an :class:`OrderStatusChanged`.
Strategies, the dashboard and scripts ask for cancels with :class:`CancelOrder` and
:class:`CancelAll` on ``CANCEL_REQUESTS``.
"""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import TypeAlias

import attrs

from agbotkit.model.numbers import optional_decimal, to_decimal
from agbotkit.model.orders import Order

__all__ = [
    "CancelAll",
    "CancelOrder",
    "CancelRequest",
    "OrderStatus",
    "OrderStatusChanged",
    "as_status",
]


class OrderStatus(enum.StrEnum):
    """Where an order is in its life.

    ``NEW -> SUBMITTING -> ACCEPTED (resting) -> PARTIALLY_FILLED -> FILLED``, or
    ``CANCEL_PENDING -> CANCELED``, ``REJECTED``, ``EXPIRED``. ``UNKNOWN``: the order may
    have reached the venue but its answer never came (a timeout, a connection dropped after
    sending); the venue is asked until it says, and the order is never sent again.
    """

    NEW = "NEW"
    SUBMITTING = "SUBMITTING"
    ACCEPTED = "ACCEPTED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCEL_PENDING = "CANCEL_PENDING"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    UNKNOWN = "UNKNOWN"

    @property
    def terminal(self) -> bool:
        """Whether nothing more can happen to the order's status (its fills may still be
        reported late)."""
        return self in _TERMINAL

    @property
    def open(self) -> bool:
        """Whether the order may rest on the venue: not terminal and already sent
        (``UNKNOWN`` counts: it may be resting)."""
        return self in _OPEN


_TERMINAL = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)
_OPEN = frozenset(
    {
        OrderStatus.SUBMITTING,
        OrderStatus.ACCEPTED,
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.CANCEL_PENDING,
        OrderStatus.UNKNOWN,
    }
)


def as_status(value: OrderStatus | str) -> OrderStatus:
    """``value`` as an :class:`OrderStatus` (an attrs converter: a member passes as is,
    without the enum's lookup, which every venue answer would otherwise pay)."""
    return value if value.__class__ is OrderStatus else OrderStatus(value)


@attrs.frozen(slots=True, kw_only=True)
class OrderStatusChanged:
    """An order moved to a new status (or its fills grew): published on ``ORDER_UPDATES``.

    Attributes:
        order: the order as sent.
        status: its status now.
        previous: its status before (``None`` for a new order).
        venue_order_id: the venue's id of the order (empty until known).
        filled_size: shares filled so far.
        average_price: the average price of those fills (``None`` while nothing filled).
        reason: why (a rejection's or cancel's reason, how an unknown order was resolved).
        timestamp_ms: when the change happened, Unix epoch milliseconds.
        component: the execution component that owns the order.
    """

    order: Order
    status: OrderStatus = attrs.field(converter=as_status)
    previous: OrderStatus | None = None
    venue_order_id: str = ""
    filled_size: Decimal = attrs.field(default=Decimal(0), converter=to_decimal)
    average_price: Decimal | None = attrs.field(default=None, converter=optional_decimal)
    reason: str = ""
    timestamp_ms: int = 0
    component: str = ""

    @property
    def client_order_id(self) -> str:
        """The order's client order id."""
        return self.order.client_order_id

    @property
    def remaining_size(self) -> Decimal:
        """Shares not filled yet (0 once overfilled)."""
        return max(self.order.size - self.filled_size, Decimal(0))


@attrs.frozen(slots=True, kw_only=True)
class CancelOrder:
    """Please cancel one order (by our id, or the venue's when ours is not known).

    Attributes:
        client_order_id: our id of the order.
        venue_order_id: the venue's id (used when ``client_order_id`` is empty).
        reason: why, for the log and the stored order.
        source: who asks (``api``, a strategy's name).
    """

    client_order_id: str = ""
    venue_order_id: str = ""
    reason: str = ""
    source: str = ""

    def __attrs_post_init__(self) -> None:
        if not (self.client_order_id or self.venue_order_id):
            raise ValueError("CancelOrder needs a client_order_id or a venue_order_id")


@attrs.frozen(slots=True, kw_only=True)
class CancelAll:
    """Please cancel every open order, optionally of one venue and one market only.

    Attributes:
        venue: only this venue's orders (``None``: every venue).
        market_id: only this market's orders (``None``: every market).
        reason: why, for the log and the stored orders.
        source: who asks (``api``, ``kill_switch``, a strategy's name).
    """

    venue: str | None = None
    market_id: str | None = None
    reason: str = ""
    source: str = ""


#: What ``CANCEL_REQUESTS`` carries.
CancelRequest: TypeAlias = CancelOrder | CancelAll
