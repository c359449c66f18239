"""Restart arithmetic: exponential backoff with jitter, and a budget over a sliding window."""

from __future__ import annotations

import collections
import random

from agbotkit.config.schema import RestartConfig

__all__ = ["RestartBudget"]


class RestartBudget:
    """Decides whether a failed component may restart, and after how long.

    At most ``max_restarts`` restarts within any ``window_s`` seconds. The n-th restart in
    the window waits ``min(backoff_max_s, backoff_initial_s * 2**n)`` scaled by a random
    factor in [0.5, 1.0] so that components failing together do not retry in lockstep.
    """

    def __init__(self, config: RestartConfig, rng: random.Random | None = None) -> None:
        self._config = config
        self._rng = rng or random.Random()
        self._times: collections.deque[float] = collections.deque()
        self.total = 0

    def next_delay(self, now: float) -> float | None:
        """Record a failure at ``now`` (seconds); the delay before restarting, or None."""
        window_start = now - self._config.window_s
        while self._times and self._times[0] <= window_start:
            self._times.popleft()
        if len(self._times) >= self._config.max_restarts:
            return None
        exponent = len(self._times)
        self._times.append(now)
        self.total += 1
        ceiling = min(self._config.backoff_max_s, self._config.backoff_initial_s * 2.0**exponent)
        return ceiling * self._rng.uniform(0.5, 1.0)
