"""``heartbeat``: a tiny built-in component that proves a stack is alive.

It publishes ``agbotkit.heartbeat.uptime_s`` (gauge) and ``agbotkit.heartbeat.beats``
(counter) every ``interval_s``. Useful as the first component of a new stack and in tests.
"""

from __future__ import annotations

import attrs
import trio

from agbotkit.abc import Component
from agbotkit.config.checks import at_least, greater_than
from agbotkit.model.metrics import MetricType
from agbotkit.toolkit.tasks import run_every

__all__ = ["Heartbeat", "HeartbeatConfig"]


@attrs.frozen
class HeartbeatConfig:
    """Options of ``heartbeat``.

    Attributes:
        interval_s: seconds between beats.
        fail_after_beats: raise after this many beats (for trying restart policies); 0 never.
    """

    interval_s: float = attrs.field(default=1.0, validator=greater_than(0))
    fail_after_beats: int = attrs.field(default=0, validator=at_least(0))


class Heartbeat(Component[HeartbeatConfig]):
    """Publishes uptime and a beat counter at a fixed interval."""

    Config = HeartbeatConfig

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        started = trio.current_time()
        beats = 0

        def beat() -> None:
            nonlocal beats
            beats += 1
            self.context.metric("agbotkit.heartbeat.uptime_s", trio.current_time() - started)
            self.context.metric("agbotkit.heartbeat.beats", float(beats), MetricType.COUNTER)
            if self.config.fail_after_beats and beats >= self.config.fail_after_beats:
                raise RuntimeError(f"heartbeat failing on purpose after {beats} beats")

        task_status.started()
        beat()
        await run_every(self.config.interval_s, beat)
