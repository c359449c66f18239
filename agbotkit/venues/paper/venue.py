"""``PaperVenue``: a venue adapter that fills orders against the books on the bus.

It keeps the full book of every token it sees on ``MARKET_DATA`` (the same values whether
they come from Polymarket or from a replay), hands orders and market data to a
:class:`~agbotkit.exec.fillsim.FillSimulator`, and reports what the simulator decides.

Market data is subscribed ``drop-oldest`` like every other consumer of the topic: the feed
publishes without waiting, and a ``block`` subscriber that fell behind would make the feed
itself fail. A generous buffer makes losses unlikely; when some happen anyway, every book is
dropped until its next snapshot (an order for a token without a valid book is rejected), so
the simulator never fills against a book that silently missed changes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal

import attrs
import trio

from agbotkit.abc import VenueAdapter, VenueContext
from agbotkit.bus.subscription import Subscription
from agbotkit.bus.topic import Overflow
from agbotkit.config.checks import at_least, greater_than
from agbotkit.errors import VenueError
from agbotkit.exec.fillsim import FillSimulator
from agbotkit.exec.rules import FillRules
from agbotkit.marketdata.book import ApplyResult, OrderBooks
from agbotkit.model.books import BookDelta, BookSnapshot, TickSizeChanged
from agbotkit.model.markets import MarketInfo, MarketResolved, Trade
from agbotkit.model.numbers import to_decimal
from agbotkit.model.orders import Order
from agbotkit.model.venues import (
    CancelResult,
    OrderAck,
    VenueCapabilities,
    VenueEvent,
    VenueOrder,
)
from agbotkit.topics import MARKET_DATA, MARKETS

__all__ = ["PaperConfig", "PaperVenue"]

LOGGER = logging.getLogger(__name__)

#: Polymarket's batch limit (``POST /orders``), kept for parity.
MAX_BATCH = 15


@attrs.frozen(kw_only=True)
class PaperConfig:
    """Options of the ``paper`` venue.

    Attributes:
        fee_rate: the taker fee rate; a taker fill of C shares at p pays
            ``C * fee_rate * p * (1 - p)`` USD, makers pay none.
        min_size: the smallest resting order (GTC, GTD), in shares, for tokens whose market
            does not say its own.
        min_notional_usd: the smallest order that takes liquidity, in USD.
        tick_size: the tick size of tokens the market data has not given one for.
        submit_latency_ms: how long a submit takes to reach the simulated venue; the order
            meets the book as it is at the end of it.
        cancel_latency_ms: the same for cancels.
        expiry_check_ms: how often GTD expiries are looked for (an order never fills after
            its expiry, whatever this is; it only delays the ``EXPIRED`` report).
        market_data_buffer: market-data messages that may wait before the oldest are
            dropped (then every book waits for its next snapshot).
    """

    fee_rate: Decimal = attrs.field(default=Decimal(0), converter=to_decimal, validator=at_least(0))
    min_size: Decimal = attrs.field(default=Decimal(5), converter=to_decimal, validator=at_least(0))
    min_notional_usd: Decimal = attrs.field(
        default=Decimal(1), converter=to_decimal, validator=at_least(0)
    )
    tick_size: Decimal = attrs.field(
        default=Decimal("0.01"), converter=to_decimal, validator=greater_than(0)
    )
    submit_latency_ms: float = attrs.field(default=0.0, validator=at_least(0))
    cancel_latency_ms: float = attrs.field(default=0.0, validator=at_least(0))
    expiry_check_ms: float = attrs.field(default=100.0, validator=at_least(1))
    market_data_buffer: int = attrs.field(default=100_000, validator=at_least(1))


class PaperVenue(VenueAdapter[PaperConfig]):
    """Simulated trading against the real book (entry point ``paper``); see the module
    docstring and docs/venues/paper.md.

    Attributes:
        books: the books of every token seen on ``MARKET_DATA``.
        simulator: this account's simulated orders.
    """

    Config = PaperConfig

    @classmethod
    def no_money_reason(cls, config: PaperConfig) -> str | None:
        """Paper trading: no exchange, no money."""
        return "paper trading, fills simulated against the books"

    def __init__(self, config: PaperConfig, context: VenueContext) -> None:
        super().__init__(config, context)
        self.capabilities = VenueCapabilities(
            post_only=True,
            max_batch=MAX_BATCH,
            min_size=config.min_size,
            min_notional_usd=config.min_notional_usd,
            default_tick_size=config.tick_size,
            computes_order_id=True,
            real_money=False,
        )
        self.books = OrderBooks()
        self.simulator = FillSimulator(
            FillRules(
                venue=context.name,
                fee_rate=config.fee_rate,
                min_size=config.min_size,
                min_notional_usd=config.min_notional_usd,
                default_tick_size=config.tick_size,
            )
        )
        self._dropped = 0

    # -- streams -------------------------------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Follow market data and report fills and updates until cancelled (or the bus
        closes)."""
        bus = self.context.component.bus
        drop = Overflow.DROP_OLDEST
        with (
            bus.subscribe(
                MARKET_DATA, buffer=self.config.market_data_buffer, overflow=drop
            ) as data,
            # Retained market metadata is replayed at once: room for every market.
            bus.subscribe(MARKETS, buffer=1_000_000, overflow=drop) as markets,
        ):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._follow_markets, markets)
                nursery.start_soon(self._follow_market_data, data, nursery.cancel_scope)
                nursery.start_soon(self._expire_every, self.config.expiry_check_ms / 1000)
                task_status.started()

    async def _follow_markets(self, markets: Subscription[MarketInfo]) -> None:
        async for info in markets:
            for token_id in info.token_ids:
                if info.tick_size is not None:
                    self.simulator.set_tick_size(token_id, info.tick_size)
                if info.min_order_size is not None:
                    self.simulator.set_min_size(token_id, info.min_order_size)

    async def _follow_market_data(self, data: Subscription[object], done: trio.CancelScope) -> None:
        while True:
            try:
                batch = await data.receive_batch()
            except trio.EndOfChannel:
                done.cancel()  # the bus closed: the stack is over
                return
            if data.dropped != self._dropped:
                self._lost(data.dropped - self._dropped)
                self._dropped = data.dropped
            for message in batch:
                for event in self._on_market_data(message):
                    await self.context.report(event)

    async def _expire_every(self, interval_s: float) -> None:
        while True:
            await trio.sleep(interval_s)
            for event in self.simulator.expire(self.context.now_ms()):
                await self.context.report(event)

    def _on_market_data(self, message: object) -> list[VenueEvent]:
        """Apply one market-data message; the fills and updates it caused."""
        simulator = self.simulator
        now_ms = self.context.now_ms()
        if isinstance(message, BookDelta):
            book = self.books.book(message.asset_id)
            if book.apply_delta(message) is ApplyResult.APPLIED:
                return simulator.on_book(message.asset_id, book, message.changes, now_ms)
            return []
        if isinstance(message, BookSnapshot):
            book = self.books.book(message.asset_id)
            if message.tick_size is not None:
                simulator.set_tick_size(message.asset_id, message.tick_size)
            if book.apply_snapshot(message) is ApplyResult.APPLIED:
                return simulator.on_book(message.asset_id, book, None, now_ms)
            simulator.on_book_reset(message.asset_id)
            return []
        if isinstance(message, Trade):
            # The CLOB's last_trade_price only: RTDS reports the same trades again, and
            # counting both would consume the queues twice.
            return simulator.on_trade(message, now_ms) if message.topic is None else []
        if isinstance(message, TickSizeChanged):
            self.books.apply(message)
            simulator.set_tick_size(message.asset_id, message.new_tick_size)
            simulator.on_book_reset(message.asset_id)
            return simulator.expire(now_ms)
        if isinstance(message, MarketResolved):
            return simulator.resolve_market(message.market, now_ms)
        return []

    def _lost(self, count: int) -> None:
        """Market data was dropped: no book can be trusted until its next snapshot."""
        self.context.logger.warning(
            "%d market-data messages dropped (the paper venue fell behind); every book waits "
            "for its next snapshot, orders meanwhile are rejected",
            count,
        )
        self.books.reset_all()
        for token_id in self.books:
            self.simulator.on_book_reset(token_id)

    # -- orders --------------------------------------------------------------------------

    async def submit(self, order: Order) -> OrderAck:
        """Meet the book after ``submit_latency_ms``; taker fills are reported before the
        answer returns."""
        await self._latency(self.config.submit_latency_ms)
        return await self._submit_now(order)

    async def submit_batch(self, orders: Sequence[Order]) -> list[OrderAck]:
        """Up to 15 orders, one latency for all, taken in order."""
        if len(orders) > MAX_BATCH:
            raise VenueError(
                self.name, f"a batch takes at most {MAX_BATCH} orders, not {len(orders)}"
            )
        await self._latency(self.config.submit_latency_ms)
        return [await self._submit_now(order) for order in orders]

    def order_id_for(self, order: Order) -> str:
        """``paper-`` and the client order id."""
        return self.simulator.order_id_for(order.client_order_id)

    async def cancel(self, venue_order_id: str) -> CancelResult:
        """Cancel one order after ``cancel_latency_ms`` (it may fill meanwhile)."""
        await self._latency(self.config.cancel_latency_ms)
        return self.simulator.cancel([venue_order_id], self.context.now_ms())

    async def cancel_many(self, venue_order_ids: Sequence[str]) -> CancelResult:
        """Cancel several orders, one latency for all."""
        await self._latency(self.config.cancel_latency_ms)
        return self.simulator.cancel(venue_order_ids, self.context.now_ms())

    async def cancel_all(self, market_id: str | None = None) -> CancelResult:
        """Cancel every resting order (of one market)."""
        await self._latency(self.config.cancel_latency_ms)
        return self.simulator.cancel_all(market_id, self.context.now_ms())

    async def open_orders(self, market_id: str | None = None) -> list[VenueOrder]:
        """The resting orders (of one market), oldest first."""
        return self.simulator.open_orders(market_id)

    async def get_order(self, venue_order_id: str) -> VenueOrder | None:
        """An order resting or recently closed; ``None`` for one never accepted."""
        return self.simulator.get(venue_order_id)

    async def find_order(self, client_order_id: str) -> VenueOrder | None:
        """The same lookup by the client order id (the venue id derives from it)."""
        return self.simulator.find(client_order_id)

    async def tick_size(self, token_id: str) -> Decimal:
        """The token's tick size from the market data, else the configured one."""
        return self.simulator.tick_size(token_id)

    async def _submit_now(self, order: Order) -> OrderAck:
        book = self.books.get(order.token_id)
        usable = book if book is not None and book.valid else None
        result = self.simulator.submit(order, usable, self.context.now_ms())
        for fill in result.fills:
            await self.context.report(fill)
        return result.ack

    @staticmethod
    async def _latency(latency_ms: float) -> None:
        if latency_ms > 0:
            await trio.sleep(latency_ms / 1000)
