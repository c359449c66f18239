"""``example_quoter`` through its entry point, in a stack's ``strategy`` component."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import trio

from agbotkit import (
    BOOKS,
    CANCEL_REQUESTS,
    FILLS,
    MARKETS,
    ORDER_INTENTS,
    BookTop,
    CancelOrder,
    Fill,
    MarketInfo,
    OrderIntent,
    Overflow,
    Side,
)
from agbotkit.plugins import PluginRegistry
from agbotkit.supervisor.plan import plan_file
from agbotkit.supervisor.runner import Supervisor

MARKET = "0x" + "c" * 64
YES, NO = "31", "32"
STACK = """\
stack: {shutdown_grace_s: 5}
components:
  quoter:
    kind: strategy
    strategy: example_quoter
    params: {size: 5, max_position: 10}
"""


def top(bid: str, ask: str) -> BookTop:
    return BookTop(
        YES, MARKET, 1, 1, ((Decimal(bid), Decimal(50)),), ((Decimal(ask), Decimal(50)),)
    )


def test_registered_under_its_own_distribution() -> None:
    infos = {i.name: i for i in PluginRegistry().infos() if i.group == "agbotkit.strategies"}
    assert infos["example_quoter"].distribution == "agbotkit-example"


def taken(subscription: object) -> list[object]:
    out: list[object] = []
    while True:
        try:
            out.append(subscription.receive_nowait())  # type: ignore[attr-defined]
        except (trio.WouldBlock, trio.EndOfChannel):
            return out


async def test_quotes_one_tick_inside_the_spread_and_requotes_when_it_moves(
    tmp_path: Path, autojump_clock: object
) -> None:
    stack = tmp_path / "stack.yaml"
    stack.write_text(textwrap.dedent(STACK))
    supervisor = Supervisor(plan_file(stack))
    bus = supervisor.bus
    intents = bus.subscribe(ORDER_INTENTS, buffer=1000, overflow=Overflow.BLOCK)
    cancels = bus.subscribe(CANCEL_REQUESTS, buffer=1000, overflow=Overflow.BLOCK)
    info = MarketInfo(MARKET, "Q?", "q", ("Yes", "No"), (YES, NO), Decimal("0.01"),
                      Decimal(5), False, None, True, False)  # fmt: skip
    async with trio.open_nursery() as nursery:
        await nursery.start(supervisor.run)
        await bus.publish(MARKETS, info)
        await bus.publish(BOOKS, top("0.40", "0.50"))
        await trio.sleep(0.1)
        first = taken(intents)
        # Filled 5 of its bid: it now also offers what it holds.
        await bus.publish(FILLS, Fill(token_id=YES, side=Side.BUY, price="0.41", size=5,
                                      market_id=MARKET, client_order_id="quoter-1"))  # fmt: skip
        await bus.publish(BOOKS, top("0.42", "0.50"))
        await trio.sleep(0.1)
        second = taken(intents)
        cancelled = taken(cancels)
        supervisor.request_stop()
    assert [(i.side, i.price, i.size) for i in first if isinstance(i, OrderIntent)] == [
        (Side.BUY, Decimal("0.41"), Decimal(5))
    ]
    assert all(i.post_only and i.strategy == "quoter" for i in first)  # type: ignore[attr-defined]
    assert cancelled == [
        CancelOrder(client_order_id="quoter-1", reason="strategy", source="quoter")
    ]
    assert [(i.side, i.price, i.size) for i in second] == [  # type: ignore[attr-defined]
        (Side.BUY, Decimal("0.43"), Decimal(5)),
        (Side.SELL, Decimal("0.49"), Decimal(5)),
    ]
