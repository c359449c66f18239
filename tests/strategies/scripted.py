"""A strategy that records every hook call and acts as its parameters say, and the pieces
to run it in a ``strategy`` component on a bare bus (the test plays risk and execution)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import trio

from agbotkit.abc import ComponentContext
from agbotkit.bus.bus import Bus
from agbotkit.bus.topic import Overflow, Topic
from agbotkit.model.books import PriceLevel, Side
from agbotkit.model.feeds import BookTop
from agbotkit.model.markets import MarketInfo
from agbotkit.strategies.api import BookView, OrderRejection, Strategy, StrategyMetadata
from agbotkit.strategies.component import StrategyComponent, StrategyComponentConfig

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
MARKET, OTHER = "0x" + "a" * 64, "0x" + "b" * 64
YES, NO, OTHER_YES = "1001", "1002", "2001"


def fake_now() -> int:
    """Wall-clock milliseconds that follow trio's (autojump) clock."""
    return T0 + round(trio.current_time() * 1000)


@attrs.frozen
class ScriptedConfig:
    """What the scripted strategy does.

    Attributes:
        bid_on_book: on each book with a bid, cancel its open orders and bid one share
            at the best bid.
        requote_twice: submit, cancel and submit again in one hook (outbox order).
        size: the order size.
    """

    bid_on_book: bool = False
    requote_twice: bool = False
    size: Decimal = Decimal(5)


class Scripted(Strategy[ScriptedConfig]):
    """Records every hook call (``calls``) and quotes as its config says."""

    Config = ScriptedConfig

    def __init__(self, config: ScriptedConfig, context: Any) -> None:
        super().__init__(config, context)
        self.calls: list[tuple[str, Any]] = []

    @classmethod
    def metadata(cls) -> StrategyMetadata:
        return StrategyMetadata(name="scripted", version="1", description="test strategy")

    def on_start(self) -> None:
        self.calls.append(("start", None))

    def on_book(self, book: BookView) -> None:
        self.calls.append(("book", book))
        bid = book.best_bid
        if bid is None:
            return
        if self.config.requote_twice:
            first = self.context.submit_order(book.token_id, Side.BUY, bid, self.config.size)
            self.context.cancel_order(first)
            self.context.submit_order(book.token_id, Side.BUY, bid, self.config.size)
        elif self.config.bid_on_book:
            self.context.cancel_all()
            self.context.submit_order(book.token_id, Side.BUY, bid, self.config.size)
            self.context.signal("quote")

    def on_trade(self, trade: Any) -> None:
        self.calls.append(("trade", trade))

    def on_tick_size(self, change: Any) -> None:
        self.calls.append(("tick_size", change))

    def on_resolution(self, resolved: Any) -> None:
        self.calls.append(("resolution", resolved))

    def on_fill(self, fill: Any) -> None:
        self.calls.append(("fill", fill))

    def on_order_update(self, change: Any) -> None:
        self.calls.append(("update", change))

    def on_cancel(self, change: Any) -> None:
        self.calls.append(("cancel", change))

    def on_rejected(self, rejection: OrderRejection) -> None:
        self.calls.append(("rejected", rejection))

    def on_timer(self, now_ms: int) -> None:
        self.calls.append(("timer", now_ms))
        if len([c for c in self.calls if c[0] == "timer"]) == 3:
            self.context.set_timer(0)

    def on_stop(self) -> None:
        self.calls.append(("stop", None))

    def kinds(self) -> list[str]:
        """The hooks called, in order."""
        return [kind for kind, _ in self.calls]


#: The scripted strategy as the component's ``strategy`` option names it.
SCRIPTED = f"{__name__}:Scripted"


def market(condition_id: str = MARKET, tokens: tuple[str, ...] = (YES, NO)) -> MarketInfo:
    return MarketInfo(
        condition_id, "Will it?", f"slug-{condition_id[2:6]}", ("Yes", "No"), tokens,
        Decimal("0.01"), Decimal(5), False, None, True, False,
    )  # fmt: skip


def top(token: str = YES, market_id: str = MARKET, bid: str = "0.48", ask: str = "0.52") -> BookTop:
    return BookTop(
        token, market_id, T0, T0,
        (PriceLevel(Decimal(bid), Decimal(100)),), (PriceLevel(Decimal(ask), Decimal(80)),),
    )  # fmt: skip


def watch(bus: Bus, topic: Topic[Any]) -> Any:
    return bus.subscribe(topic, buffer=100_000, overflow=Overflow.BLOCK)


@asynccontextmanager
async def running(
    tmp_path: Path, **options: Any
) -> AsyncIterator[tuple[Bus, StrategyComponent, Scripted]]:
    """A ``strategy`` component named ``mm`` running the scripted strategy on a bare bus;
    stopped (cancelled) on exit."""
    bus = Bus()
    options.setdefault("strategy", SCRIPTED)
    config = StrategyComponentConfig(**options)
    component = StrategyComponent(config, ComponentContext("mm", bus, tmp_path, now_ms=fake_now))
    async with trio.open_nursery() as nursery:
        await nursery.start(component.run)
        assert isinstance(component.strategy, Scripted)
        yield bus, component, component.strategy
        nursery.cancel_scope.cancel()
