"""The per-token pacing of book resyncs (pure: no event loop)."""

from __future__ import annotations

import random

import pytest

from agbotkit.marketdata.clob.resync import ResyncPacer


def pacer() -> ResyncPacer:
    return ResyncPacer(1.0, 60.0, 60.0, rng=random.Random(7))


def test_the_first_resync_of_a_token_goes_at_once() -> None:
    assert pacer().due("a", 100.0) == 100.0


def test_each_further_resync_waits_twice_as_long_up_to_the_ceiling() -> None:
    p = pacer()
    now = 0.0
    waits = []
    for _ in range(10):
        due = p.due("a", now)
        waits.append(due - now)
        p.sent("a", due)
        now = due + 0.1  # the fresh snapshot's next delta disagrees again at once
    assert waits[0] == 0.0
    for n, wait in enumerate(waits[1:], start=1):
        ceiling = min(60.0, 2.0 ** (n - 1))
        # Jittered to between half the ceiling and all of it, minus the 0.1 s elapsed.
        assert ceiling / 2 - 0.1 <= wait <= ceiling
    assert p.failures("a") == 10


def test_other_tokens_are_not_held_back() -> None:
    p = pacer()
    p.sent("a", 0.0)
    p.sent("a", 1.0)
    assert p.due("a", 1.0) > 1.0
    assert p.due("b", 1.0) == 1.0


@pytest.mark.parametrize(("valid_for", "reset"), [(59.9, False), (60.0, True)])
def test_a_healthy_period_starts_the_waits_over(valid_for: float, reset: bool) -> None:
    p = pacer()
    for n in range(8):
        p.sent("a", float(n))
    p.valid("a", 100.0)
    p.valid("a", 130.0)  # later snapshots do not restart the healthy period
    now = 100.0 + valid_for
    assert p.due("a", now) == now  # the last wait (at most 60 s) is over either way
    assert p.failures("a") == (0 if reset else 8)
    p.sent("a", now)
    wait = p.due("a", now) - now
    assert (wait <= 1.0) is reset  # 0.5-1 s after a reset, else 30-60 s


def test_a_resync_ends_the_healthy_period() -> None:
    p = pacer()
    p.sent("a", 0.0)
    p.valid("a", 1.0)
    p.sent("a", 2.0)
    assert p.due("a", 70.0) < 70.0 + 2.0  # waits, not reset: valid_since was cleared
    assert p.failures("a") == 2


def test_forget_drops_the_history() -> None:
    p = pacer()
    p.sent("a", 0.0)
    p.forget("a")
    assert p.due("a", 0.0) == 0.0
    assert p.failures("a") == 0
