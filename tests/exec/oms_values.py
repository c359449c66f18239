"""Values for the order manager's tests: orders, fills, a hand-moved clock, a resting order."""

from __future__ import annotations

from agbotkit.exec.oms import OrderManager, OrderState
from agbotkit.model.orders import Fill, Order, OrderType, Side, TradeStatus
from agbotkit.model.venues import OrderAck

VENUE = "paper"
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


class Clock:
    """A hand-moved clock for ``now_ms``."""

    def __init__(self) -> None:
        self.ms = T0

    def __call__(self) -> int:
        return self.ms


def order(
    client_order_id: str = "c1",
    *,
    size: int | str = 10,
    price: str = "0.40",
    market_id: str = "m1",
    venue: str = VENUE,
    order_type: OrderType = OrderType.GTC,
) -> Order:
    return Order(
        client_order_id=client_order_id,
        venue=venue,
        market_id=market_id,
        token_id=f"{market_id}-yes",
        side=Side.BUY,
        price=price,
        size=size,
        order_type=order_type,
    )


def fill(
    order_id: str = "v1",
    trade_id: str = "t1",
    *,
    size: int | str = 1,
    price: str = "0.40",
    status: TradeStatus | None = TradeStatus.MATCHED,
    client_order_id: str = "",
) -> Fill:
    return Fill(
        token_id="m1-yes",
        side=Side.BUY,
        price=price,
        size=size,
        order_id=order_id,
        trade_id=trade_id,
        trade_status=status,
        client_order_id=client_order_id,
    )


def resting(
    oms: OrderManager,
    client_order_id: str = "c1",
    venue_order_id: str = "v1",
    *,
    size: int = 10,
    market_id: str = "m1",
) -> OrderState:
    """An order added, sent and accepted (``ACCEPTED``, the venue's id known)."""
    oms.add(order(client_order_id, size=size, market_id=market_id))
    oms.submitting(client_order_id)
    oms.acknowledged(OrderAck(client_order_id=client_order_id, venue_order_id=venue_order_id))
    state = oms.get(client_order_id)
    assert state is not None
    return state
