"""``minibot``: a small two-sided quoter that trades through risk, execution and a venue.

Every ``interval_s`` it looks at each market's YES book and keeps, per token:

* a **bid**: BUY ``order_size`` at the best bid, while it holds less than
  ``max_position`` shares;
* an **ask**: SELL up to ``order_size`` at the best ask, while it holds shares.

It joins the touch (post-only, so it never takes liquidity), and requotes only when the
touch moved away from its order: it cancels the old order (``CANCEL_REQUESTS``) and sends
a new intent. Each intent passes the ``risk`` component; the ``execution`` component sends
approved ones to the stack's venue (the ``paper`` venue in the demo, which fills resting
orders as trades consume the queue ahead of them or the book moves through them), and
the fills come back on ``FILLS``. Inventory goes up on bids and back down on asks, so it
keeps trading for as long as it runs.
"""

from __future__ import annotations

import itertools
import logging
import sys
from decimal import Decimal

import attrs
import trio

from agbotkit import (
    BOOKS,
    CANCEL_REQUESTS,
    FILLS,
    MARKETS,
    ORDER_DECISIONS,
    ORDER_INTENTS,
    ORDER_UPDATES,
    BookTop,
    CancelOrder,
    Component,
    ComponentContext,
    Fill,
    MarketInfo,
    MetricType,
    OrderDecision,
    OrderDenied,
    OrderIntent,
    OrderStatusChanged,
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
        interval_s: how often it looks at its quotes.
        order_size: shares per order (the paper venue's minimum resting size is 5).
        max_position: it stops bidding a token once it holds this many shares.
        max_markets: it quotes at most this many markets (the first it hears of).
        log_to_stdout: print what it does on standard output (``minibot: ...`` lines)
            instead of through agbotkit's log; either way each line appears once.
    """

    interval_s: float = attrs.field(default=1.0, validator=greater_than(0))
    order_size: Decimal = attrs.field(default=Decimal(5), validator=greater_than(0))
    max_position: Decimal = attrs.field(default=Decimal(40), validator=greater_than(0))
    max_markets: int = attrs.field(default=4, validator=between(1, 1000))
    log_to_stdout: bool = True


@attrs.define
class _Quote:
    """One of minibot's orders that may still rest."""

    client_order_id: str
    price: Decimal
    canceling: bool = False


class Minibot(Component[MinibotConfig]):
    """A two-sided quoter; see the module docstring."""

    Config = MinibotConfig

    def __init__(self, config: MinibotConfig, context: ComponentContext) -> None:
        super().__init__(config, context)
        self.books: dict[str, BookTop] = {}
        self.markets: dict[str, MarketInfo] = {}
        self.held: dict[str, Decimal] = {}
        self.quotes: dict[tuple[str, Side], _Quote] = {}
        self.intents = 0
        self.fills = 0
        self.denials = 0
        self._ids = itertools.count(1)
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
        block = Overflow.BLOCK
        with (
            bus.subscribe(BOOKS, buffer=10_000, overflow=Overflow.DROP_OLDEST) as books,
            bus.subscribe(MARKETS, buffer=1_000, overflow=Overflow.DROP_OLDEST) as markets,
            bus.subscribe(ORDER_DECISIONS, buffer=10_000, overflow=block) as decisions,
            bus.subscribe(ORDER_UPDATES, buffer=10_000, overflow=block) as updates,
            bus.subscribe(FILLS, buffer=10_000, overflow=block) as fills,
        ):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._follow_books, books)
                nursery.start_soon(self._follow_markets, markets)
                nursery.start_soon(self._follow_decisions, decisions)
                nursery.start_soon(self._follow_updates, updates)
                nursery.start_soon(self._follow_fills, fills)
                task_status.started()
                while True:
                    await trio.sleep(self.config.interval_s)
                    await self._requote()

    async def _follow_books(self, books: Subscription[BookTop]) -> None:
        async for top in books:
            self.books[top.asset_id] = top

    async def _follow_markets(self, markets: Subscription[MarketInfo]) -> None:
        async for info in markets:
            if info.condition_id in self.markets or len(self.markets) < self.config.max_markets:
                self.markets[info.condition_id] = info

    async def _follow_decisions(self, decisions: Subscription[OrderDecision]) -> None:
        async for decision in decisions:
            intent = decision.intent
            if intent.strategy != self.name or not isinstance(decision, OrderDenied):
                continue
            self.denials += 1
            self._forget(intent.client_order_id)
            self._log.info(
                "denied %s %s %s @ %s: %s",
                intent.side,
                intent.size,
                _short(intent.token_id),
                intent.price,
                "; ".join(decision.reasons),
            )

    async def _follow_updates(self, updates: Subscription[OrderStatusChanged]) -> None:
        async for change in updates:
            if change.order.strategy == self.name and change.status.terminal:
                self._forget(change.client_order_id)

    async def _follow_fills(self, fills: Subscription[Fill]) -> None:
        async for fill in fills:
            if not fill.client_order_id.startswith(f"{self.name}-"):
                continue
            self.fills += 1
            held = self.held.get(fill.token_id, Decimal(0)) + fill.signed_size
            self.held[fill.token_id] = held
            self._log.info(
                "filled %s %s %s @ %s (holding %s)",
                fill.side,
                fill.size,
                _short(fill.token_id),
                fill.price,
                held,
            )
            self.context.metric("minibot.fills", float(self.fills), MetricType.COUNTER)

    def _forget(self, client_order_id: str) -> None:
        for key, quote in list(self.quotes.items()):
            if quote.client_order_id == client_order_id:
                del self.quotes[key]

    async def _requote(self) -> None:
        for info in list(self.markets.values()):
            if not info.token_ids:
                continue
            book = self.books.get(info.token_ids[0])
            if book is None or not book.valid or not book.bids or not book.asks:
                continue
            held = self.held.get(book.asset_id, Decimal(0))
            size = self.config.order_size
            want_bid = held + size <= self.config.max_position
            await self._quote(info, book, Side.BUY, book.bids[0][0], size if want_bid else None)
            sell = min(size, held)
            await self._quote(info, book, Side.SELL, book.asks[0][0], sell if sell > 0 else None)

    async def _quote(
        self, info: MarketInfo, book: BookTop, side: Side, price: Decimal, size: Decimal | None
    ) -> None:
        """Keep one order on ``side`` at ``price`` (none when ``size`` is None)."""
        key = (book.asset_id, side)
        quote = self.quotes.get(key)
        if quote is not None and (size is None or quote.price != price):
            del self.quotes[key]  # its end arrives on ORDER_UPDATES
            reason = "requote" if size is not None else "no longer wanted"
            cancel = CancelOrder(
                client_order_id=quote.client_order_id, reason=reason, source=self.name
            )
            await self.context.bus.publish(CANCEL_REQUESTS, cancel)
            quote = None
        if quote is not None or size is None:
            return
        client_order_id = f"{self.name}-{next(self._ids)}"
        self.quotes[key] = _Quote(client_order_id, price)
        self.intents += 1
        intent = OrderIntent(
            market_id=info.condition_id,
            token_id=book.asset_id,
            side=side,
            price=price,
            size=size,
            client_order_id=client_order_id,
            strategy=self.name,
            post_only=True,
        )
        self.context.metric("minibot.intents", float(self.intents), MetricType.COUNTER)
        await self.context.bus.publish(ORDER_INTENTS, intent)


def _short(token_id: str) -> str:
    return f"{token_id[:6]}…{token_id[-4:]}"
