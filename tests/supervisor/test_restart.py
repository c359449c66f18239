"""RestartBudget: the sliding window's edges and the backoff of each restart."""

from __future__ import annotations

import random

from agbotkit.config.schema import RestartConfig, RestartPolicy
from agbotkit.supervisor.restart import RestartBudget


def budget(max_restarts: int, window_s: float) -> RestartBudget:
    config = RestartConfig(
        policy=RestartPolicy.ON_FAILURE,
        max_restarts=max_restarts,
        window_s=window_s,
        backoff_initial_s=1.0,
        backoff_max_s=8.0,
    )
    return RestartBudget(config, random.Random(1))


def test_a_failure_exactly_window_s_ago_no_longer_counts() -> None:
    restarts = budget(max_restarts=1, window_s=10.0)
    assert restarts.next_delay(0.0) is not None
    # At 10.0 the failure at 0.0 is exactly window_s old: outside the window.
    assert restarts.next_delay(10.0) is not None


def test_a_failure_just_inside_the_window_still_counts() -> None:
    restarts = budget(max_restarts=1, window_s=10.0)
    assert restarts.next_delay(0.0) is not None
    assert restarts.next_delay(9.999) is None


def test_the_budget_allows_max_restarts_in_the_window_then_refuses() -> None:
    restarts = budget(max_restarts=3, window_s=60.0)
    delays = [restarts.next_delay(float(t)) for t in range(3)]
    assert all(delay is not None for delay in delays)
    assert restarts.next_delay(3.0) is None
    assert restarts.total == 3


def test_each_restart_in_the_window_doubles_the_ceiling_jittered_to_half() -> None:
    restarts = budget(max_restarts=10, window_s=1000.0)
    for n, ceiling in enumerate([1.0, 2.0, 4.0, 8.0, 8.0]):
        delay = restarts.next_delay(float(n))
        assert delay is not None
        assert ceiling / 2 <= delay <= ceiling
