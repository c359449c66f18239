"""The nursery supervisor: start in ``needs`` order, restart, stop in reverse order.

The supervisor is the one place that decides what a component's failure means:

* a component that does not report ready within its start timeout, or fails before, stops
  the start of the stack (:class:`ComponentStartError`);
* a failure with restart policy ``on-failure`` restarts it after a jittered backoff until its
  budget is spent (:class:`RestartLimitError`, which stops the stack);
* with policy ``never``, a ``critical`` component stops the stack
  (:class:`ComponentFailedError`); any other stays down, reported as failed.

A stop (first SIGINT/SIGTERM, :meth:`Supervisor.request_stop`, or every component having
finished) cancels components one by one in reverse start order within the grace deadline;
a second signal (or :meth:`Supervisor.force_stop`) cancels everything at once.
"""

from __future__ import annotations

import gc
import logging
import random
import signal
from collections.abc import Callable
from typing import Any

import attrs
import trio

from agbotkit.abc import Component, ComponentContext
from agbotkit.bus.bus import Bus
from agbotkit.errors import (
    ComponentFailedError,
    ComponentStartError,
    ForcedStopError,
    RestartLimitError,
    ShutdownTimeoutError,
)
from agbotkit.model.components import ComponentState, ComponentStateChanged
from agbotkit.model.metrics import MetricType
from agbotkit.supervisor.plan import PlannedComponent, StackPlan
from agbotkit.supervisor.restart import RestartBudget
from agbotkit.toolkit.clock import wall_clock_ms
from agbotkit.toolkit.ratelimit import RateLimits
from agbotkit.topics import COMPONENT_STATES

__all__ = ["Supervisor"]

LOGGER = logging.getLogger(__name__)

#: How often every component's ``agbotkit.component.*`` metrics are published again.
METRICS_INTERVAL_S = 1.0


@attrs.define
class _Slot:
    """The supervisor's mutable record of one component."""

    planned: PlannedComponent
    budget: RestartBudget
    state: ComponentState = ComponentState.STARTING
    scope: trio.CancelScope = attrs.field(factory=trio.CancelScope)
    done: trio.Event = attrs.field(factory=trio.Event)
    context: ComponentContext | None = None
    ever_ready: bool = False
    # What the component's current life reported it cannot do (report_degraded).
    degraded: str = ""


class Supervisor:
    """Runs a :class:`StackPlan` under one nursery.

    Attributes:
        bus: the stack's bus (closed when the supervisor returns).
    """

    def __init__(
        self,
        plan: StackPlan,
        *,
        bus: Bus | None = None,
        handle_signals: bool = False,
        freeze_gc: bool = False,
        rng: random.Random | None = None,
        now_ms: Callable[[], int] = wall_clock_ms,
    ) -> None:
        self.plan = plan
        self.bus = bus or Bus()
        self._handle_signals = handle_signals
        self._freeze_gc = freeze_gc
        self._rng = rng or random.Random()
        self._now_ms = now_ms
        self._slots: list[_Slot] = []
        self._stop = trio.Event()
        self._fatal: Exception | None = None
        self._forced = False
        self._stack_scope: trio.CancelScope | None = None
        self._metrics = ComponentContext("supervisor", self.bus, plan.stack_dir, now_ms)
        self._rate_limits = RateLimits()  # one set of budgets for every component

    @property
    def states(self) -> dict[str, ComponentState]:
        """Each started component's current state, by name."""
        return {slot.planned.name: slot.state for slot in self._slots}

    @property
    def ready(self) -> bool:
        """True when every component of the plan is started and ready."""
        return len(self._slots) == len(self.plan.components) and all(
            slot.state is ComponentState.READY for slot in self._slots
        )

    def request_stop(self) -> None:
        """Stop gracefully: reverse start order, within the grace deadline."""
        self._stop.set()

    def force_stop(self) -> None:
        """Stop at once: cancel every component now."""
        self._forced = True
        self._stop.set()
        self._cancel_drains()
        if self._stack_scope is not None:
            self._stack_scope.cancel()

    def _cancel_drains(self) -> None:
        for slot in self._slots:
            if slot.context is not None:
                slot.context.cancel_drains()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Start every component, report started, run until stopped.

        Raises:
            ExceptionGroup: of :class:`ComponentStartError`, :class:`ComponentFailedError` or
                :class:`RestartLimitError` when the stack stopped because of a component.
            ForcedStopError: a second signal (or :meth:`force_stop`) cut the stop short.
        """
        try:
            async with trio.open_nursery() as nursery:
                self._stack_scope = nursery.cancel_scope
                if self._handle_signals:
                    await nursery.start(self._watch_signals)
                nursery.start_soon(self._publish_states_periodically)
                with trio.CancelScope() as startup:
                    nursery.start_soon(self._cancel_on_stop, startup)
                    for planned in self.plan.components:
                        if self._stop.is_set():
                            break
                        await self._start(nursery, planned)
                if not self._stop.is_set():
                    LOGGER.info(
                        "stack %r ready: %d components",
                        self.plan.stack.settings.name,
                        len(self._slots),
                    )
                    if self._freeze_gc:
                        # Process-wide, so only for the process's owner (`agbotkit run`).
                        gc.freeze()
                    task_status.started()
                await self._stop.wait()
                await self._stop_in_reverse_order()
                nursery.cancel_scope.cancel()
                if self._fatal is not None:
                    raise self._fatal
        finally:
            self.bus.close()
        if self._forced:
            raise ForcedStopError(
                "stopped at once by a second signal, without waiting for components"
            )

    async def _start(self, nursery: trio.Nursery, planned: PlannedComponent) -> None:
        slot = _Slot(planned, RestartBudget(planned.spec.restart, self._rng))
        self._slots.append(slot)
        try:
            await nursery.start(self._supervise, slot)
        except* ComponentStartError as group:
            # Stop what already runs, gracefully, then report why the stack did not start.
            self._fail(group.exceptions[0])

    async def _cancel_on_stop(self, scope: trio.CancelScope) -> None:
        await self._stop.wait()
        scope.cancel()

    async def _supervise(self, slot: _Slot, *, task_status: trio.TaskStatus[None]) -> None:
        name = slot.planned.name
        try:
            with slot.scope:
                while True:
                    try:
                        await self._run_once(slot, None if slot.ever_ready else task_status)
                    except Exception as exc:  # Cancelled is a BaseException: it passes
                        if not slot.ever_ready:
                            self._set_state(slot, ComponentState.FAILED, _describe(exc))
                            raise _as_start_error(name, exc) from exc
                        if not await self._recover(slot, exc):
                            return
                        continue
                    self._set_state(slot, ComponentState.STOPPED, "finished by itself")
                    return
        finally:
            if slot.state not in (ComponentState.FAILED, ComponentState.STOPPED):
                self._set_state(slot, ComponentState.STOPPED)
            slot.done.set()
            if all(s.done.is_set() for s in self._slots) and len(self._slots) == len(
                self.plan.components
            ):
                self._stop.set()  # nothing left running: the stack is finished

    async def _run_once(self, slot: _Slot, task_status: trio.TaskStatus[None] | None) -> None:
        """One life of the component: construct, start (bounded), run to the end."""
        planned = slot.planned
        self._set_state(slot, ComponentState.STARTING)
        slot.degraded = ""

        def on_degraded(problem: str) -> None:
            if slot.context is context:  # not a late word from an earlier life
                self._set_degraded(slot, problem)

        context = ComponentContext(
            planned.name,
            self.bus,
            self.plan.stack_dir,
            self._now_ms,
            self.plan.stack.settings.name,
            on_degraded=on_degraded,
            rate_limits=self._rate_limits,
        )
        slot.context = context
        component: Component[Any] = planned.component_class(planned.config, context)
        async with trio.open_nursery() as nursery:
            try:
                with trio.fail_after(planned.start_timeout_s):
                    await nursery.start(component.run)
            except trio.TooSlowError:
                raise ComponentStartError(
                    planned.name, f"did not report ready within {planned.start_timeout_s:g} s"
                ) from None
            self._set_state(slot, ComponentState.READY)
            if task_status is not None:
                slot.ever_ready = True
                task_status.started()

    async def _recover(self, slot: _Slot, exc: Exception) -> bool:
        """After a failure: wait and return True to restart, or False to stay down."""
        planned = slot.planned
        reason = _describe(exc)
        if planned.spec.restart.policy == "on-failure":
            delay = slot.budget.next_delay(trio.current_time())
            if delay is None:
                self._set_state(slot, ComponentState.FAILED, reason)
                restart = planned.spec.restart
                limit = RestartLimitError(planned.name, restart.max_restarts, restart.window_s)
                self._fail(limit, exc)
                return False
            LOGGER.warning(
                "component %r failed (%s); restart %d in %.2f s",
                planned.name,
                reason,
                slot.budget.total,
                delay,
            )
            self._set_state(slot, ComponentState.RESTARTING, reason)
            await trio.sleep(delay)
            return True
        self._set_state(slot, ComponentState.FAILED, reason)
        if planned.spec.critical:
            self._fail(ComponentFailedError(planned.name, reason), exc)
        else:
            LOGGER.error(
                "component %r failed and stays down (restart: never): %s", planned.name, reason
            )
        return False

    def _fail(self, error: Exception, cause: Exception | None = None) -> None:
        if cause is not None:
            error.__cause__ = cause
        if self._fatal is None:
            LOGGER.error("%s; stopping the stack", error)
            self._fatal = error
        self._stop.set()

    async def _stop_in_reverse_order(self) -> None:
        grace = self.plan.stack.settings.shutdown_grace_s
        with trio.move_on_after(grace) as grace_scope:
            for slot in reversed(self._slots):
                if not slot.done.is_set():
                    self._set_state(slot, ComponentState.STOPPING)
                    slot.scope.cancel()
                    await slot.done.wait()
        if grace_scope.cancelled_caught:
            late = [s.planned.name for s in self._slots if not s.done.is_set()]
            self._fail(ShutdownTimeoutError(late, grace))
            self._cancel_drains()
            for slot in self._slots:  # their drains are cancelled: they end now
                await slot.done.wait()

    async def _publish_states_periodically(self) -> None:
        # Metrics are not retained: a consumer that starts later (the dashboard) learns
        # every component's state within a second.
        while True:
            await trio.sleep(METRICS_INTERVAL_S)
            for slot in self._slots:
                self._publish_metrics(slot)

    async def _watch_signals(self, *, task_status: trio.TaskStatus[None]) -> None:
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            task_status.started()
            count = 0
            async for signum in signals:
                count += 1
                if count == 1:
                    LOGGER.info(
                        "%s received: stopping (send it again to stop at once)",
                        signal.Signals(signum).name,
                    )
                    self.request_stop()
                else:
                    LOGGER.warning("second signal: stopping at once")
                    self.force_stop()
                    return

    def _set_degraded(self, slot: _Slot, problem: str) -> None:
        if problem == slot.degraded:
            return
        slot.degraded = problem
        if problem:
            LOGGER.warning("component %r degraded: %s", slot.planned.name, problem)
        else:
            LOGGER.info("component %r no longer degraded", slot.planned.name)
        if slot.state is ComponentState.READY:
            self._publish_state(slot, "")

    def _set_state(self, slot: _Slot, state: ComponentState, reason: str = "") -> None:
        if slot.state is state and state is not ComponentState.STARTING:
            return
        slot.state = state
        self._publish_state(slot, reason)

    def _publish_state(self, slot: _Slot, reason: str) -> None:
        state = slot.state
        planned = slot.planned
        if self.bus.closed:
            return
        degraded = slot.degraded if state is ComponentState.READY else ""
        event = ComponentStateChanged(
            planned.name,
            planned.spec.kind,
            state,
            self._now_ms(),
            slot.budget.total,
            reason,
            degraded,
        )
        self.bus.publish_retained(COMPONENT_STATES, planned.name, event)
        # A component that just became ready may be a metrics consumer (the dashboard)
        # that subscribed before saying so: give it everyone's state now.
        for each in self._slots if state is ComponentState.READY else (slot,):
            self._publish_metrics(each)

    def _publish_metrics(self, slot: _Slot) -> None:
        if self.bus.closed:
            return
        labels = {"component": slot.planned.name, "kind": slot.planned.spec.kind}
        up = 1.0 if slot.state is ComponentState.READY else 0.0
        self._metrics.metric("agbotkit.component.up", up, MetricType.GAUGE, labels)
        degraded = 1.0 if up and slot.degraded else 0.0
        self._metrics.metric("agbotkit.component.degraded", degraded, MetricType.GAUGE, labels)
        self._metrics.metric(
            "agbotkit.component.restarts", float(slot.budget.total), MetricType.COUNTER, labels
        )


def _describe(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    if isinstance(exc, ComponentStartError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _as_start_error(name: str, exc: BaseException) -> ComponentStartError:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    if isinstance(exc, ComponentStartError):
        return exc
    return ComponentStartError(name, f"failed before it was ready: {type(exc).__name__}: {exc}")
