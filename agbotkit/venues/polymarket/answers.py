"""The CLOB's REST answers in the execution layer's terms (pure).

``POST /order`` answers ``status`` ``live`` (resting), ``matched`` (traded at once),
``delayed`` (held for matching) or ``unmatched`` (a FOK/FAK that found nothing), or
``success: false`` with ``errorMsg``. Open orders carry ``LIVE`` or ``MATCHED`` and the
shares matched so far.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from agbotkit.model.execution import OrderStatus
from agbotkit.model.orders import Order, OrderType, Side
from agbotkit.model.venues import CancelResult, OrderAck, VenueOrder
from agbotkit.venues.polymarket.responses import CancelResponse, OpenOrder, OrderResponse

__all__ = ["ack_from_response", "cancel_result", "venue_order"]


def ack_from_response(order: Order, order_id: str, answer: OrderResponse, now_ms: int) -> OrderAck:
    """The acknowledgement of ``order`` (whose id is ``order_id``) from the CLOB's answer."""
    if not answer.success:
        return OrderAck(
            client_order_id=order.client_order_id,
            venue_order_id=answer.order_id or "",
            status=OrderStatus.REJECTED,
            reason=answer.error_msg or f"refused ({answer.status or 'no reason given'})",
            timestamp_ms=now_ms,
        )
    status = _ack_status(order.order_type, answer.status.lower())
    reason = "nothing to match at the limit" if answer.status.lower() == "unmatched" else ""
    return OrderAck(
        client_order_id=order.client_order_id,
        venue_order_id=answer.order_id or order_id,
        status=status,
        reason=reason,
        timestamp_ms=now_ms,
    )


def _ack_status(order_type: OrderType, status: str) -> OrderStatus:
    if status == "unmatched":
        return OrderStatus.CANCELED
    if status != "matched":
        return OrderStatus.ACCEPTED  # live, delayed
    # Traded at once: the fills (on the user channel) tell how much. A FOK traded in
    # full; a FAK's rest was cancelled; a GTC/GTD may still rest with its rest.
    if order_type is OrderType.FOK:
        return OrderStatus.FILLED
    if order_type is OrderType.FAK:
        return OrderStatus.CANCELED
    return OrderStatus.PARTIALLY_FILLED


def cancel_result(answer: CancelResponse) -> CancelResult:
    """A cancel's answer."""
    return CancelResult(canceled=tuple(answer.canceled), not_canceled=dict(answer.not_canceled))


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text) if text else Decimal(0)
    except InvalidOperation:
        return Decimal(0)
    return value if value.is_finite() else Decimal(0)


def venue_order(found: OpenOrder) -> VenueOrder | None:
    """An order the CLOB lists, as the execution layer knows orders (``None`` when it is
    too malformed to use)."""
    size = _decimal(found.original_size)
    if size <= 0 or found.side.upper() not in ("BUY", "SELL"):
        return None
    filled = _decimal(found.size_matched)
    status_text = found.status.upper()
    if status_text.startswith("CANCELED"):
        status = OrderStatus.CANCELED
    elif status_text == "MATCHED" or filled >= size:
        status = OrderStatus.FILLED
    elif status_text == "INVALID":
        status = OrderStatus.REJECTED
    else:
        status = OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.ACCEPTED
    try:
        order_type = OrderType(found.order_type.upper())
    except ValueError:
        order_type = OrderType.GTC
    return VenueOrder(
        venue_order_id=found.id,
        market_id=found.market,
        token_id=found.asset_id,
        side=Side(found.side.upper()),
        price=_decimal(found.price),
        size=size,
        filled_size=min(filled, size),
        status=status,
        order_type=order_type,
        created_ms=_created_ms(found.created_at),
    )


def _created_ms(value: int | str | None) -> int:
    try:
        seconds = int(value or 0)
    except (TypeError, ValueError):
        return 0
    return seconds * 1000 if seconds < 10**11 else seconds
