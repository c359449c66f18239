"""``example_venue``: a toy in-memory venue, written from agbotkit's public API only.

Orders rest until the venue's fixed "fair price" crosses them: a buy at or above it, or a
sell at or below it, fills at once and in full at the fair price. It trades no money
(``real_money=False``), so it runs without enabling live trading. docs/venues.md walks
through it.
"""

from __future__ import annotations

import collections
import itertools
import math
from collections.abc import Sequence
from decimal import Decimal

import attrs
import trio

from agbotkit import (
    CancelResult,
    Fill,
    Order,
    OrderAck,
    OrderStatus,
    OrderType,
    RateLimitedError,
    Side,
    TradeStatus,
    VenueAdapter,
    VenueCapabilities,
    VenueContext,
    VenueError,
    VenueEvent,
    VenueOrder,
    VenueOrderUpdate,
    Window,
    between,
)


@attrs.frozen
class ToyVenueConfig:
    """Options of ``example_venue``.

    Attributes:
        fair_price: the price every crossing order fills at, in ``[0, 1]``.
        orders_per_s: how many orders a second the venue takes; more are answered the
            way a venue answers with HTTP 429 (``RateLimitedError`` with a retry-after).
        lookups_per_s: how many lookups (``get_order``, ``find_order``, ``open_orders``)
            a second the adapter allows itself, through the process's shared budgets.
    """

    fair_price: Decimal = attrs.field(default=Decimal("0.5"), validator=between(0, 1))
    orders_per_s: int = attrs.field(default=50, validator=between(1, 10_000))
    lookups_per_s: int = attrs.field(default=20, validator=between(1, 10_000))


class ToyVenue(VenueAdapter[ToyVenueConfig]):
    """An in-memory venue that fills what crosses a fixed fair price and rests the rest.

    The venue's id of an order is ``toy-`` and our id, so it is known before the order
    is sent (``computes_order_id``): an order whose answer was lost is found again by it.
    """

    Config = ToyVenueConfig
    capabilities = VenueCapabilities(max_batch=5, computes_order_id=True, real_money=False)

    def __init__(self, config: ToyVenueConfig, context: VenueContext) -> None:
        super().__init__(config, context)
        self.fair_price = config.fair_price
        self._orders: dict[str, VenueOrder] = {}  # every order ever taken, by the venue's id
        self._trade_ids = itertools.count(1)
        # Submits queue their events here; run() forwards them, so a submit never waits
        # for the execution layer to take an event.
        self._events_in, self._events_out = trio.open_memory_channel[VenueEvent](math.inf)
        # The venue's own count of the orders it took in the last second (its 429s).
        self._recent_submits: collections.deque[float] = collections.deque()
        # The execution component budgets submits and cancels itself; lookups are the
        # adapter's to budget. One budget per account, shared by the whole process.
        self._lookups = context.rate_limits.limiter(
            f"example_venue:{self.name}",
            "GET /order",
            [Window(config.lookups_per_s, 1.0)],
            max_wait_s=1.0,
        )

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Forward order updates and fills to the execution layer until cancelled."""
        task_status.started()
        async for event in self._events_out:
            await self.context.report(event)

    def order_id_for(self, order: Order) -> str:
        """``toy-`` and the client order id."""
        return f"toy-{order.client_order_id}"

    async def submit(self, order: Order) -> OrderAck:
        """Fill the order at the fair price if it crosses it, else rest it (GTC, GTD) or
        kill it (FOK, FAK); refuse a post-only order that would cross."""
        self._take_submit_budget()
        venue_order_id = self.order_id_for(order)
        now_ms = self.context.now_ms()
        if venue_order_id in self._orders:
            return self._ack(order, OrderStatus.REJECTED, "duplicate client order id", "")
        if order.order_type is OrderType.GTD and (order.expires_at_ms or 0) <= now_ms:
            return self._ack(order, OrderStatus.REJECTED, "expiry is in the past", "")
        crosses = self._crosses(order.side, order.price)
        if crosses and order.post_only:
            return self._ack(order, OrderStatus.REJECTED, "post-only order would cross", "")
        if not crosses and not order.order_type.rests:
            status, reason = OrderStatus.CANCELED, "nothing to fill against at the limit price"
        else:
            status, reason = OrderStatus.ACCEPTED, ""
        self._orders[venue_order_id] = VenueOrder(
            venue_order_id=venue_order_id,
            client_order_id=order.client_order_id,
            market_id=order.market_id,
            token_id=order.token_id,
            side=order.side,
            price=order.price,
            size=order.size,
            status=status,
            order_type=order.order_type,
            expires_at_ms=order.expires_at_ms,
            created_ms=now_ms,
        )
        if crosses:
            self._fill(venue_order_id, taker=True)
            status = OrderStatus.FILLED
        return self._ack(order, status, reason, venue_order_id)

    async def submit_batch(self, orders: Sequence[Order]) -> list[OrderAck]:
        """Up to ``max_batch`` orders; more is refused whole (nothing is placed)."""
        if len(orders) > self.capabilities.max_batch:
            limit = self.capabilities.max_batch
            raise VenueError(self.name, f"{len(orders)} orders in one batch (at most {limit})")
        return [await self.submit(order) for order in orders]

    async def cancel(self, venue_order_id: str) -> CancelResult:
        """Cancel one resting order."""
        return await self.cancel_many([venue_order_id])

    async def cancel_many(self, venue_order_ids: Sequence[str]) -> CancelResult:
        """Cancel resting orders; the others are listed with why not."""
        await trio.lowlevel.checkpoint()
        canceled: list[str] = []
        not_canceled: dict[str, str] = {}
        for venue_order_id in venue_order_ids:
            found = self._orders.get(venue_order_id)
            if found is None:
                not_canceled[venue_order_id] = "unknown order"
            elif not found.status.open:
                not_canceled[venue_order_id] = f"already {found.status.lower()}"
            else:
                self._orders[venue_order_id] = attrs.evolve(found, status=OrderStatus.CANCELED)
                canceled.append(venue_order_id)
        return CancelResult(canceled=tuple(canceled), not_canceled=not_canceled)

    async def cancel_all(self, market_id: str | None = None) -> CancelResult:
        """Cancel every resting order, or those of one market."""
        return await self.cancel_many([o.venue_order_id for o in self._open(market_id)])

    async def open_orders(self, market_id: str | None = None) -> list[VenueOrder]:
        """Every resting order (one page: they are all in memory)."""
        await self._lookups.acquire()  # RateLimitedError when the budget stays full
        return self._open(market_id)

    async def get_order(self, venue_order_id: str) -> VenueOrder | None:
        """Any order the venue took, resting or not."""
        await self._lookups.acquire()
        return self._orders.get(venue_order_id)

    async def find_order(self, client_order_id: str) -> VenueOrder | None:
        """Any order by our id: the venue keeps it, so closed orders are found too."""
        await self._lookups.acquire()
        return self._orders.get(f"toy-{client_order_id}")

    def move_fair_price(self, price: Decimal) -> None:
        """Set a new fair price and fill every resting order it crosses (a market move)."""
        self.fair_price = Decimal(price)
        for order in self._open(None):
            if self._crosses(order.side, order.price):
                self._fill(order.venue_order_id, taker=False)  # it rested: a maker
                self._events_in.send_nowait(
                    VenueOrderUpdate(
                        venue_order_id=order.venue_order_id,
                        client_order_id=order.client_order_id,
                        status=OrderStatus.FILLED,
                        filled_size=order.size,
                        timestamp_ms=self.context.now_ms(),
                    )
                )

    def _take_submit_budget(self) -> None:
        """Count one order, or refuse it as the venue's 429 would (nothing is placed)."""
        now = trio.current_time()
        recent = self._recent_submits
        while recent and recent[0] <= now - 1.0:
            recent.popleft()
        if len(recent) >= self.config.orders_per_s:
            raise RateLimitedError(self.name, "POST /order", recent[0] + 1.0 - now)
        recent.append(now)

    def _crosses(self, side: Side, price: Decimal) -> bool:
        return price >= self.fair_price if side is Side.BUY else price <= self.fair_price

    def _open(self, market_id: str | None) -> list[VenueOrder]:
        return [
            order
            for order in self._orders.values()
            if order.status.open and market_id in (None, order.market_id)
        ]

    def _fill(self, venue_order_id: str, *, taker: bool) -> None:
        order = self._orders[venue_order_id]
        self._orders[venue_order_id] = attrs.evolve(
            order, status=OrderStatus.FILLED, filled_size=order.size
        )
        self._events_in.send_nowait(
            Fill(
                token_id=order.token_id,
                side=order.side,
                price=self.fair_price,
                size=order.size,
                market_id=order.market_id,
                fee_usd=Decimal(0),
                taker=taker,
                timestamp_ms=self.context.now_ms(),
                order_id=venue_order_id,
                trade_id=f"toy-trade-{next(self._trade_ids)}",
                trade_status=TradeStatus.CONFIRMED,
                client_order_id=order.client_order_id,
                venue=self.name,
            )
        )

    def _ack(self, order: Order, status: OrderStatus, reason: str, venue_order_id: str) -> OrderAck:
        return OrderAck(
            client_order_id=order.client_order_id,
            venue_order_id=venue_order_id,
            status=status,
            reason=reason,
            timestamp_ms=self.context.now_ms(),
        )
