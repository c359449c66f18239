"""Running an ``execution`` component on a scripted venue under the real supervisor."""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import AsyncIterator, Callable
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
from agbotkit.topics import ORDER_DECISIONS, ORDER_UPDATES

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
async def running(
    text: str, tmp_path: Path, environ: dict[str, str] | None = None
) -> AsyncIterator[tuple[Bus, Updates]]:
    """The stack started under the supervisor, with every order update since before its
    start; stopped on exit."""
    plan = plan_from_yaml(text, base_dir=tmp_path, environ=environ or {})
    supervisor = Supervisor(plan, now_ms=fake_now)
    updates = Updates(supervisor.bus)
    async with trio.open_nursery() as nursery:
        await nursery.start(supervisor.run)
        yield supervisor.bus, updates
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
        except (trio.WouldBlock, trio.EndOfChannel):
            return out


class Updates:
    """Every ``OrderStatusChanged`` published since it was made, kept for looking back."""

    def __init__(self, bus: Bus) -> None:
        self._subscription = bus.subscribe(ORDER_UPDATES, buffer=1_000_000, overflow=Overflow.BLOCK)
        self.seen: list[OrderStatusChanged] = []

    def _take(self) -> None:
        self.seen.extend(drain(self._subscription))

    async def until(
        self, client_order_id: str, status: OrderStatus, timeout_s: float = 60
    ) -> OrderStatusChanged:
        """The first change of ``client_order_id`` to ``status``, waiting for it if need be."""
        return await self.first(
            lambda c: c.client_order_id == client_order_id and c.status is status, timeout_s
        )

    async def first(
        self, matches: Callable[[OrderStatusChanged], bool], timeout_s: float = 60
    ) -> OrderStatusChanged:
        """The first change that ``matches``, waiting for it if need be."""
        with trio.fail_after(timeout_s):
            checked = 0
            while True:
                self._take()
                for change in self.seen[checked:]:
                    if matches(change):
                        return change
                checked = len(self.seen)
                self.seen.append(await self._subscription.receive())

    def statuses(self, client_order_id: str) -> list[OrderStatus]:
        """Every status ``client_order_id`` went through so far."""
        self._take()
        return [c.status for c in self.seen if c.client_order_id == client_order_id]

    def all(self) -> list[OrderStatusChanged]:
        """Every change so far."""
        self._take()
        return self.seen
