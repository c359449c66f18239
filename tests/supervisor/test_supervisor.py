"""The supervisor: start order, readiness, restarts, failures, signals, graceful stop."""

from __future__ import annotations

import os
import random
import signal
from typing import Any, ClassVar, TypeVar

import attrs
import pytest
import trio
import trio.testing

from agbotkit.abc import Component
from agbotkit.bus.subscription import Subscription
from agbotkit.errors import (
    ComponentFailedError,
    ComponentStartError,
    ForcedStopError,
    RestartLimitError,
    ShutdownTimeoutError,
)
from agbotkit.model.components import ComponentState
from agbotkit.supervisor.runner import Supervisor
from agbotkit.testing import plan_from_yaml
from agbotkit.topics import COMPONENT_STATES, METRICS

T = TypeVar("T")


@attrs.frozen
class ProbeConfig:
    """Options of the probe component used by these tests."""

    ready_after_s: float = 0.0
    never_ready: bool = False
    fail_times: int = 0  # fail this many lives in a row (after ready), then run normally
    fail_before_ready: bool = False
    fail_after_s: float = 1.0
    drain_s: float = 0.0
    degraded: tuple[str, ...] = ()  # reported one a second once ready ("" = healthy)


class Probe(Component[ProbeConfig]):
    """Records its life in ``Probe.log`` as (time, name, event)."""

    Config = ProbeConfig
    log: ClassVar[list[tuple[float, str, str]]] = []
    lives: ClassVar[dict[str, int]] = {}

    def _record(self, event: str) -> None:
        Probe.log.append((trio.current_time(), self.name, event))

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        life = Probe.lives.get(self.name, 0)
        Probe.lives[self.name] = life + 1
        self._record("start")
        try:
            await trio.sleep(self.config.ready_after_s)
            if self.config.fail_before_ready:
                raise ValueError("broken before ready")
            if self.config.never_ready:
                await trio.sleep_forever()
            task_status.started()
            self._record("ready")
            for problem in self.config.degraded:
                await trio.sleep(1)
                self.context.report_degraded(problem)
            if life < self.config.fail_times:
                await trio.sleep(self.config.fail_after_s)
                raise RuntimeError(f"boom {life + 1}")
            await trio.sleep_forever()
        finally:
            if self.config.drain_s:
                with self.context.draining(self.config.drain_s):
                    await trio.sleep(self.config.drain_s)
            self._record("stop")


@pytest.fixture(autouse=True)
def _reset_probe() -> None:
    Probe.log.clear()
    Probe.lives.clear()


def drain(subscription: Subscription[T]) -> list[T]:
    """Every message buffered in ``subscription`` now."""
    out: list[T] = []
    while True:
        try:
            out.append(subscription.receive_nowait())
        except (trio.WouldBlock, trio.EndOfChannel):
            return out


def make_supervisor(yaml: str, **kwargs: Any) -> Supervisor:
    return Supervisor(plan_from_yaml(yaml, {"probe": Probe}), rng=random.Random(1), **kwargs)


def events(name: str | None = None) -> list[str]:
    return [f"{n}:{e}" for _, n, e in Probe.log if name is None or n == name]


THREE = """
stack: {shutdown_grace_s: 5}
components:
  c: {kind: probe, needs: [b], ready_after_s: 1}
  a: {kind: probe, ready_after_s: 2}
  b: {kind: probe, needs: [a], ready_after_s: 3}
"""


async def test_starts_in_needs_order_each_after_the_previous_is_ready(
    autojump_clock: trio.abc.Clock,
) -> None:
    supervisor = make_supervisor(THREE)
    async with trio.open_nursery() as nursery:
        await nursery.start(supervisor.run)
        assert supervisor.ready
        assert trio.current_time() == pytest.approx(6)  # 2 + 3 + 1, one after the other
        assert events() == ["a:start", "a:ready", "b:start", "b:ready", "c:start", "c:ready"]
        supervisor.request_stop()
    assert events()[6:] == ["c:stop", "b:stop", "a:stop"]  # reverse order
    assert set(supervisor.states.values()) == {ComponentState.STOPPED}


async def test_component_that_never_becomes_ready_is_an_error_naming_it(
    autojump_clock: trio.abc.Clock,
) -> None:
    supervisor = make_supervisor("""
        components:
          first: {kind: probe}
          stuck: {kind: probe, never_ready: true, start_timeout_s: 7}
          never_started: {kind: probe}
    """)
    with pytest.RaisesGroup(
        pytest.RaisesExc(
            ComponentStartError,
            match=r"^component 'stuck' did not report ready "
            r"within 7 s$",
        )
    ):
        await supervisor.run()
    assert trio.current_time() == pytest.approx(7)
    assert events() == ["first:start", "first:ready", "stuck:start", "stuck:stop", "first:stop"]


async def test_start_timeout_not_reached_when_ready_in_time(autojump_clock: trio.abc.Clock) -> None:
    supervisor = make_supervisor(
        "components: {slow: {kind: probe, ready_after_s: 6.9, start_timeout_s: 7}}"
    )
    async with trio.open_nursery() as nursery:
        await nursery.start(supervisor.run)
        assert supervisor.states == {"slow": ComponentState.READY}
        supervisor.request_stop()


async def test_failure_before_ready_stops_the_start(autojump_clock: trio.abc.Clock) -> None:
    supervisor = make_supervisor("components: {bad: {kind: probe, fail_before_ready: true}}")
    with pytest.RaisesGroup(
        pytest.RaisesExc(
            ComponentStartError,
            match="'bad' failed before it was ready: ValueError: broken before ready",
        )
    ):
        await supervisor.run()


async def test_crash_restarts_with_exponential_backoff_and_jitter(
    autojump_clock: trio.abc.Clock,
) -> None:
    supervisor = make_supervisor("""
        components:
          flaky:
            kind: probe
            fail_times: 3
            fail_after_s: 1
            restart: {policy: on-failure, max_restarts: 5, window_s: 600,
                      backoff_initial_s: 2, backoff_max_s: 5}
    """)
    states = supervisor.bus.subscribe(COMPONENT_STATES, buffer=100)
    metrics = supervisor.bus.subscribe(METRICS, buffer=1000)
    async with trio.open_nursery() as nursery:
        await nursery.start(supervisor.run)
        while Probe.lives.get("flaky", 0) < 4:  # noqa: ASYNC110 - polls a log; autojump clock
            await trio.sleep(1)
        await trio.testing.wait_all_tasks_blocked()
        supervisor.request_stop()
    starts = [t for t, _, e in Probe.log if e == "start"]
    failures = [t + 1 for t, _, e in Probe.log if e == "ready"][:3]  # each life fails 1 s in
    delays = [start - failed for failed, start in zip(failures, starts[1:], strict=True)]
    # Ceilings 2, 4, 5 (capped); each delay is jittered into [ceiling / 2, ceiling].
    for delay, ceiling in zip(delays, [2, 4, 5], strict=True):
        assert ceiling / 2 <= delay <= ceiling
    seen = [s.state for s in _drain(states)]
    assert seen.count(ComponentState.RESTARTING) == 3
    assert seen[-1] is ComponentState.STOPPED
    restarts = [m.value for m in _drain(metrics) if m.name == "agbotkit.component.restarts"]
    assert max(restarts) == 3


async def test_restart_budget_exhausted_stops_the_stack(autojump_clock: trio.abc.Clock) -> None:
    supervisor = make_supervisor("""
        components:
          other: {kind: probe}
          doomed:
            kind: probe
            fail_times: 100
            restart: {policy: on-failure, max_restarts: 2, window_s: 60, backoff_initial_s: 1}
    """)
    with pytest.RaisesGroup(
        pytest.RaisesExc(RestartLimitError, match=r"'doomed' failed again after 2 restarts in 60 s")
    ):
        await supervisor.run()
    assert Probe.lives["doomed"] == 3
    assert events("other") == ["other:start", "other:ready", "other:stop"]


async def test_failures_outside_the_window_do_not_count(autojump_clock: trio.abc.Clock) -> None:
    supervisor = make_supervisor("""
        components:
          slowfail:
            kind: probe
            fail_times: 4
            fail_after_s: 100
            restart: {policy: on-failure, max_restarts: 1, window_s: 50, backoff_initial_s: 1}
    """)
    async with trio.open_nursery() as nursery:
        await nursery.start(supervisor.run)
        while Probe.lives.get("slowfail", 0) < 5:  # noqa: ASYNC110 - polls a log; autojump clock
            await trio.sleep(10)
        supervisor.request_stop()
    assert Probe.lives["slowfail"] == 5  # four failures, each alone in its window


async def test_critical_failure_stops_the_whole_stack(autojump_clock: trio.abc.Clock) -> None:
    supervisor = make_supervisor("""
        components:
          feed: {kind: probe}
          risk: {kind: probe, needs: [feed], critical: true, fail_times: 1, fail_after_s: 3}
          view: {kind: probe, needs: [risk]}
    """)
    with pytest.RaisesGroup(
        pytest.RaisesExc(
            ComponentFailedError,
            match=r"^critical component 'risk' failed: RuntimeError: boom 1$",
            check=lambda exc: isinstance(exc.__cause__, BaseExceptionGroup),
        )
    ):
        await supervisor.run()
    assert trio.current_time() == pytest.approx(3)
    stops = [e for e in events() if e.endswith(":stop")]
    assert stops == ["risk:stop", "view:stop", "feed:stop"]


async def test_non_critical_failure_stays_down_and_the_rest_runs(
    autojump_clock: trio.abc.Clock,
) -> None:
    supervisor = make_supervisor("""
        components:
          steady: {kind: probe}
          optional: {kind: probe, fail_times: 1, fail_after_s: 2}
    """)
    async with trio.open_nursery() as nursery:
        await nursery.start(supervisor.run)
        await trio.sleep(10)
        assert supervisor.states == {
            "steady": ComponentState.READY,
            "optional": ComponentState.FAILED,
        }
        assert not supervisor.ready
        supervisor.request_stop()
    assert Probe.lives["optional"] == 1


async def test_a_degraded_component_is_published_ready_but_degraded(
    autojump_clock: trio.abc.Clock,
) -> None:
    supervisor = make_supervisor("""
        components:
          feed: {kind: probe, degraded: ["subscription rejected", "subscription rejected", ""]}
    """)
    bus = supervisor.bus
    with bus.subscribe(COMPONENT_STATES) as states, bus.subscribe(METRICS) as metrics:
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            await trio.sleep(10)
            supervisor.request_stop()
        published = [(e.state.value, e.degraded) for e in drain(states)]
        gauges = [m.value for m in drain(metrics) if m.name == "agbotkit.component.degraded"]
    assert published == [
        ("starting", ""),
        ("ready", ""),
        ("ready", "subscription rejected"),  # once, though reported twice
        ("ready", ""),
        ("stopping", ""),
        ("stopped", ""),
    ]
    assert 1.0 in gauges
    assert gauges[0] == gauges[-1] == 0.0


async def test_sigterm_stops_gracefully_in_reverse_order(autojump_clock: trio.abc.Clock) -> None:
    supervisor = make_supervisor(
        THREE.replace("ready_after_s: 1}", "ready_after_s: 1, drain_s: 2}"), handle_signals=True
    )
    async with trio.open_nursery() as nursery:
        await nursery.start(supervisor.run)
        began = trio.current_time()
        os.kill(os.getpid(), signal.SIGTERM)
    assert trio.current_time() - began == pytest.approx(2)  # c's drain, within the 5 s grace
    assert events()[6:] == ["c:stop", "b:stop", "a:stop"]


async def test_drain_longer_than_grace_is_cut_and_reported(autojump_clock: trio.abc.Clock) -> None:
    supervisor = make_supervisor("""
        stack: {shutdown_grace_s: 3}
        components:
          slowpoke: {kind: probe, drain_s: 60}
          other: {kind: probe}
    """)
    began = 0.0
    # Started in a nursery, so the supervisor's group arrives inside the nursery's group.
    with pytest.RaisesGroup(
        pytest.RaisesGroup(
            pytest.RaisesExc(
                ShutdownTimeoutError,
                match=r"^components 'slowpoke' did not stop within the 3 s grace",
            )
        )
    ):
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            began = trio.current_time()
            supervisor.request_stop()
    assert trio.current_time() - began == pytest.approx(3)
    assert events("slowpoke")[-1] == "slowpoke:stop"


async def test_second_signal_stops_at_once(autojump_clock: trio.abc.Clock) -> None:
    supervisor = make_supervisor(
        """
        stack: {shutdown_grace_s: 30}
        components:
          slowpoke: {kind: probe, drain_s: 60}
    """,
        handle_signals=True,
    )
    began = 0.0
    with pytest.RaisesGroup(pytest.RaisesExc(ForcedStopError, match="second signal")):
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            began = trio.current_time()
            os.kill(os.getpid(), signal.SIGINT)
            await trio.sleep(1)  # the stop is under way, draining
            assert events() == ["slowpoke:start", "slowpoke:ready"]
            os.kill(os.getpid(), signal.SIGINT)
    assert trio.current_time() - began == pytest.approx(1)
    assert events()[-1] == "slowpoke:stop"


async def test_stack_stops_by_itself_when_every_component_finished() -> None:
    @attrs.frozen
    class NoOptions:
        pass

    class OneShot(Component[NoOptions]):
        Config = NoOptions

        async def run(
            self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
        ) -> None:
            task_status.started()

    supervisor = Supervisor(
        plan_from_yaml("components: {once: {kind: oneshot}}", {"oneshot": OneShot})
    )
    await supervisor.run()
    assert supervisor.states == {"once": ComponentState.STOPPED}


def _drain(subscription: Any) -> list[Any]:
    out = []
    while True:
        try:
            out.append(subscription.receive_nowait())
        except (trio.WouldBlock, trio.EndOfChannel, trio.ClosedResourceError):
            return out


@pytest.mark.parametrize("freeze", [True, False])
async def test_freezes_the_gc_once_ready_only_when_asked(freeze: bool) -> None:
    import gc

    gc.unfreeze()
    supervisor = Supervisor(
        plan_from_yaml("components: {a: {kind: probe}}", {"probe": Probe}), freeze_gc=freeze
    )
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            assert (gc.get_freeze_count() > 0) is freeze
            supervisor.request_stop()
    finally:
        gc.unfreeze()  # the test process keeps collecting its garbage
