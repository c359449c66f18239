"""``random_walk``: publishes a seeded random walk, a stand-in for any custom signal."""

from __future__ import annotations

import random

import attrs
import trio

from agbotkit import Component, greater_than


@attrs.frozen
class RandomWalkConfig:
    """Options of ``random_walk``.

    Attributes:
        interval_s: seconds between steps.
        step: the largest move of one step.
        seed: seed of the random generator, so runs repeat.
        start: the walk's first value.
    """

    interval_s: float = attrs.field(default=1.0, validator=greater_than(0))
    step: float = attrs.field(default=1.0, validator=greater_than(0))
    seed: int = 0
    start: float = 0.0


class RandomWalk(Component[RandomWalkConfig]):
    """Publishes ``example.random_walk`` (gauge) every ``interval_s``."""

    Config = RandomWalkConfig

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        rng = random.Random(self.config.seed)
        value = self.config.start
        task_status.started()
        while True:
            self.context.metric("example.random_walk", value, labels={"walk": self.name})
            await trio.sleep(self.config.interval_s)
            value += rng.uniform(-self.config.step, self.config.step)
