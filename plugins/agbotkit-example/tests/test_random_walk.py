"""The example plugin, loaded through real entry points like any third-party package."""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

import trio

from agbotkit.bus.topic import Overflow
from agbotkit.plugins import PluginRegistry
from agbotkit.supervisor.plan import plan_file
from agbotkit.supervisor.runner import Supervisor
from agbotkit.topics import METRICS

STACK = """\
components:
  walk:
    kind: random_walk
    interval_s: 0.5
    step: 2
    seed: 7
"""


def test_registered_under_its_own_distribution() -> None:
    infos = {i.name: i for i in PluginRegistry().infos() if i.group == "agbotkit.components"}
    assert infos["random_walk"].distribution == "agbotkit-example"
    assert infos["heartbeat"].distribution == "agbotkit"


async def test_runs_in_a_stack_and_publishes_its_walk(
    tmp_path: Path, autojump_clock: object
) -> None:
    stack = tmp_path / "stack.yaml"
    stack.write_text(textwrap.dedent(STACK))
    supervisor = Supervisor(plan_file(stack))
    samples = supervisor.bus.subscribe(METRICS, overflow=Overflow.BLOCK)
    values: list[float] = []
    async with trio.open_nursery() as nursery:
        await nursery.start(supervisor.run)
        async for sample in samples:
            if sample.name == "example.random_walk":
                assert sample.labels == (("walk", "walk"),)
                values.append(sample.value)
                if len(values) == 4:
                    supervisor.request_stop()
                    break
    rng = random.Random(7)
    expected = [0.0]
    for _ in range(3):
        expected.append(expected[-1] + rng.uniform(-2, 2))
    assert values == expected
