"""The execution gateway: approved orders to their venues, the venues' answers to the OMS.

Every order goes ``approval -> NEW -> (refused | queued) -> SUBMITTING -> the venue's
answer``, and every change the order manager makes is published on ``ORDER_UPDATES``
before anything relies on it (the storage component stores it from there). Each venue has
``submit_workers`` tasks taking orders from its queue, up to the venue's batch size at a
time, within the process's rate budget for the venue.

A submit whose answer is lost (a timeout, an error after sending) leaves the order
``UNKNOWN``: :mod:`agbotkit.exec.upkeep` asks the venue about it; it is never resent.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence

import trio

from agbotkit.abc import ComponentContext
from agbotkit.errors import OrderOutcomeUnknownError, RateLimitedError, VenueError
from agbotkit.exec.config import ExecutionConfig
from agbotkit.exec.metrics import ExecMetrics
from agbotkit.exec.oms import OrderManager
from agbotkit.exec.venue import Pending, RunningVenue
from agbotkit.model.execution import OrderStatus, OrderStatusChanged
from agbotkit.model.orders import Fill, Order, OrderAccepted, OrderRejected
from agbotkit.model.risk import OrderApproved, OrderDecision
from agbotkit.model.venues import OrderAck, VenueEvent
from agbotkit.topics import FILLS, ORDER_OUTCOMES, ORDER_UPDATES

__all__ = ["Gateway"]

LOGGER = logging.getLogger(__name__)


class Gateway:
    """Routes approved orders and the venues' events; see the module docstring.

    Attributes:
        venues: the running venues by name.
        kill_reasons: risk component -> why its kill switch is triggered (none: trading).
        stopping: the component is stopping: no new order is sent.
    """

    def __init__(
        self,
        config: ExecutionConfig,
        context: ComponentContext,
        oms: OrderManager,
        metrics: ExecMetrics,
    ) -> None:
        self.config = config
        self.context = context
        self.oms = oms
        self.metrics = metrics
        self.venues: dict[str, RunningVenue] = {}
        self.kill_reasons: dict[str, str] = {}
        self.stopping = False
        # Cancels asked for while the order was being submitted: sent once it is answered,
        # by ``after_ack`` (the component sets it to its Cancels' method).
        self.cancel_after_ack: dict[str, str] = {}
        self.after_ack: Callable[[str], Awaitable[None]] | None = None
        self.default_venue = config.default_venue or next(iter(config.venues), "")

    # -- publishing ----------------------------------------------------------------------

    async def publish(self, changes: Iterable[OrderStatusChanged]) -> None:
        """Publish order changes, losslessly, in order."""
        bus = self.context.bus
        for change in changes:
            await bus.publish(ORDER_UPDATES, change)

    async def _reject(self, order: Order, cause: str, reason: str) -> None:
        """Refuse a NEW order without sending it."""
        await self.publish([self.oms.refuse(order.client_order_id, reason)])
        await self.context.bus.publish(ORDER_OUTCOMES, _rejected(order, reason, self.context))
        self.metrics.rejected(order.venue, cause)

    # -- approved orders -----------------------------------------------------------------

    async def on_decision(self, decision: OrderDecision) -> None:
        """Take one of the risk component's decisions: an approval becomes an order."""
        if not isinstance(decision, OrderApproved):
            return  # a denied intent is never sent
        received = trio.current_time()
        intent = decision.intent
        order = Order.from_intent(
            intent, venue=intent.venue or self.default_venue, created_ms=self.context.now_ms()
        )
        try:
            change = self.oms.add(order)
        except ValueError as exc:  # a client order id used twice: never send it again
            LOGGER.error("order refused: %s", exc)
            await self.context.bus.publish(ORDER_OUTCOMES, _rejected(order, str(exc), self.context))
            self.metrics.rejected(order.venue, "duplicate")
            return
        await self.publish([change])
        venue = self.venues.get(order.venue)
        cause, reason = self.refusal(order, venue)
        if venue is None or reason:
            await self._reject(order, cause, reason)
            return
        await venue.submits.send(Pending(order, received))

    def refusal(self, order: Order, venue: RunningVenue | None) -> tuple[str, str]:
        """Why ``order`` must not be sent now, as (metric cause, reason); ("", "") if it may."""
        if venue is None:
            return (
                "unsupported",
                f"no venue named {order.venue!r} (venues: {', '.join(self.venues)})",
            )
        if self.kill_reasons:
            reasons = "; ".join(self.kill_reasons.values())
            return "kill_switch", f"kill switch triggered: {reasons}"
        if self.stopping:
            return "stopping", "the execution component is stopping"
        if venue.dry_run:
            return "dry_run", (
                f"dry run: venue {venue.name} trades real money and live trading is off "
                "(set live_trading: true and AGBOTKIT_LIVE_TRADING=1 to trade)"
            )
        unsupported = venue.unsupported(order)
        return ("unsupported", unsupported) if unsupported else ("", "")

    async def submit_worker(self, venue: RunningVenue) -> None:
        """Send what waits in ``venue``'s queue, a batch at a time, until it closes."""
        batch_size = venue.capabilities.max_batch
        async for first in venue.waiting:
            batch = [first]
            if batch_size > 1:
                batch += _take_up_to(venue.waiting, batch_size - 1)
            await self.submit(venue, batch)

    async def submit(self, venue: RunningVenue, batch: Sequence[Pending]) -> None:
        """Submit one batch: checks, budget, SUBMITTING, the request, the answers."""
        ready: list[Pending] = []
        for pending in batch:  # the kill switch may have triggered while it waited
            cause, reason = self.refusal(pending.order, venue)
            if reason:
                await self._reject(pending.order, cause, reason)
            else:
                ready.append(pending)
        if not ready:
            return
        try:
            await venue.submit_limiter.acquire(len(ready))
        except RateLimitedError as exc:
            for pending in ready:
                await self._reject(pending.order, "rate_limited", str(exc))
            return
        changes = [
            self.oms.submitting(p.order.client_order_id, venue.adapter.order_id_for(p.order))
            for p in ready
        ]
        await self.publish(changes)
        orders = [p.order for p in ready]
        acks = await self._send(venue, orders)
        now = trio.current_time()
        for pending, ack in zip(ready, acks, strict=True):
            latency_ms = (now - pending.since) * 1000
            await self.answered(venue, pending.order, ack, latency_ms)
        if self.cancel_after_ack and self.after_ack is not None:
            for pending in ready:
                if pending.order.client_order_id in self.cancel_after_ack:
                    await self.after_ack(pending.order.client_order_id)

    async def _send(self, venue: RunningVenue, orders: list[Order]) -> list[OrderAck | str]:
        """The venue's answer to each order, or why its outcome is unknown."""
        adapter = venue.adapter
        answers: list[OrderAck | str] | None = None
        with trio.move_on_after(self.config.submit_timeout_s):
            try:
                if len(orders) == 1:
                    answers = [await adapter.submit(orders[0])]
                else:
                    answers = list(await adapter.submit_batch(orders))
            except OrderOutcomeUnknownError as exc:
                answers = [exc.reason] * len(orders)
            except RateLimitedError as exc:  # refused by the venue: nothing was placed
                venue.submit_limiter.back_off(exc.retry_after_s)
                answers = [_refused(o, exc.reason, self.context) for o in orders]
            except VenueError as exc:  # failed and did nothing, says the adapter
                answers = [_refused(o, exc.reason, self.context) for o in orders]
            except Exception as exc:  # an adapter's bug or a surprise: it may have been sent
                LOGGER.exception("venue %s: submit failed; outcome unknown", venue.name)
                answers = [f"submit failed: {type(exc).__name__}: {exc}"] * len(orders)
        if answers is None:
            return [f"no answer within {self.config.submit_timeout_s:g} s"] * len(orders)
        if len(answers) != len(orders):
            LOGGER.error("venue %s answered %d of %d orders", venue.name, len(answers), len(orders))
            by_id = {a.client_order_id: a for a in answers if isinstance(a, OrderAck)}
            return [by_id.get(o.client_order_id, "the venue gave no answer") for o in orders]
        return answers

    async def answered(
        self, venue: RunningVenue, order: Order, ack: OrderAck | str, latency_ms: float
    ) -> None:
        """Apply the venue's answer to one order (or the reason its outcome is unknown)."""
        bus, oms = self.context.bus, self.oms
        if isinstance(ack, str):
            state = oms.get(order.client_order_id)
            venue_id = state.venue_order_id if state is not None else ""
            LOGGER.warning("order %s: outcome UNKNOWN (%s)", order.client_order_id, ack)
            await self.publish(oms.outcome_unknown(order.client_order_id, ack, venue_id))
            return
        await self.publish(oms.acknowledged(ack))
        self.metrics.acknowledged(order, latency_ms, ack.accepted)
        if ack.accepted:
            outcome: OrderAccepted | OrderRejected = OrderAccepted(
                client_order_id=order.client_order_id,
                order_id=ack.venue_order_id,
                market_id=order.market_id,
                token_id=order.token_id,
                timestamp_ms=ack.timestamp_ms or self.context.now_ms(),
            )
        else:
            self.metrics.rejected(venue.name, "venue")
            outcome = _rejected(order, ack.reason, self.context, ack.venue_order_id)
        await bus.publish(ORDER_OUTCOMES, outcome)

    # -- the venues' own events ----------------------------------------------------------

    async def on_venue_event(self, venue: str, event: VenueEvent) -> None:
        """An order update or a fill a venue reported."""
        if isinstance(event, Fill):
            result = self.oms.on_fill(venue, event)
            await self.publish(result.changes)
            if result.fill is not None:
                self.metrics.filled(venue, result.fill)
                await self.context.bus.publish(FILLS, result.fill)
            return
        changes = self.oms.on_update(venue, event)
        self.metrics.canceled(venue, sum(c.status is OrderStatus.CANCELED for c in changes))
        await self.publish(changes)


def _take_up_to(receiver: trio.MemoryReceiveChannel[Pending], count: int) -> list[Pending]:
    """At most ``count`` orders already waiting, without blocking."""
    taken: list[Pending] = []
    while len(taken) < count:
        try:
            taken.append(receiver.receive_nowait())
        except (trio.WouldBlock, trio.EndOfChannel):
            break
    return taken


def _refused(order: Order, reason: str, context: ComponentContext) -> OrderAck:
    return OrderAck(
        client_order_id=order.client_order_id,
        status=OrderStatus.REJECTED,
        reason=reason,
        timestamp_ms=context.now_ms(),
    )


def _rejected(
    order: Order, reason: str, context: ComponentContext, venue_order_id: str = ""
) -> OrderRejected:
    return OrderRejected(
        client_order_id=order.client_order_id,
        order_id=venue_order_id,
        market_id=order.market_id,
        token_id=order.token_id,
        reason=reason,
        timestamp_ms=context.now_ms(),
    )
