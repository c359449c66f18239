"""Running an ``execution`` component on a scripted venue under the real supervisor."""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import trio

from agbotkit.bus.bus import Bus
from agbotkit.bus.subscription import Subscription
from agbotkit.bus.topic import Overflow, Topic
from agbotkit.model.execution import OrderStatus, OrderStatusChanged
from agbotkit.model.orders import OrderIntent, Side
from agbotkit.model.risk import OrderApproved
from agbotkit.supervisor.runner import Supervisor
from agbotkit.testing.stacks import plan_from_yaml
from agbotkit.topics import ORDER_DECISIONS

T = TypeVar("T")
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
MARKET, OTHER_MARKET = "0xmarket", "0xother"
YES = "111"
_ids = itertools.count(1)


def fake_now() -> int:
    """Wall-clock milliseconds that follow trio's (autojump) clock."""
    return T0 + round(trio.current_time() * 1000)


def stack_yaml(exchange: str, execution_options: str = "", *, venues: str | None = None) -> str:
    """A stack of one ``execution`` component; its venue ``sim`` talks to ``exchange``."""
    venues = venues if venues is not None else f"sim: {{kind: scripted, exchange: {exchange}}}"
    options = textwrap.indent(textwrap.dedent(execution_options), "    ")
    return (
        "stack: {shutdown_grace_s: 5}\n"
        "components:\n"
        "  execution:\n"
        "    kind: execution\n"
        f"    venues: {{{venues}}}\n"
        "    metrics_interval_s: 0.5\n"
        f"{options}"
    )


@asynccontextmanager
async def running(text: str, tmp_path: Path, environ: dict[str, str] | None = None) -> AsyncIterator[tuple[Bus, Supervisor]]:
    plan = plan_from_yaml(text, base_dir=tmp_path, environ=environ or {})
    supervisor = Supervisor(plan, now_ms=fake_now)
    async with trio.open_nursery() as nursery:
        await nursery.start(supervisor.run)
        yield supervisor.bus, supervisor
        supervisor.request_stop()


def intent(
    size: str = "10", price: str = "0.5", *, market: str = MARKET, venue: str = "", cid: str = ""
) -> OrderIntent:
    return OrderIntent(
        market_id=market,
        token_id=YES,
        side=Side.BUY,
        price=price,
        size=size,
        venue=venue,
        client_order_id=cid or f"c{next(_ids)}",
        strategy="test",
    )


async def approve(bus: Bus, *intents: OrderIntent) -> None:
    for one in intents:
        await bus.publish(ORDER_DECISIONS, OrderApproved(one, component="risk"))


def watch(bus: Bus, topic: Topic[T]) -> Subscription[T]:
    return bus.subscribe(topic, buffer=100_000, overflow=Overflow.BLOCK)


def drain(subscription: Subscription[T]) -> list[T]:
    out: list[T] = []
    while True:
        try:
            out.append(subscription.receive_nowait())
        except trio.WouldBlock:
            return out


async def until_status(
    updates: Subscription[OrderStatusChanged],
    client_order_id: str,
    status: OrderStatus,
    seen: list[OrderStatusChanged] | None = None,
    timeout_s: float = 30,
) -> OrderStatusChanged:
    """Wait for ``client_order_id`` to reach ``status``; every update read goes to ``seen``."""
    with trio.fail_after(timeout_s):
        async for change in updates:
            if seen is not None:
                seen.append(change)
            if change.client_order_id == client_order_id and change.status is status:
                return change
    raise AssertionError("updates ended")


def statuses(changes: list[OrderStatusChanged], client_order_id: str) -> list[OrderStatus]:
    return [c.status for c in changes if c.client_order_id == client_order_id]
