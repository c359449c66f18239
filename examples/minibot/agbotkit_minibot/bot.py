"""``minibot``: leans into order-book imbalance with small mock orders.

Every ``interval_s`` it looks at each market's YES book: when the bids near the top
outweigh the asks by more than ``imbalance_threshold`` it wants to buy YES at the ask;
when the asks outweigh the bids it buys NO instead (Polymarket has no shorting; NO is the
other side). Each intent goes through the risk component; an approved one is filled at
once against the current book, level by level, and the fill is published so positions,
inventory and PnL move. It never sends anything to an exchange.
"""

from __future__ import annotations

import logging
import sys
from decimal import Decimal

import attrs
import trio

from agbotkit import (
    BOOKS,
    FILLS,
    MARKETS,
    ORDER_DECISIONS,
    ORDER_INTENTS,
    BookTop,
    Component,
    ComponentContext,
    Fill,
    MarketInfo,
    MetricType,
    OrderApproved,
    OrderDecision,
    OrderDenied,
    OrderIntent,
    Overflow,
    Side,
    Subscription,
    between,
    greater_than,
)

__all__ = ["Minibot", "MinibotConfig"]


@attrs.frozen
class MinibotConfig:
    """Options of ``minibot``.

    Attributes:
        interval_s: how often it considers trading.
        order_size: shares per mock order.
        imbalance_threshold: (bids - asks) / (bids + asks) over the top ``depth`` levels
            beyond which it trades.
        depth: levels per side in the imbalance.
        log_to_stdout: print what it does on standard output (``minibot: ...`` lines)
            instead of through agbotkit's log; either way each line appears once.
    """

    interval_s: float = attrs.field(default=1.0, validator=greater_than(0))
    order_size: Decimal = attrs.field(default=Decimal(5), validator=greater_than(0))
    imbalance_threshold: float = attrs.field(default=0.2, validator=between(0, 1))
    depth: int = attrs.field(default=3, validator=between(1, 50))
    log_to_stdout: bool = True


class Minibot(Component[MinibotConfig]):
    """Mock trading on imbalance; see the module docstring."""

    Config = MinibotConfig

    def __init__(self, config: MinibotConfig, context: ComponentContext) -> None:
        super().__init__(config, context)
        self.books: dict[str, BookTop] = {}
        self.markets: dict[str, MarketInfo] = {}
        self.intents = 0
        self.fills = 0
        self.denials = 0
        self._log = context.logger
        if config.log_to_stdout and not any(
            getattr(h, "stream", None) is sys.stdout for h in self._log.handlers
        ):
            handler = logging.StreamHandler(sys.stdout)
            handler.setFormatter(logging.Formatter("minibot: %(message)s"))
            self._log.addHandler(handler)
            # Not to the log on stderr as well: on a console that printed every line twice.
            self._log.propagate = False

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        bus = self.context.bus
        with (
            bus.subscribe(BOOKS, buffer=10_000, overflow=Overflow.DROP_OLDEST) as books,
            bus.subscribe(MARKETS, buffer=1_000, overflow=Overflow.DROP_OLDEST) as markets,
            bus.subscribe(ORDER_DECISIONS, buffer=1_000, overflow=Overflow.BLOCK) as decisions,
        ):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._follow_books, books)
                nursery.start_soon(self._follow_markets, markets)
                nursery.start_soon(self._follow_decisions, decisions)
                task_status.started()
                while True:
                    await trio.sleep(self.config.interval_s)
                    await self._consider()

    async def _follow_books(self, books: Subscription[BookTop]) -> None:
        async for top in books:
            self.books[top.asset_id] = top

    async def _follow_markets(self, markets: Subscription[MarketInfo]) -> None:
        async for info in markets:
            self.markets[info.condition_id] = info

    async def _follow_decisions(self, decisions: Subscription[OrderDecision]) -> None:
        async for decision in decisions:
            if decision.intent.strategy != self.name:
                continue
            if isinstance(decision, OrderApproved):
                await self._fill(decision.intent)
            elif isinstance(decision, OrderDenied):
                self.denials += 1
                self._log.info(
                    "denied %s %s %s @ %s: %s",
                    decision.intent.side,
                    decision.intent.size,
                    _short(decision.intent.token_id),
                    decision.intent.price,
                    "; ".join(decision.reasons),
                )

    async def _consider(self) -> None:
        for info in list(self.markets.values()):
            if len(info.token_ids) != 2:
                continue
            yes = self.books.get(info.token_ids[0])
            no = self.books.get(info.token_ids[1])
            if yes is None or no is None or not (yes.valid and no.valid):
                continue
            imbalance = _imbalance(yes, self.config.depth)
            if imbalance > self.config.imbalance_threshold:
                await self._want(info, yes)
            elif imbalance < -self.config.imbalance_threshold:
                await self._want(info, no)

    async def _want(self, info: MarketInfo, book: BookTop) -> None:
        if not book.asks:
            return
        self.intents += 1
        intent = OrderIntent(
            market_id=info.condition_id,
            token_id=book.asset_id,
            side=Side.BUY,
            price=book.asks[0][0],
            size=self.config.order_size,
            client_order_id=f"{self.name}-{self.intents}",
            strategy=self.name,
        )
        self.context.metric("minibot.intents", float(self.intents), MetricType.COUNTER)
        await self.context.bus.publish(ORDER_INTENTS, intent)

    async def _fill(self, intent: OrderIntent) -> None:
        book = self.books.get(intent.token_id)
        if book is None or not book.valid:
            return
        remaining, cost = intent.size, Decimal(0)
        for price, size in book.asks:
            if price > intent.price:
                break
            take = min(size, remaining)
            remaining -= take
            cost += take * price
            if remaining == 0:
                break
        filled = intent.size - remaining
        if filled == 0:
            return
        price = (cost / filled).quantize(Decimal("0.0001"))
        self.fills += 1
        fill = Fill(
            token_id=intent.token_id,
            side=intent.side,
            price=price,
            size=filled,
            market_id=intent.market_id,
            fee_usd=Decimal(0),
            taker=True,
            timestamp_ms=self.context.now_ms(),
            order_id=intent.client_order_id,
        )
        self._log.info(
            "filled %s %s %s @ %s (mock)", intent.side, filled, _short(intent.token_id), price
        )
        self.context.metric("minibot.fills", float(self.fills), MetricType.COUNTER)
        await self.context.bus.publish(FILLS, fill)


def _imbalance(book: BookTop, depth: int) -> float:
    bids = float(sum(size for _, size in book.bids[:depth]))
    asks = float(sum(size for _, size in book.asks[:depth]))
    return 0.0 if bids + asks == 0 else (bids - asks) / (bids + asks)


def _short(token_id: str) -> str:
    return f"{token_id[:6]}…{token_id[-4:]}"
