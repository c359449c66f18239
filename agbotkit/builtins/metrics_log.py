"""``metrics_log``: logs a one-line summary of the stack's metrics at a fixed interval.

The dashboard is the real view; this is the view for a terminal or a log file.
"""

from __future__ import annotations

import attrs
import trio

from agbotkit.abc import Component
from agbotkit.bus.topic import Overflow
from agbotkit.config.checks import greater_than
from agbotkit.model.metrics import Metric
from agbotkit.toolkit.tasks import consume, run_every
from agbotkit.topics import METRICS

__all__ = ["MetricsLog", "MetricsLogConfig"]


@attrs.frozen
class MetricsLogConfig:
    """Options of ``metrics_log``.

    Attributes:
        interval_s: seconds between summaries.
        buffer: how many samples may wait between reads before the oldest are dropped.
        prefixes: only log metrics whose name starts with one of these (all when empty).
    """

    interval_s: float = attrs.field(default=10.0, validator=greater_than(0))
    buffer: int = attrs.field(default=10_000, validator=greater_than(0))
    prefixes: tuple[str, ...] = ()


class MetricsLog(Component[MetricsLogConfig]):
    """Keeps the latest value of each series and logs them every ``interval_s``."""

    Config = MetricsLogConfig

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        latest: dict[tuple[str, tuple[tuple[str, str], ...]], Metric] = {}
        with self.context.bus.subscribe(
            METRICS, buffer=self.config.buffer, overflow=Overflow.DROP_OLDEST
        ) as samples:
            task_status.started()

            def keep(sample: Metric) -> None:
                if not self.config.prefixes or sample.name.startswith(self.config.prefixes):
                    latest[(sample.name, sample.labels)] = sample

            def report() -> None:
                if latest:
                    parts = [
                        f"{name}{_labels(labels)}={sample.value:g}"
                        for (name, labels), sample in sorted(latest.items())
                    ]
                    self.context.logger.info("metrics: %s", " ".join(parts))

            async with trio.open_nursery() as nursery:
                nursery.start_soon(run_every, self.config.interval_s, report)
                # The bus closed: the stack is over, and so is the report loop.
                await consume(samples, keep, done=nursery.cancel_scope)


def _labels(labels: tuple[tuple[str, str], ...]) -> str:
    return "{" + ",".join(f"{k}={v}" for k, v in labels) + "}" if labels else ""
