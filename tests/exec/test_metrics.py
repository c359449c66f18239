"""The execution metrics: budgets made after the start are published too."""

from __future__ import annotations

import trio

from agbotkit.abc import ComponentContext
from agbotkit.bus.bus import Bus
from agbotkit.bus.topic import Overflow
from agbotkit.exec.metrics import ExecMetrics
from agbotkit.exec.oms import OrderManager
from agbotkit.toolkit.ratelimit import RateLimits, Window
from agbotkit.topics import METRICS


async def test_a_budget_made_while_running_is_published(autojump_clock: trio.abc.Clock) -> None:
    bus = Bus()
    limits = RateLimits()
    metrics = ExecMetrics(ComponentContext("execution", bus), OrderManager())
    with bus.subscribe(METRICS, buffer=1000, overflow=Overflow.BLOCK) as samples:
        metrics.publish(["pm"], limits)
        # A venue adapter's own budget, made after the metrics began.
        limiter = limits.limiter("pm", "POST /order", [Window(1, 1.0)], max_wait_s=5)
        await limiter.acquire()
        await limiter.acquire()  # waits one second for room
        metrics.publish(["pm"], limits)
        names = []
        while True:
            try:
                sample = samples.receive_nowait()
            except trio.WouldBlock:
                break
            if sample.labels_dict.get("endpoint") == "POST /order":
                names.append((sample.name, sample.value))
    assert ("exec.rate_limit_waits", 1.0) in names
