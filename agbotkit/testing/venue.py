"""A scripted venue for tests: an in-memory exchange whose misbehaviour a test chooses.

The exchange (:class:`ScriptedExchange`) stands for the remote venue: it outlives the
adapter (:class:`ScriptedVenue`, venue kind ``scripted``) that talks to it, so a test can
restart the execution component and find the orders still "on the venue". Tests reach an
exchange by the name its stack gives it::

    execution:
      kind: execution
      venues:
        sim: {kind: scripted, exchange: my-test}

    exchange = ScriptedExchange.named("my-test")
    exchange.lose_answers = 1          # the next submit lands, but its answer is lost
    await exchange.fill(venue_order_id, size=5)

It fills nothing by itself: a test fills orders with :meth:`ScriptedExchange.fill`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import ClassVar

import attrs
import trio

from agbotkit.abc import VenueAdapter, VenueContext
from agbotkit.errors import OrderOutcomeUnknownError, RateLimitedError, VenueError
from agbotkit.model.execution import OrderStatus
from agbotkit.model.orders import Fill, Order, TradeStatus
from agbotkit.model.venues import (
    CancelResult,
    OrderAck,
    VenueCapabilities,
    VenueOrder,
    VenueOrderUpdate,
)

__all__ = ["ScriptedExchange", "ScriptedVenue", "ScriptedVenueConfig"]


class ScriptedExchange:
    """The remote side of a scripted venue; see the module docstring.

    Attributes:
        name: its name (what a stack's ``exchange:`` option says).
        orders: every order it ever took, by venue order id.
        received: every order sent to it, in arrival order (a resend shows twice).
        arrivals: when each of them arrived (trio's clock).
        requests: the number of orders of each submit request (a batch counts once).
        cancel_calls: every cancel request, as ("cancel" | "cancel_all", argument).
        lose_answers: the next this-many submits are placed, but their answer is lost.
        drop_submits: the next this-many submits never arrive (and their answer is lost).
        reject_reason: while set, every submit is rejected with it.
        too_many_requests: the next submit is refused as a 429 with this ``Retry-After``
            (seconds; 0: none).
        hang: set by :meth:`stall`: submits, cancels and lookups wait until :meth:`release`.
        answer_cancels: whether cancels take effect (False: refused as "busy").
    """

    _all: ClassVar[dict[str, ScriptedExchange]] = {}

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.orders: dict[str, VenueOrder] = {}
        self.received: list[Order] = []
        self.arrivals: list[float] = []
        self.requests: list[int] = []
        self.cancel_calls: list[tuple[str, str | None]] = []
        self.lose_answers = 0
        self.drop_submits = 0
        self.reject_reason = ""
        self.too_many_requests = 0.0
        self.hang: trio.Event | None = None
        self.stall_after_placing = False
        self.answer_cancels = True
        self.venue: VenueContext | None = None
        self._trades = 0

    @classmethod
    def named(cls, name: str) -> ScriptedExchange:
        """The exchange called ``name`` (made on first use; shared by every adapter)."""
        found = cls._all.get(name)
        if found is None:
            found = cls._all[name] = cls(name)
        return found

    @classmethod
    def forget(cls, name: str) -> None:
        """Drop the exchange called ``name`` (between tests)."""
        cls._all.pop(name, None)

    def open_orders(self) -> list[VenueOrder]:
        """Orders resting on it."""
        return [o for o in self.orders.values() if o.status.open]

    def place(self, order: VenueOrder) -> None:
        """Put an order on it directly (one placed by another process)."""
        self.orders[order.venue_order_id] = order

    async def fill(
        self,
        venue_order_id: str,
        size: Decimal | int | str,
        price: Decimal | str | None = None,
        *,
        trade_id: str = "",
        trade_status: TradeStatus = TradeStatus.MATCHED,
    ) -> Fill:
        """Fill ``size`` of an order and report it to the connected adapter."""
        order = self.orders[venue_order_id]
        size = Decimal(size)
        filled = order.filled_size + size
        status = OrderStatus.FILLED if filled >= order.size else OrderStatus.PARTIALLY_FILLED
        self.orders[venue_order_id] = attrs.evolve(order, filled_size=filled, status=status)
        self._trades += 1
        fill = Fill(
            token_id=order.token_id,
            side=order.side,
            price=order.price if price is None else Decimal(price),
            size=size,
            market_id=order.market_id,
            fee_usd=Decimal(0),
            taker=False,
            order_id=venue_order_id,
            trade_id=trade_id or f"trade-{self._trades}",
            trade_status=trade_status,
            client_order_id=order.client_order_id,
        )
        await self.report(fill)
        return fill

    async def report(self, event: Fill | VenueOrderUpdate) -> None:
        """Send an event to the connected adapter's execution component."""
        if self.venue is None:
            raise RuntimeError("no adapter is connected to this exchange")
        await self.venue.report(event)

    def stall(self, *, after_placing: bool = False) -> None:
        """Make submits, cancels and lookups wait until :meth:`release` (a stalled venue).

        With ``after_placing``, a submit places its order first and only its answer waits
        (a request that lands although the client gave up on it).
        """
        self.stall_after_placing = after_placing
        if self.hang is None:
            self.hang = trio.Event()

    def release(self) -> None:
        """Let stalled requests go on."""
        if self.hang is not None:
            self.hang.set()
            self.hang = None

    async def _stall(self) -> None:
        if self.hang is not None:
            await self.hang.wait()


@attrs.frozen
class ScriptedVenueConfig:
    """Options of the ``scripted`` venue.

    Attributes:
        exchange: the name of the :class:`ScriptedExchange` it talks to.
        real_money: what its capabilities claim (to test the dry-run rule).
        max_batch: its batch limit.
        computes_order_id: whether it knows an order's id before answering.
    """

    exchange: str = "default"
    real_money: bool = False
    max_batch: int = 15
    computes_order_id: bool = True


class ScriptedVenue(VenueAdapter[ScriptedVenueConfig]):
    """The adapter of a :class:`ScriptedExchange` (venue kind ``scripted``)."""

    Config = ScriptedVenueConfig

    @classmethod
    def no_money_reason(cls, config: ScriptedVenueConfig) -> str | None:
        """A scripted exchange holds no money, unless told to claim it does."""
        return None if config.real_money else "scripted test venue: no money"

    def __init__(self, config: ScriptedVenueConfig, context: VenueContext) -> None:
        super().__init__(config, context)
        self.exchange = ScriptedExchange.named(config.exchange)
        self.capabilities = VenueCapabilities(
            max_batch=config.max_batch,
            min_size=Decimal(0),
            computes_order_id=config.computes_order_id,
            real_money=config.real_money,
        )

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        self.exchange.venue = self.context
        task_status.started()
        await trio.sleep_forever()

    _in_batch = False

    async def submit_batch(self, orders: Sequence[Order]) -> list[OrderAck]:
        self.exchange.requests.append(len(orders))
        self._in_batch = True
        try:
            return [await self.submit(order) for order in orders]
        finally:
            self._in_batch = False

    def order_id_for(self, order: Order) -> str:
        return f"v-{order.client_order_id}" if self.config.computes_order_id else ""

    async def submit(self, order: Order) -> OrderAck:
        exchange = self.exchange
        exchange.received.append(order)
        exchange.arrivals.append(trio.current_time())
        if not self._in_batch:
            exchange.requests.append(1)
        if not exchange.stall_after_placing:
            await exchange._stall()
        venue_id = f"v-{order.client_order_id}"
        if exchange.too_many_requests:
            retry_after, exchange.too_many_requests = exchange.too_many_requests, 0.0
            raise RateLimitedError(self.name, "POST /order", retry_after)
        if exchange.drop_submits:
            exchange.drop_submits -= 1
            raise OrderOutcomeUnknownError(
                self.name, "connection dropped", self.order_id_for(order)
            )
        if exchange.reject_reason:
            return OrderAck(
                client_order_id=order.client_order_id,
                status=OrderStatus.REJECTED,
                reason=exchange.reject_reason,
            )
        exchange.orders[venue_id] = VenueOrder(
            venue_order_id=venue_id,
            client_order_id=order.client_order_id,
            market_id=order.market_id,
            token_id=order.token_id,
            side=order.side,
            price=order.price,
            size=order.size,
            order_type=order.order_type,
            expires_at_ms=order.expires_at_ms,
        )
        if exchange.stall_after_placing:
            await exchange._stall()
        if exchange.lose_answers:
            exchange.lose_answers -= 1
            raise OrderOutcomeUnknownError(self.name, "answer lost", self.order_id_for(order))
        return OrderAck(client_order_id=order.client_order_id, venue_order_id=venue_id)

    async def cancel(self, venue_order_id: str) -> CancelResult:
        self.exchange.cancel_calls.append(("cancel", venue_order_id))
        return await self._cancel([venue_order_id])

    async def cancel_all(self, market_id: str | None = None) -> CancelResult:
        self.exchange.cancel_calls.append(("cancel_all", market_id))
        ids = [
            o.venue_order_id
            for o in self.exchange.open_orders()
            if market_id in (None, o.market_id)
        ]
        return await self._cancel(ids)

    async def _cancel(self, ids: list[str]) -> CancelResult:
        exchange = self.exchange
        await exchange._stall()
        if not exchange.answer_cancels:
            raise VenueError(self.name, "busy")
        canceled: list[str] = []
        refused: dict[str, str] = {}
        for venue_id in ids:
            order = exchange.orders.get(venue_id)
            if order is None or not order.status.open:
                refused[venue_id] = "already canceled or matched"
                continue
            exchange.orders[venue_id] = attrs.evolve(order, status=OrderStatus.CANCELED)
            canceled.append(venue_id)
        return CancelResult(canceled=tuple(canceled), not_canceled=refused)

    async def open_orders(self, market_id: str | None = None) -> list[VenueOrder]:
        return [o for o in self.exchange.open_orders() if market_id in (None, o.market_id)]

    async def get_order(self, venue_order_id: str) -> VenueOrder | None:
        await self.exchange._stall()
        return self.exchange.orders.get(venue_order_id)

    async def find_order(self, client_order_id: str) -> VenueOrder | None:
        for order in self.exchange.orders.values():
            if order.client_order_id == client_order_id:
                return order
        return None
