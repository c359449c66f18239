"""Fixtures for the risk component's parts, driven without an event loop.

The parts publish with ``publish_nowait`` and read with ``receive_nowait``, neither of which
needs trio running: the tests call them as plain functions and read what reached the bus.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import pytest
import trio

from agbotkit.abc import ComponentContext
from agbotkit.bus.bus import Bus
from agbotkit.bus.subscription import Subscription
from agbotkit.bus.topic import Overflow, Topic
from agbotkit.model.metrics import Metric
from agbotkit.topics import METRICS

T = TypeVar("T")

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


class Published:
    """What reached the bus since the fixture was made, per topic (subscribed lazily)."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self._subscriptions: dict[str, Subscription[Any]] = {}
        self.listen(METRICS)

    def listen(self, topic: Topic[T]) -> Subscription[T]:
        """Subscribe to ``topic`` now (only what is published afterwards is seen)."""
        if topic.name not in self._subscriptions:
            self._subscriptions[topic.name] = self.bus.subscribe(
                topic, buffer=100_000, overflow=Overflow.DROP_OLDEST
            )
        subscription: Subscription[T] = self._subscriptions[topic.name]
        return subscription

    def take(self, topic: Topic[T]) -> list[T]:
        """Every message published on ``topic`` since the last take."""
        subscription = self.listen(topic)
        taken = []
        while True:
            try:
                taken.append(subscription.receive_nowait())
            except trio.WouldBlock:
                return taken

    def samples(self, name: str, **labels: str) -> list[float]:
        """The values of metric ``name`` (with these labels) since the last take of METRICS."""
        return [
            sample.value
            for sample in self.take(METRICS)
            if sample.name == name
            and all(sample.labels_dict.get(k) == v for k, v in labels.items())
        ]

    def metrics(self) -> list[Metric]:
        """Every metric sample since the last take."""
        return self.take(METRICS)


@pytest.fixture
def context(tmp_path: Path) -> ComponentContext:
    """A risk component's context on a fresh bus, its clock stopped at ``T0``."""
    return ComponentContext("risk", Bus(), stack_dir=tmp_path, now_ms=lambda: T0)


@pytest.fixture
def published(context: ComponentContext) -> Published:
    """What the part under test publishes on the context's bus."""
    return Published(context.bus)
