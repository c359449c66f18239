"""The order management system: every order's life, as a sans-IO state machine.

SKELETON (interface fixed; bodies to be written). Pure: no trio, no I/O, no clock of its
own (``now_ms`` is given). The ``execution`` component calls the command methods when it
acts and feeds the venue's answers and events in; every method returns the
:class:`~agbotkit.model.execution.OrderStatusChanged` events to publish, in order.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from decimal import Decimal

import attrs

from agbotkit.model.execution import OrderStatus, OrderStatusChanged
from agbotkit.model.orders import Fill, Order
from agbotkit.model.venues import CancelResult, OrderAck, VenueOrder, VenueOrderUpdate

__all__ = [
    "FillResult",
    "FillVerdict",
    "OmsCounters",
    "OrderManager",
    "OrderState",
    "Reconciliation",
]


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

    def change(self, previous: OrderStatus | None, component: str) -> OrderStatusChanged:
        """This order's state now, as the event that publishes it."""
        return OrderStatusChanged(
            order=self.order,
            status=self.status,
            previous=previous,
            venue_order_id=self.venue_order_id,
            filled_size=self.filled_size,
            average_price=self.average_price,
            reason=self.reason,
            timestamp_ms=self.updated_ms,
            component=component,
        )


class FillVerdict(enum.Enum):
    """What the OMS made of one fill."""

    NEW = "new"  # counted: publish it
    DUPLICATE = "duplicate"  # already counted (same venue, trade id and order): drop it
    OVERFILL = "overfill"  # counted, but it takes the order past its size: published, loudly
    UNKNOWN_ORDER = "unknown_order"  # no such order here: published (money moved), loudly


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


class OrderManager:
    """Every order of one execution component; see the module docstring.

    Args:
        component: the component's name, put on every event.
        now_ms: the clock for events' ``timestamp_ms``.
    """

    def __init__(self, *, component: str = "", now_ms: Callable[[], int] = lambda: 0) -> None:
        self.component = component
        self.now_ms = now_ms
        self.counters = OmsCounters()

    # -- commands: what the execution component does -----------------------------------

    def add(self, order: Order) -> OrderStatusChanged:
        """Track a new order (``NEW``). Raises ValueError if its client order id is taken."""
        raise NotImplementedError

    def submitting(self, client_order_id: str, venue_order_id: str = "") -> OrderStatusChanged:
        """``NEW -> SUBMITTING``, just before sending; ``venue_order_id`` when the adapter
        computes it before sending. Raises KeyError for an unknown id and ValueError when
        the order is not NEW (it must never be sent twice)."""
        raise NotImplementedError

    def refuse(self, client_order_id: str, reason: str) -> OrderStatusChanged:
        """``NEW -> REJECTED`` without sending (kill switch, dry run, unsupported type)."""
        raise NotImplementedError

    def acknowledged(self, ack: OrderAck) -> list[OrderStatusChanged]:
        """The venue answered a submit (``SUBMITTING`` or ``UNKNOWN`` -> the ack's status)."""
        raise NotImplementedError

    def outcome_unknown(
        self, client_order_id: str, reason: str, venue_order_id: str = ""
    ) -> list[OrderStatusChanged]:
        """``SUBMITTING -> UNKNOWN``: the submit's answer was lost."""
        raise NotImplementedError

    def cancel_requested(self, client_order_id: str, reason: str) -> list[OrderStatusChanged]:
        """An open order is being cancelled (-> ``CANCEL_PENDING``); nothing for an order
        already terminal or pending."""
        raise NotImplementedError

    def cancel_result(self, venue: str, result: CancelResult) -> list[OrderStatusChanged]:
        """The venue's answer to a cancel: ``canceled`` ids -> ``CANCELED``;
        ``not_canceled`` ones back to their status before the cancel."""
        raise NotImplementedError

    def resolved(
        self, client_order_id: str, found: VenueOrder | None, reason: str = ""
    ) -> list[OrderStatusChanged]:
        """The venue was asked about an ``UNKNOWN`` (or missing) order: its status now, or
        ``REJECTED`` ("never reached the venue") when the venue does not know it."""
        raise NotImplementedError

    # -- the venue's events ------------------------------------------------------------

    def on_update(self, venue: str, update: VenueOrderUpdate) -> list[OrderStatusChanged]:
        """The venue says an order's status changed."""
        raise NotImplementedError

    def on_fill(self, venue: str, fill: Fill) -> FillResult:
        """The venue reports a fill (matched by venue order id, else client order id)."""
        raise NotImplementedError

    def reconcile(
        self, venue: str, open_on_venue: Sequence[VenueOrder], *, adopt: bool
    ) -> Reconciliation:
        """Compare the venue's open orders with ours (at start, after a reconnect)."""
        raise NotImplementedError

    # -- queries -----------------------------------------------------------------------

    def get(self, client_order_id: str) -> OrderState | None:
        """The order with this client order id."""
        raise NotImplementedError

    def by_venue_id(self, venue: str, venue_order_id: str) -> OrderState | None:
        """The order with this venue order id at ``venue``."""
        raise NotImplementedError

    def open_orders(
        self, venue: str | None = None, market_id: str | None = None
    ) -> list[OrderState]:
        """Orders that may rest on a venue (``status.open``), optionally of one venue and
        one market: O(number returned), not O(all orders ever)."""
        raise NotImplementedError

    def unknown_orders(self) -> list[OrderState]:
        """Orders in ``UNKNOWN``."""
        raise NotImplementedError

    def forget_closed(self, before_ms: int) -> int:
        """Drop terminal orders last changed before ``before_ms`` (memory bound); their
        trade ids stay remembered for deduplication. Returns how many were dropped."""
        raise NotImplementedError
