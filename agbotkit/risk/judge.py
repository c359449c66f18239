"""The judge: answers each order intent, after everything published before it.

An intent must be judged on the books as they are when it is published: a fill, an order
outcome or a kill command published before it must count in its decision (otherwise a
position limit can be breached by the fill the judge had not seen yet). The inputs come on
separate topics, each consumed by its own task, and nothing orders those tasks: the one
woken for an intent may run before the one woken for the fill published just before it.

So the judge reads ONE ordered stream: before judging an intent it catches up with every
:class:`Feed`, applying what is already waiting in each subscription without waiting
(``receive_nowait``), in the same step as the judgment. Why that is sound:

* ``Bus.publish`` and ``publish_nowait`` put a message in every subscription's buffer during
  the call, so a fill published before an intent is buffered before the intent is;
* a buffered fill (``block``: never dropped) leaves its buffer only through its feed's task,
  which applies it in the same step as it takes it (no checkpoint between the two), or
  through this catch-up;
* so when the judge takes the intent, every fill published before it is either applied
  already or still buffered, and then applied now. A publisher still waiting for room in a
  full ``block`` buffer has not published yet; the catch-up makes room and takes its
  message too.

The feeds are caught up with in the order given (what a market is, its mid, the fills, its
resolution, then the kill switch's inputs): the order across topics is unknown, and that one
builds each change on the ones it depends on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import attrs
import trio

from agbotkit.abc import ComponentContext
from agbotkit.bus.subscription import Subscription
from agbotkit.model.metrics import MetricType
from agbotkit.model.orders import OrderIntent
from agbotkit.model.risk import OrderApproved, OrderDecision, OrderDenied
from agbotkit.risk.engine import RiskEngine
from agbotkit.risk.portfolio import Portfolio
from agbotkit.toolkit.tasks import take_waiting
from agbotkit.topics import ORDER_DECISIONS

__all__ = ["METRIC_DECISION", "Feed", "Judge"]

T = TypeVar("T")

#: 1 allowed, 0 denied; labels ``policy`` (the denying one, ``all`` when allowed), ``market_id``.
METRIC_DECISION = "polymarket.risk.decision"


@attrs.frozen
class Feed(Generic[T]):
    """A subscription the judge catches up with, and what applies its messages.

    Attributes:
        subscription: the subscription (its own task reads it too, between intents).
        handle: applies one message, synchronously (the portfolio's or the keeper's).
    """

    subscription: Subscription[T]
    handle: Callable[[T], None]

    def catch_up(self) -> int:
        """Apply every message waiting now, without waiting; how many there were."""
        waiting = take_waiting(self.subscription)
        for message in waiting:
            self.handle(message)
        return len(waiting)


class Judge:
    """Decides on order intents against the portfolio, in publishing order (see the module).

    Args:
        engine: the risk engine.
        portfolio: the books intents are judged against.
        context: the component's context (its name, clock, logger, metrics and bus).
        feeds: every input that must count in the decision on an intent published after
            it, in the order they are caught up with.
    """

    def __init__(
        self,
        engine: RiskEngine,
        portfolio: Portfolio,
        context: ComponentContext,
        feeds: Sequence[Feed[Any]] = (),
    ) -> None:
        self._engine = engine
        self._portfolio = portfolio
        self._context = context
        self._log = context.logger
        self._feeds = tuple(feeds)

    def catch_up(self) -> None:
        """Apply everything the feeds hold now."""
        for feed in self._feeds:
            feed.catch_up()

    def decide(self, intent: OrderIntent) -> OrderDecision:
        """The decision event for ``intent``, after catching up (and its metric samples)."""
        self.catch_up()
        now = self._context.now_ms()
        decision = self._engine.evaluate(self._portfolio.risk_context(intent, now))
        market, name = intent.market_id, self._context.name
        if decision.allowed:
            self._gauge(1.0, "all", market)
            return OrderApproved(intent, timestamp_ms=now, component=name)
        for violation in decision.violated_policies:
            self._gauge(0.0, violation.policy, market)
        self._log.info(
            "denied %s %s %s %s @ %s: %s",
            intent.client_order_id or "order",
            intent.side,
            intent.size,
            intent.token_id[:10],
            intent.price,
            "; ".join(decision.reasons),
        )
        return OrderDenied.from_decision(intent, decision, timestamp_ms=now, component=name)

    async def run(self, intents: Subscription[OrderIntent]) -> None:
        """Answer every intent on ``ORDER_DECISIONS``, in order, until the bus closes.

        The intents waiting together are judged one after the other (each after catching
        up) and their decisions published together: one scheduling round per burst.
        """
        bus = self._context.bus
        while True:
            try:
                batch = await intents.receive_batch()
            except (trio.EndOfChannel, trio.ClosedResourceError):
                return
            await bus.publish_many(ORDER_DECISIONS, [self.decide(intent) for intent in batch])

    def _gauge(self, value: float, policy: str, market: str) -> None:
        labels = {"policy": policy, "market_id": market}
        self._context.metric(METRIC_DECISION, value, MetricType.GAUGE, labels)
