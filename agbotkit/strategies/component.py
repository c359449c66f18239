"""``strategy``: runs one strategy instance live or on paper.

The stack entry names a strategy of the ``agbotkit.strategies`` entry-point group and its
parameters, which its own ``Config`` validates (``agbotkit check`` reports a bad one at
its file, line and field, ``components.mm.params.spread``)::

    mm:
      kind: strategy
      strategy: market_maker
      markets: [0xabc..., will-it-rain-tomorrow]   # empty: every market announced
      params: {spread: 0.02, size: 10}
      needs: [clob, risk, execution]

The component reads the bus (books on ``BOOKS``; trades, tick-size changes and
resolutions on ``MARKET_DATA``; market metadata on ``MARKETS``; and, of the strategy's
own orders only, ``FILLS``, ``ORDER_UPDATES``, risk denials on ``ORDER_DECISIONS`` and
venue rejections on ``ORDER_OUTCOMES``), keeps a
:class:`~agbotkit.strategies.context_live.LiveContext` up to date and calls the
strategy's hooks, one at a time, in the order the messages arrived (each subscription
has a task that hands its batches to one consumer, see
:mod:`~agbotkit.strategies.intake`). After each hook, what it queued is
published in order and lossless: intents on ``ORDER_INTENTS`` (the risk component
judges them, the execution component sends the approved ones) and cancels on
``CANCEL_REQUESTS``. The strategy's metrics go out every ``metrics_interval_s``
(:mod:`~agbotkit.strategies.metrics`). On stop, ``on_stop`` is called and, with
``cancel_on_stop``, every open order of the strategy is cancelled.

The market-data component decides which tokens are subscribed (its ``markets``,
``assets`` or ``follow_markets``): this one only chooses among what arrives.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import trio

from agbotkit.abc import Component, Problem
from agbotkit.bus.subscription import BusClosedError
from agbotkit.bus.topic import Overflow
from agbotkit.config.checks import at_least, greater_than
from agbotkit.errors import PluginError
from agbotkit.model.orders import OrderIntent
from agbotkit.strategies.api import Strategy
from agbotkit.strategies.context_live import LiveContext
from agbotkit.strategies.dispatch import Dispatcher
from agbotkit.strategies.intake import Feed, Intake
from agbotkit.strategies.loading import load_strategy, params_or_raise, structure_params
from agbotkit.strategies.timer import Timer
from agbotkit.toolkit.tasks import run_every
from agbotkit.topics import (
    BOOKS,
    CANCEL_REQUESTS,
    FILLS,
    MARKET_DATA,
    MARKETS,
    METRICS,
    ORDER_DECISIONS,
    ORDER_INTENTS,
    ORDER_OUTCOMES,
    ORDER_UPDATES,
)

__all__ = ["StrategyComponent", "StrategyComponentConfig"]


def _optional_positive(_: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None:
        greater_than(0)(_, attribute, value)


@attrs.frozen(kw_only=True)
class StrategyComponentConfig:
    """Options of ``strategy``.

    Attributes:
        strategy: the strategy's entry-point name (group ``agbotkit.strategies``).
        markets: the markets it trades, by condition id (``0x…``) or slug; empty: every
            market announced on ``MARKETS``.
        params: the strategy's parameters, validated by its ``Config``.
        timer_s: call ``on_timer`` this often from the start (the strategy may change it
            with ``context.set_timer``); none: no timer until it sets one.
        cancel_on_stop: cancel the strategy's open orders when it stops.
        venue: the execution venue its orders go to; empty: the execution component's
            default venue.
        metrics_interval_s: how often its metrics are published.
        fee_rate: the taker fee rate for fills that carry no fee (its PnL only).
        buffer: messages per subscription that may wait before publishers wait (books:
            the oldest are dropped instead, only the latest book matters).
        stop_timeout_s: the longest the stop's ``on_stop`` and cancels may take to publish.
    """

    strategy: str
    markets: tuple[str, ...] = ()
    params: dict[str, Any] = attrs.field(factory=dict)
    timer_s: float | None = attrs.field(default=None, validator=_optional_positive)
    cancel_on_stop: bool = True
    venue: str = ""
    metrics_interval_s: float = attrs.field(default=1.0, validator=greater_than(0))
    fee_rate: Decimal = attrs.field(default=Decimal(0), validator=at_least(0))
    buffer: int = attrs.field(default=10_000, validator=at_least(1))
    stop_timeout_s: float = attrs.field(default=5.0, validator=greater_than(0))


class StrategyComponent(Component[StrategyComponentConfig]):
    """Runs one strategy instance against the bus (see the module)."""

    Config = StrategyComponentConfig

    #: The running strategy and its context, once :meth:`run` made them (for inspection).
    strategy: Strategy[Any] | None = None
    live: LiveContext | None = None

    @classmethod
    def preflight(cls, config: StrategyComponentConfig, stack_dir: Path) -> Sequence[Problem]:
        """The strategy must be installed and its parameters valid."""
        try:
            strategy_class = load_strategy(config.strategy)
        except PluginError as exc:
            return [Problem(("strategy",), str(exc))]
        _, problems = structure_params(strategy_class, config.params, base_dir=stack_dir)
        return [Problem(("params", *p.field), p.message) for p in problems]

    @classmethod
    def describe(cls, config: StrategyComponentConfig, stack_dir: Path) -> Sequence[str]:
        """Which strategy runs, on which markets."""
        markets = ", ".join(config.markets) or "every market announced"
        return [f"strategy {config.strategy} on {markets}"]

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        config, context = self.config, self.context
        strategy_class = load_strategy(config.strategy)
        params = params_or_raise(
            strategy_class,
            config.params,
            base_dir=context.stack_dir,
            where=("components", self.name, "params"),
        )
        live = LiveContext(
            self.name,
            params,
            markets=config.markets,
            now_ms=context.now_ms,
            venue=config.venue,
            fee_rate=config.fee_rate,
        )
        strategy = strategy_class(params, live)
        self.strategy, self.live = strategy, live
        dispatcher = Dispatcher(strategy, live)
        bus = context.bus
        block, drop = Overflow.BLOCK, Overflow.DROP_OLDEST
        size = config.buffer
        with (
            # Retained market metadata is replayed at once: room for every market.
            bus.subscribe(MARKETS, buffer=1_000_000, overflow=drop) as markets,
            bus.subscribe(BOOKS, buffer=size, overflow=drop) as books,
            bus.subscribe(MARKET_DATA, buffer=size, overflow=drop) as market_data,
            bus.subscribe(ORDER_DECISIONS, buffer=size, overflow=block) as decisions,
            bus.subscribe(ORDER_OUTCOMES, buffer=size, overflow=block) as outcomes,
            bus.subscribe(FILLS, buffer=size, overflow=block) as fills,
            bus.subscribe(ORDER_UPDATES, buffer=size, overflow=block) as updates,
        ):
            # What later messages depend on first: a market before its data, a tick-size
            # change before the books (they carry the tick size); an order's answers, then
            # its fills (positions) before its status (a FILLED order's position is
            # there), and all of the orders' news before the books a hook quotes on.
            timer_feed = Feed(dispatcher.timer)
            intake = Intake(
                (
                    Feed(dispatcher.market, markets),
                    Feed(dispatcher.market_data, market_data),
                    Feed(dispatcher.decision, decisions),
                    Feed(dispatcher.outcome, outcomes),
                    Feed(dispatcher.fill, fills),
                    Feed(dispatcher.order_update, updates),
                    Feed(dispatcher.book, books),
                    timer_feed,
                ),
                config.buffer,
            )
            # What is already waiting (retained markets) counts before the first hook.
            intake.catch_up()
            async with trio.open_nursery() as nursery:
                done = nursery.cancel_scope
                for index, feed in enumerate(intake.feeds):
                    if feed.subscription is not None:
                        nursery.start_soon(intake.forward, index, done)
                timer = Timer(nursery, intake.sender(timer_feed), context.now_ms)
                publish = partial(self._publish_metrics, live)
                nursery.start_soon(run_every, config.metrics_interval_s, publish)
                try:
                    if config.timer_s is not None:
                        live.set_timer(config.timer_s)
                    dispatcher.start()
                    await self._flush(live, timer)
                    task_status.started()
                    await intake.run(partial(self._flush, live, timer))
                finally:
                    with context.draining(config.stop_timeout_s):
                        await self._stop(dispatcher, live)

    async def _flush(self, live: LiveContext, timer: Timer) -> None:
        """Publish what the hooks queued, in order; follow the timer they asked for."""
        timer.follow(live.timer_interval_s)
        if live.outbox:
            await self.context.bus.publish_together(_batches(live.take_outbox()))

    async def _stop(self, dispatcher: Dispatcher, live: LiveContext) -> None:
        try:
            dispatcher.stop()
        finally:
            if self.config.cancel_on_stop:
                live.cancel_all()
            if live.outbox:
                try:
                    await self.context.bus.publish_together(_batches(live.take_outbox()))
                except BusClosedError:
                    live.logger.warning("the bus closed before the stop's cancels went out")
            self._publish_metrics(live)

    def _publish_metrics(self, live: LiveContext) -> None:
        bus = self.context.bus
        if bus.closed:
            return
        for sample in live.metrics.samples(self.context.now_ms(), live.pnl_by_market()):
            bus.publish_nowait(METRICS, sample)


def _batches(outgoing: list[Any]) -> list[tuple[Any, list[Any]]]:
    """Consecutive messages of one topic grouped, in order (intents and cancels)."""
    batches: list[tuple[Any, list[Any]]] = []
    for message in outgoing:
        topic = ORDER_INTENTS if isinstance(message, OrderIntent) else CANCEL_REQUESTS
        if batches and batches[-1][0] is topic:
            batches[-1][1].append(message)
        else:
            batches.append((topic, [message]))
    return batches
