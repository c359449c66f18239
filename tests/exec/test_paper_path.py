"""The whole in-process path: intent -> risk -> execution -> paper venue -> fill -> position."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import trio

from agbotkit.model.books import BookSnapshot, PriceLevel, Side
from agbotkit.model.execution import OrderStatus
from agbotkit.model.orders import OrderIntent, OrderType
from agbotkit.model.positions import PositionSnapshot
from agbotkit.topics import FILLS, MARKET_DATA, ORDER_INTENTS, POSITIONS

from .stack import MARKET, YES, running, watch

POLICIES = """
policies:
  - type: MaxOrderSize
    max_size: 50
"""
STACK = """
stack: {shutdown_grace_s: 5}
components:
  risk:
    kind: risk
    policy_file: policies.yaml
  execution:
    kind: execution
    needs: [risk]
    venues: {paper: {kind: paper, fee_rate: 0.02}}
"""


def book() -> BookSnapshot:
    return BookSnapshot(
        YES,
        MARKET,
        (PriceLevel(Decimal("0.48"), Decimal(100)),),
        (PriceLevel(Decimal("0.52"), Decimal(10)), PriceLevel(Decimal("0.54"), Decimal(100))),
        1,
    )


def buy(size: str, price: str, cid: str, order_type: OrderType = OrderType.GTC) -> OrderIntent:
    return OrderIntent(
        market_id=MARKET, token_id=YES, side=Side.BUY, price=price, size=size,
        client_order_id=cid, order_type=order_type,
    )  # fmt: skip


async def test_an_intent_becomes_an_order_a_fill_and_a_position(
    autojump_clock: trio.abc.Clock, tmp_path: Path
) -> None:
    (tmp_path / "policies.yaml").write_text(POLICIES)
    async with running(STACK, tmp_path) as (bus, updates):
        fills, positions = watch(bus, FILLS), watch(bus, POSITIONS)
        await bus.publish(MARKET_DATA, book())
        await trio.sleep(0.1)
        # Marketable: walks 10 @ 0.52 then 5 @ 0.54, as a taker.
        await bus.publish(ORDER_INTENTS, buy("15", "0.55", "take", OrderType.FAK))
        # The venue's answer (FILLED) may come before the second fill: wait for both.
        filled = await updates.first(
            lambda c: c.client_order_id == "take" and c.filled_size == 15, timeout_s=5
        )
        assert filled.status is OrderStatus.FILLED
        assert filled.average_price == (Decimal("5.2") + Decimal("2.7")) / 15
        got = [await fills.receive(), await fills.receive()]
        assert [(f.price, f.size, f.taker) for f in got] == [
            (Decimal("0.52"), Decimal(10), True),
            (Decimal("0.54"), Decimal(5), True),
        ]
        # fee = C * 0.02 * p * (1 - p)
        assert got[0].fee_usd == Decimal(10) * Decimal("0.02") * Decimal("0.52") * Decimal("0.48")
        with trio.fail_after(10):
            while True:
                snapshot: PositionSnapshot = await positions.receive()
                if snapshot.position.token_id == YES and snapshot.position.size == 15:
                    break
        # Resting: below the ask, it rests with the queue of 100 shares at 0.48 ahead.
        await bus.publish(ORDER_INTENTS, buy("5", "0.48", "rest"))
        resting = await updates.until("rest", OrderStatus.ACCEPTED)
        assert resting.venue_order_id
        # Denied by risk: never reaches the venue.
        await bus.publish(ORDER_INTENTS, buy("500", "0.48", "too-big"))
        await trio.sleep(2)
        assert updates.statuses("too-big") == []
