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
import math
from collections.abc import Awaitable, Callable, Sequence

import trio

from agbotkit.abc import ComponentContext
from agbotkit.errors import OrderOutcomeUnknownError, RateLimitedError, VenueError
from agbotkit.exec.config import ExecutionConfig
from agbotkit.exec.metrics import ExecMetrics
from agbotkit.exec.oms import OrderManager
from agbotkit.exec.state import FillVerdict
from agbotkit.exec.venue import Pending, RunningVenue
from agbotkit.model.execution import OrderStatus, OrderStatusChanged
from agbotkit.model.orders import Fill, Order, OrderAccepted, OrderRejected
from agbotkit.model.risk import OrderApproved, OrderDecision
from agbotkit.model.venues import OrderAck, VenueEvent
from agbotkit.toolkit.tasks import take_waiting
from agbotkit.topics import FILLS, ORDER_OUTCOMES, ORDER_UPDATES

__all__ = ["Gateway"]

LOGGER = logging.getLogger(__name__)


class Gateway:
    """Routes approved orders and the venues' events; see the module docstring.

    Attributes:
        venues: the running venues by name.
        kill_reasons: risk component -> why its kill switch is triggered (none: trading).
        stopping: the component is stopping: no new order is sent.
        standby: why this process may not trade now (another holds the leader lease);
            empty while it may.
        lease_until: when the leader lease runs out unless renewed (trio clock); no order
            is sent from then on, whether or not the loss was noticed yet.
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
        self.standby = ""
        self.lease_until = math.inf
        # Cancels asked for while the order was being submitted: sent once it is answered,
        # by ``after_ack`` (the component sets it to its Cancels' method).
        self.cancel_after_ack: dict[str, str] = {}
        self.after_ack: Callable[[str], Awaitable[None]] | None = None
        self.default_venue = config.default_venue or next(iter(config.venues), "")

    # -- publishing ----------------------------------------------------------------------

    async def publish(self, changes: Sequence[OrderStatusChanged]) -> None:
        """Publish order changes, losslessly, in order (one scheduling round for all)."""
        if changes:
            await self.context.bus.publish_many(ORDER_UPDATES, changes)

    def _refuse(
        self, order: Order, cause: str, reason: str, outcomes: list[OrderRejected]
    ) -> OrderStatusChanged:
        """Refuse a NEW order without sending it: its change; its outcome goes to
        ``outcomes``."""
        outcomes.append(_rejected(order, reason, self.context))
        self.metrics.rejected(order.venue, cause)
        return self.oms.refuse(order.client_order_id, reason)

    # -- approved orders -----------------------------------------------------------------

    async def on_decisions(self, decisions: Sequence[OrderDecision]) -> None:
        """Take the risk component's decisions, in order: each approval becomes an order,
        published ``NEW`` (then refused, or queued for its venue's submit workers)."""
        received = trio.current_time()
        now_ms = self.context.now_ms()
        changes: list[OrderStatusChanged] = []
        outcomes: list[OrderRejected] = []
        queued: list[tuple[RunningVenue, Pending]] = []
        for decision in decisions:
            if not isinstance(decision, OrderApproved):
                continue  # a denied intent is never sent
            intent = decision.intent
            order = Order.from_intent(
                intent, venue=intent.venue or self.default_venue, created_ms=now_ms
            )
            try:
                changes.append(self.oms.add(order))
            except ValueError as exc:  # a client order id used twice: never send it again
                LOGGER.error("order refused: %s", exc)
                outcomes.append(_rejected(order, str(exc), self.context))
                self.metrics.rejected(order.venue, "duplicate")
                continue
            venue = self.venues.get(order.venue)
            cause, reason = self.refusal(order, venue)
            if venue is None or reason:
                changes.append(self._refuse(order, cause, reason, outcomes))
            else:
                queued.append((venue, Pending(order, received)))
        # NEW is published before the order can be sent, refusals with their outcomes.
        await self.context.bus.publish_together(
            ((ORDER_UPDATES, changes), (ORDER_OUTCOMES, outcomes))
        )
        for venue, pending in queued:
            try:
                venue.submits.send_nowait(pending)
            except trio.WouldBlock:  # the venue is behind: the risk component waits too
                await venue.submits.send(pending)

    def refusal(self, order: Order, venue: RunningVenue | None) -> tuple[str, str]:
        """Why ``order`` must not be sent now, as (metric cause, reason); ("", "") if it may."""
        if self.standby:  # before the venue: a standby runs none
            return "standby", self.standby
        if trio.current_time() >= self.lease_until:
            return "standby", "the leader lease ran out"
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

    async def refuse_waiting(self, venue: RunningVenue, cause: str, reason: str) -> None:
        """Refuse every order waiting in ``venue``'s queue (it will not be sent)."""
        changes: list[OrderStatusChanged] = []
        outcomes: list[OrderRejected] = []
        for pending in take_waiting(venue.waiting):
            state = self.oms.get(pending.order.client_order_id)
            if state is not None and state.status is OrderStatus.NEW:
                changes.append(self._refuse(pending.order, cause, reason, outcomes))
        await self.context.bus.publish_together(
            ((ORDER_UPDATES, changes), (ORDER_OUTCOMES, outcomes))
        )

    async def submit_worker(self, venue: RunningVenue) -> None:
        """Send what waits in ``venue``'s queue, a batch at a time, until it closes."""
        batch_size = venue.capabilities.max_batch
        async for first in venue.waiting:
            batch = [first]
            if batch_size > 1:
                batch += take_waiting(venue.waiting, batch_size - 1)
            await self.submit(venue, batch)

    async def submit(self, venue: RunningVenue, batch: Sequence[Pending]) -> None:
        """Submit one batch: checks, budget, SUBMITTING, the request, the answers."""
        ready: list[Pending] = []
        changes: list[OrderStatusChanged] = []
        outcomes: list[OrderRejected] = []
        for pending in batch:  # the kill switch may have triggered while it waited
            state = self.oms.get(pending.order.client_order_id)
            if state is None or state.status is not OrderStatus.NEW:
                continue  # cancelled (refused) while it waited: never sent
            cause, reason = self.refusal(pending.order, venue)
            if reason:
                changes.append(self._refuse(pending.order, cause, reason, outcomes))
            else:
                ready.append(pending)
        if ready:
            try:
                await venue.submit_limiter.acquire(len(ready))
            except RateLimitedError as exc:
                for pending in ready:
                    changes.append(self._refuse(pending.order, "rate_limited", str(exc), outcomes))
                ready = []
            else:  # the wait for the budget may have seen the kill switch trigger
                ready = self._still_allowed(venue, ready, changes, outcomes)
        if ready:
            try:
                await venue.adapter.prepare([p.order for p in ready])
            except VenueError as exc:  # nothing was sent
                for pending in ready:
                    changes.append(self._refuse(pending.order, "venue", exc.reason, outcomes))
                ready = []
            else:  # preparing took time: the lease may have run out meanwhile
                ready = self._still_allowed(venue, ready, changes, outcomes)
        for p in ready:
            venue_id = venue.adapter.order_id_for(p.order)
            changes.append(self.oms.submitting(p.order.client_order_id, venue_id))
        # SUBMITTING is published before the request goes out.
        await self.context.bus.publish_together(
            ((ORDER_UPDATES, changes), (ORDER_OUTCOMES, outcomes))
        )
        if not ready:
            return
        acks = await self._send(venue, [p.order for p in ready])
        await self.answered(venue, ready, acks, trio.current_time())

    def _still_allowed(
        self,
        venue: RunningVenue,
        batch: list[Pending],
        changes: list[OrderStatusChanged],
        outcomes: list[OrderRejected],
    ) -> list[Pending]:
        """The orders of ``batch`` that may still be sent; the others refused."""
        allowed: list[Pending] = []
        for pending in batch:
            cause, reason = self.refusal(pending.order, venue)
            if reason:
                changes.append(self._refuse(pending.order, cause, reason, outcomes))
            else:
                allowed.append(pending)
        return allowed

    async def _send(
        self, venue: RunningVenue, orders: list[Order]
    ) -> list[OrderAck | str | OrderOutcomeUnknownError]:
        """The venue's answer to each order, or why its outcome is unknown."""
        adapter = venue.adapter
        answers: list[OrderAck | str | OrderOutcomeUnknownError] | None = None
        with trio.move_on_after(self.config.submit_timeout_s):
            try:
                if len(orders) == 1:
                    answers = [await adapter.submit(orders[0])]
                else:
                    answers = list(await adapter.submit_batch(orders))
            except OrderOutcomeUnknownError as exc:
                answers = [exc] * len(orders)
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
        self,
        venue: RunningVenue,
        sent: Sequence[Pending],
        acks: Sequence[OrderAck | str | OrderOutcomeUnknownError],
        now: float,
    ) -> None:
        """Apply the venue's answer to each order sent (or why its outcome is unknown)."""
        oms = self.oms
        changes: list[OrderStatusChanged] = []
        outcomes: list[OrderAccepted | OrderRejected] = []
        for pending, ack in zip(sent, acks, strict=True):
            order = pending.order
            if not isinstance(ack, OrderAck):
                state = oms.get(order.client_order_id)
                venue_id = state.venue_order_id if state is not None else ""
                reason = ack if isinstance(ack, str) else ack.reason
                if isinstance(ack, OrderOutcomeUnknownError) and len(sent) == 1:
                    venue_id = venue_id or ack.venue_order_id  # the adapter knew it after all
                LOGGER.warning("order %s: outcome UNKNOWN (%s)", order.client_order_id, reason)
                changes.extend(oms.outcome_unknown(order.client_order_id, reason, venue_id))
                continue
            changes.extend(oms.acknowledged(ack))
            self.metrics.acknowledged(order, (now - pending.since) * 1000, ack.accepted)
            if ack.accepted:
                outcomes.append(
                    OrderAccepted(
                        client_order_id=order.client_order_id,
                        order_id=ack.venue_order_id,
                        market_id=order.market_id,
                        token_id=order.token_id,
                        timestamp_ms=ack.timestamp_ms or self.context.now_ms(),
                    )
                )
            else:
                self.metrics.rejected(venue.name, "venue")
                outcomes.append(_rejected(order, ack.reason, self.context, ack.venue_order_id))
        # The order's new state first, then the venue's answer, in one scheduling round.
        await self.context.bus.publish_together(
            ((ORDER_UPDATES, changes), (ORDER_OUTCOMES, outcomes))
        )
        if self.cancel_after_ack and self.after_ack is not None:
            for pending in sent:
                if pending.order.client_order_id in self.cancel_after_ack:
                    await self.after_ack(pending.order.client_order_id)

    # -- the venues' own events ----------------------------------------------------------

    async def on_venue_events(self, venue: str, events: Sequence[VenueEvent]) -> None:
        """Order updates and fills a venue reported, in order."""
        oms, metrics = self.oms, self.metrics
        changes: list[OrderStatusChanged] = []
        fills: list[Fill] = []
        for event in events:
            if isinstance(event, Fill):
                result = oms.on_fill(venue, event)
                changes.extend(result.changes)
                if result.fill is not None:
                    if result.verdict is not FillVerdict.REVERSED:
                        metrics.filled(venue, result.fill)
                    fills.append(result.fill)  # a reversal too: positions undo the trade
            else:
                found = oms.on_update(venue, event)
                metrics.canceled(venue, sum(c.status is OrderStatus.CANCELED for c in found))
                changes.extend(found)
        # The order's new filled size first, then the fill.
        await self.context.bus.publish_together(((ORDER_UPDATES, changes), (FILLS, fills)))


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
