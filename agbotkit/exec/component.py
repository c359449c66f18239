"""``execution``: carries the risk component's approved orders to their venues.

The component runs the venue adapters its ``venues`` option names (entry-point group
``agbotkit.venues``), and:

* takes :class:`~agbotkit.model.risk.OrderApproved` from ``ORDER_DECISIONS`` (lossless):
  the risk component stays the only way in, and a denied intent is never sent;
* publishes every order's status changes on ``ORDER_UPDATES``, each venue answer on
  ``ORDER_OUTCOMES`` and every distinct fill on ``FILLS`` (which the risk component's
  positions and the storage component take);
* carries out ``CANCEL_REQUESTS`` (one order, or all of a venue or market);
* cancels every open order on every venue when a kill switch on ``RISK_STATE`` triggers,
  and refuses new orders until it is reset;
* at start, reconciles with each venue; while running, looks up orders whose submit
  outcome was lost; at a stop, cancels everything (``cancel_on_stop``) and publishes the
  last known state of what is still open;
* with ``leader_lease``, trades only while it holds the lease, a standby otherwise
  (:mod:`agbotkit.exec.lease`).

The parts: :mod:`~agbotkit.exec.oms` (the order manager, pure), :mod:`~agbotkit.exec.gateway`
(submits and venue events), :mod:`~agbotkit.exec.cancels`, :mod:`~agbotkit.exec.upkeep`,
:mod:`~agbotkit.exec.metrics`. This module only wires them together.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterable, Awaitable, Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TypeVar

import trio

from agbotkit.abc import Component, ComponentContext, Problem, VenueContext
from agbotkit.bus.subscription import Subscription
from agbotkit.bus.topic import Overflow
from agbotkit.exec.cancels import Cancels
from agbotkit.exec.config import (
    LIVE_TRADING_ENV,
    ExecutionConfig,
    VenuePlan,
    live_trading_enabled,
    plan_venues,
    venues_or_raise,
)
from agbotkit.exec.gateway import Gateway
from agbotkit.exec.lease.leader import Leader
from agbotkit.exec.metrics import ExecMetrics
from agbotkit.exec.modes import log_trading_modes, trading_modes
from agbotkit.exec.oms import OrderManager
from agbotkit.exec.upkeep import Upkeep
from agbotkit.exec.venue import Pending, RunningVenue
from agbotkit.model.venues import VenueEvent
from agbotkit.toolkit.ratelimit import RateLimits
from agbotkit.toolkit.tasks import run_every, take_waiting
from agbotkit.topics import CANCEL_REQUESTS, ORDER_DECISIONS, RISK_LIMITS, RISK_STATE

__all__ = ["Execution", "ExecutionConfig"]

T = TypeVar("T")

#: Venue events that may wait before a venue's report() waits.
EVENT_BUFFER = 10_000


class Execution(Component[ExecutionConfig]):
    """Routes approved orders to venues and tracks them; see the module docstring."""

    Config = ExecutionConfig

    @classmethod
    def preflight(cls, config: ExecutionConfig, stack_dir: Path) -> Sequence[Problem]:
        """Every venue must be installed and its options valid."""
        return plan_venues(config, stack_dir)[1]

    @classmethod
    def describe(cls, config: ExecutionConfig, stack_dir: Path) -> Sequence[str]:
        """Which venues would trade real money, and why each would or would not."""
        return [mode.text for mode in trading_modes(config, plan_venues(config, stack_dir)[0])]

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        config, context = self.config, self.context
        log = context.logger
        plans = venues_or_raise(config, context.stack_dir, self.name)
        oms = OrderManager(component=self.name, now_ms=context.now_ms)
        metrics = ExecMetrics(context, oms)
        gateway = Gateway(config, context, oms, metrics)
        cancels = Cancels(gateway)
        gateway.after_ack = cancels.after_ack
        upkeep = Upkeep(gateway, cancels)
        live = live_trading_enabled(config)
        if config.live_trading and not live:
            log.warning(
                "live_trading is on in the stack but %s is not 1: dry run", LIVE_TRADING_ENV
            )
        leader = self._leader(gateway, cancels, upkeep, plans, live)
        bus = context.bus
        block = Overflow.BLOCK
        with (
            bus.subscribe(
                ORDER_DECISIONS, buffer=config.decision_buffer, overflow=block
            ) as decisions,
            bus.subscribe(CANCEL_REQUESTS, buffer=1024, overflow=block) as cancel_requests,
            # Retained: a kill switch already triggered is seen before the first order.
            bus.subscribe(RISK_STATE, buffer=10_000) as risk_state,
        ):
            try:
                async with trio.open_nursery() as nursery:
                    if leader is None:
                        for plan in plans:
                            venue = await self._start_venue(nursery, plan, gateway, live)
                            gateway.venues[plan.name] = venue
                    for change in take_waiting(risk_state):
                        await cancels.on_kill_switch(change)
                    if leader is None:
                        for venue in gateway.venues.values():
                            await upkeep.reconcile(venue)
                        for venue in gateway.venues.values():
                            for _ in range(config.submit_workers):
                                nursery.start_soon(gateway.submit_worker, venue)
                    else:
                        gateway.standby = leader.standby_reason
                        nursery.start_soon(leader.run)
                    done = nursery.cancel_scope
                    nursery.start_soon(_batches, decisions, gateway.on_decisions, done)
                    nursery.start_soon(_each, cancel_requests, cancels.on_request, done)
                    nursery.start_soon(_each, risk_state, cancels.on_kill_switch, done)
                    nursery.start_soon(_every, config.resolve_interval_s, upkeep.resolve_once)
                    publish_metrics = partial(
                        _publish_metrics, metrics, gateway, leader, context.rate_limits
                    )
                    nursery.start_soon(run_every, config.metrics_interval_s, publish_metrics)
                    nursery.start_soon(run_every, 60.0, partial(_forget, oms, config, context))
                    log_trading_modes(trading_modes(config, plans), bus.retained(RISK_LIMITS), log)
                    task_status.started()
            finally:
                release_s = 0.0 if leader is None else leader.lease.config.lease_s
                with context.draining(config.cancel_timeout_s + 1 + release_s):
                    await upkeep.stop()
                    for venue in gateway.venues.values():
                        await venue.adapter.aclose()
                    if leader is not None:  # trading has stopped: a standby may take over
                        await leader.release()

    def _leader(
        self, gateway: Gateway, cancels: Cancels, upkeep: Upkeep, plans: list[VenuePlan], live: bool
    ) -> Leader | None:
        """The leader lease's runner, if the options ask for one."""
        lease_config = self.config.leader_lease
        if lease_config is None:
            return None
        # psycopg is an optional dependency: imported only when a lease is configured.
        from agbotkit.exec.lease.lease import LeaderLease

        lease = LeaderLease(
            lease_config,
            self.context.stack_dir,
            f"components.{self.name}.leader_lease",
            holder=f"{socket.gethostname()}:{os.getpid()}:{self.name}",
        )

        async def start_venues(nursery: trio.Nursery) -> None:
            for plan in plans:
                gateway.venues[plan.name] = await self._start_venue(nursery, plan, gateway, live)

        return Leader(
            lease, gateway, cancels, upkeep, self.context, start_venues, self.config.submit_workers
        )

    async def _start_venue(
        self, nursery: trio.Nursery, plan: VenuePlan, gateway: Gateway, live: bool
    ) -> RunningVenue:
        config, context = self.config, self.context
        events_in, events_out = trio.open_memory_channel[VenueEvent](EVENT_BUFFER)
        adapter = plan.adapter(plan.config, VenueContext(plan.name, context, events_in))
        submits, waiting = trio.open_memory_channel[Pending](config.decision_buffer)
        limits = context.rate_limits
        venue = RunningVenue(
            name=plan.name,
            adapter=adapter,
            dry_run=adapter.capabilities.real_money and not live,
            submits=submits,
            waiting=waiting,
            submit_limiter=limits.limiter(
                plan.name, "submit", config.submit_windows, max_wait_s=config.rate_max_wait_s
            ),
            cancel_limiter=limits.limiter(
                plan.name, "cancel", config.cancel_windows, max_wait_s=config.rate_max_wait_s
            ),
        )
        await nursery.start(adapter.run)
        nursery.start_soon(_venue_events, gateway, plan.name, events_out)
        return venue


async def _each(
    messages: AsyncIterable[T], handle: Callable[[T], Awaitable[None]], done: trio.CancelScope
) -> None:
    """Await ``handle`` for every message until the channel closes, then stop the rest."""
    async for message in messages:
        await handle(message)
    done.cancel()


async def _batches(
    messages: Subscription[T], handle: Callable[[list[T]], Awaitable[None]], done: trio.CancelScope
) -> None:
    """Await ``handle`` for every batch of waiting messages until the channel closes."""
    while True:
        try:
            batch = await messages.receive_batch()
        except (trio.EndOfChannel, trio.ClosedResourceError):
            break
        await handle(batch)
    done.cancel()


async def _every(interval_s: float, action: Callable[[], Awaitable[None]]) -> None:
    while True:
        await trio.sleep(interval_s)
        await action()


async def _venue_events(
    gateway: Gateway, venue: str, events: trio.MemoryReceiveChannel[VenueEvent]
) -> None:
    async for event in events:
        await gateway.on_venue_events(venue, [event, *take_waiting(events)])


def _publish_metrics(
    metrics: ExecMetrics, gateway: Gateway, leader: Leader | None, limits: RateLimits
) -> None:
    metrics.publish(gateway.venues, limits)
    if leader is not None:
        leader.publish()


def _forget(oms: OrderManager, config: ExecutionConfig, context: ComponentContext) -> None:
    oms.forget_closed(context.now_ms() - int(config.forget_after_s * 1000))
