"""What a venue adapter says: what it supports, its answers, its orders and its events.

These are the values of the :class:`agbotkit.abc.VenueAdapter` contract. A venue reports
its orders in the execution layer's :class:`~agbotkit.model.execution.OrderStatus` terms,
whatever its own wire calls them.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TypeAlias

import attrs

from agbotkit.model.execution import OrderStatus, as_status
from agbotkit.model.numbers import non_negative, optional_decimal, positive, to_decimal
from agbotkit.model.orders import Fill, OrderType, Side

__all__ = [
    "CancelResult",
    "OrderAck",
    "VenueCapabilities",
    "VenueEvent",
    "VenueOrder",
    "VenueOrderUpdate",
]

_ALL_TYPES = frozenset(OrderType)


@attrs.frozen(kw_only=True)
class VenueCapabilities:
    """What a venue supports; the execution component refuses what it does not.

    Attributes:
        order_types: the order types it takes.
        post_only: whether it takes post-only orders.
        max_batch: the most orders :meth:`~agbotkit.abc.VenueAdapter.submit_batch` takes
            at once (Polymarket: 15).
        min_size: the smallest resting order, in shares (Polymarket: 5, per market).
        min_notional_usd: the smallest marketable order, in USD (Polymarket: 1).
        default_tick_size: the tick size of a token the venue has not said otherwise about.
        computes_order_id: whether :meth:`~agbotkit.abc.VenueAdapter.order_id_for` knows
            the venue's id of an order before it is sent (then an order whose submit
            outcome is unknown is looked up by that id).
        real_money: whether orders trade real money; the execution component sends such
            orders only when live trading is enabled twice (config and environment).
    """

    order_types: frozenset[OrderType] = _ALL_TYPES
    post_only: bool = True
    max_batch: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    min_size: Decimal = attrs.field(default=Decimal(0), converter=to_decimal)
    min_notional_usd: Decimal = attrs.field(default=Decimal(0), converter=to_decimal)
    default_tick_size: Decimal = attrs.field(
        default=Decimal("0.01"), converter=to_decimal, validator=positive
    )
    computes_order_id: bool = False
    real_money: bool = True


@attrs.frozen(slots=True, kw_only=True)
class OrderAck:
    """A venue's answer to one submitted order.

    Attributes:
        client_order_id: our id of the order.
        venue_order_id: the venue's id (empty when it rejected the order without one).
        status: ``ACCEPTED`` (resting), ``PARTIALLY_FILLED`` / ``FILLED`` (it traded at
            once; the fills come as events), ``CANCELED`` (a FOK that could not fill, a
            FAK's unfilled rest with nothing filled), or ``REJECTED``.
        reason: why it was rejected or cancelled (the venue's words).
        timestamp_ms: when the venue answered, Unix epoch milliseconds.
    """

    client_order_id: str
    venue_order_id: str = ""
    status: OrderStatus = attrs.field(default=OrderStatus.ACCEPTED, converter=as_status)
    reason: str = ""
    timestamp_ms: int = 0

    @property
    def accepted(self) -> bool:
        """Whether the venue took the order (it rests, traded or was killed unfilled)."""
        return self.status is not OrderStatus.REJECTED


@attrs.frozen(kw_only=True)
class CancelResult:
    """A venue's answer to a cancel: what it cancelled and what it would not.

    Attributes:
        canceled: venue order ids cancelled now.
        not_canceled: venue order id -> why not (already filled, unknown...).
    """

    canceled: tuple[str, ...] = ()
    not_canceled: Mapping[str, str] = attrs.field(factory=dict, hash=False)


@attrs.frozen(slots=True, kw_only=True)
class VenueOrder:
    """An order as the venue knows it (open orders, a lookup).

    Attributes:
        venue_order_id: the venue's id.
        client_order_id: our id, when the venue keeps it (empty otherwise).
        market_id: the market (condition id).
        token_id: the outcome token.
        side: ``BUY`` or ``SELL``.
        price: limit price.
        size: shares ordered.
        filled_size: shares filled so far.
        status: its status, in the execution layer's terms.
        order_type: its type.
        expires_at_ms: a GTD order's expiry (``None`` otherwise).
        created_ms: when the venue took it, Unix epoch milliseconds (0 when unknown).
    """

    venue_order_id: str
    market_id: str
    token_id: str
    side: Side
    price: Decimal = attrs.field(converter=to_decimal)
    size: Decimal = attrs.field(converter=to_decimal, validator=positive)
    filled_size: Decimal = attrs.field(
        default=Decimal(0), converter=to_decimal, validator=non_negative
    )
    status: OrderStatus = attrs.field(default=OrderStatus.ACCEPTED, converter=as_status)
    client_order_id: str = ""
    order_type: OrderType = attrs.field(default=OrderType.GTC, converter=OrderType)
    expires_at_ms: int | None = None
    created_ms: int = 0


@attrs.frozen(slots=True, kw_only=True)
class VenueOrderUpdate:
    """The venue says an order's status changed (a venue's event stream).

    Attributes:
        venue_order_id: the venue's id.
        status: its status now (fills come separately, as :class:`~agbotkit.model.orders.Fill`).
        client_order_id: our id, when the venue knows it.
        filled_size: shares filled so far by the venue's count (``None``: not said).
        reason: why (a cancel's or expiry's reason).
        timestamp_ms: when, Unix epoch milliseconds.
    """

    venue_order_id: str
    status: OrderStatus = attrs.field(converter=as_status)
    client_order_id: str = ""
    filled_size: Decimal | None = attrs.field(default=None, converter=optional_decimal)
    reason: str = ""
    timestamp_ms: int = 0


#: What a venue reports on its own: order updates and fills.
VenueEvent: TypeAlias = VenueOrderUpdate | Fill
