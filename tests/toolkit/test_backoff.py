"""Backoff: doubling ceilings, the jitter range, reset."""

from __future__ import annotations

import random

import pytest

from agbotkit.toolkit.backoff import Backoff


def test_ceilings_double_up_to_the_maximum() -> None:
    backoff = Backoff(initial_s=0.25, max_s=5.0)
    assert [backoff.ceiling(n) for n in range(1, 8)] == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert backoff.ceiling(0) == 0.25  # "no failure yet" is treated as the first


def test_delays_stay_within_the_jitter_range() -> None:
    backoff = Backoff(initial_s=1.0, max_s=8.0, rng=random.Random(3))
    for failures in range(1, 6):
        ceiling = backoff.ceiling(failures)
        for _ in range(200):
            assert ceiling * 0.5 <= backoff.delay(failures) <= ceiling


def test_a_custom_jitter_range_may_exceed_the_ceiling() -> None:
    backoff = Backoff(initial_s=2.0, max_s=2.0, jitter=(0.8, 1.2), rng=random.Random(5))
    delays = [backoff.delay(1) for _ in range(500)]
    assert min(delays) >= 1.6
    assert max(delays) <= 2.4
    assert max(delays) > 2.0  # the range above 1 is really used


def test_next_delay_counts_failures_and_reset_starts_over() -> None:
    backoff = Backoff(initial_s=1.0, max_s=100.0, jitter=(1.0, 1.0))
    assert [backoff.next_delay() for _ in range(4)] == [1.0, 2.0, 4.0, 8.0]
    assert backoff.failures == 4
    backoff.reset()
    assert backoff.next_delay() == pytest.approx(1.0)
