"""Doubling, jittered delays between retries (reconnects, restarts, database retries)."""

from __future__ import annotations

import random

import attrs

__all__ = ["Backoff"]


@attrs.define
class Backoff:
    """Delays that double from ``initial_s`` up to ``max_s``, each scaled by a random factor.

    The jitter keeps many clients that failed together from retrying in lockstep. With the
    default ``jitter=(0.5, 1.0)`` the n-th delay lies in ``[ceiling / 2, ceiling]`` where
    ``ceiling = min(max_s, initial_s * 2**(n-1))``.

    Attributes:
        initial_s: the ceiling of the first delay.
        max_s: the doubling stops here.
        jitter: the range the random factor is drawn from.
        rng: the random source (seed it in tests).
        failures: failures since the last :meth:`reset`.
    """

    initial_s: float
    max_s: float
    jitter: tuple[float, float] = (0.5, 1.0)
    rng: random.Random = attrs.field(factory=random.Random)
    failures: int = 0

    def ceiling(self, failures: int) -> float:
        """The largest delay after ``failures`` consecutive failures (at least 1)."""
        return min(self.max_s, self.initial_s * 2.0 ** (max(failures, 1) - 1))

    def delay(self, failures: int) -> float:
        """A jittered delay for the ``failures``-th consecutive failure."""
        low, high = self.jitter
        return self.ceiling(failures) * self.rng.uniform(low, high)

    def next_delay(self) -> float:
        """Count one more failure and return its delay."""
        self.failures += 1
        return self.delay(self.failures)

    def reset(self) -> None:
        """A success: the next failure starts from ``initial_s`` again."""
        self.failures = 0
