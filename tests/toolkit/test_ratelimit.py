"""Shared rate limits under trio's autojump clock: windows, queueing, refusals, 429s."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
import trio
import trio.testing
from hypothesis import given, settings
from hypothesis import strategies as st

from agbotkit.abc import Component, NoOptions
from agbotkit.errors import RateLimitedError, VenueError
from agbotkit.testing import Supervisor, plan_from_yaml
from agbotkit.toolkit.ratelimit import RateLimiter, RateLimits, Window

# Polymarket's POST /order budget (3,500 per 10 s and 36,000 per 10 min), scaled down.
BURST = Window(5, 1.0)
SUSTAINED = Window(12, 10.0)


def overfull_windows(stamps: Sequence[float], windows: Sequence[Window]) -> list[str]:
    """Every sliding window of every ``Window`` that holds more calls than it allows."""
    times = sorted(stamps)
    found = []
    for window in windows:
        for start in times:
            inside = sum(1 for t in times if start <= t < start + window.period_s)
            if inside > window.max_calls:
                found.append(f"{inside} calls in [{start}, {start + window.period_s})")
    return found


def test_the_window_check_finds_an_overfull_window() -> None:
    # The checker the tests rely on must be able to fail.
    assert overfull_windows([0, 0.5, 0.99], [Window(2, 1.0)]) == ["3 calls in [0, 1.0)"]
    assert overfull_windows([0, 0.5, 1.0], [Window(2, 1.0)]) == []


async def burst(limiter: RateLimiter, calls: int, cost: int = 1) -> list[float]:
    """``calls`` acquisitions arriving at once; the times at which each got its room."""
    stamps: list[float] = []

    async def one() -> None:
        await limiter.acquire(cost)
        stamps.extend([trio.current_time()] * cost)

    async with trio.open_nursery() as nursery:
        for _ in range(calls):
            nursery.start_soon(one)
    return stamps


async def test_a_burst_never_exceeds_any_window(autojump_clock: trio.testing.MockClock) -> None:
    limiter = RateLimiter("venue", "POST /order", [BURST, SUSTAINED], max_wait_s=60)
    stamps = await burst(limiter, 40)
    assert overfull_windows(stamps, limiter.windows) == []
    # And no call waited longer than the windows demand: each batch goes the moment the
    # calls before it age out (5 per second until 12 in 10 s are used, then 10 s later).
    expected = []
    for tens in (0, 10, 20):
        expected += [tens] * 5 + [tens + 1] * 5 + [tens + 2] * 2
    expected += [30] * 4
    assert sorted(stamps) == expected
    assert (limiter.waits, limiter.refused) == (40 - 5, 0)
    assert limiter.waited_s == sum(expected)


async def test_a_burst_of_costly_calls_never_exceeds_any_window(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = RateLimiter("venue", "POST /orders", [BURST, SUSTAINED], max_wait_s=60)
    stamps = await burst(limiter, 10, cost=3)
    assert len(stamps) == 30
    assert overfull_windows(stamps, limiter.windows) == []
    assert (
        sorted(stamps)
        == [0] * 3
        + [1] * 3
        + [2] * 3
        + [3] * 3
        + [10] * 3
        + [11] * 3
        + [12] * 3
        + [13] * 3
        + [20] * 3
        + [21] * 3
    )


async def test_callers_get_room_in_arrival_order(autojump_clock: trio.testing.MockClock) -> None:
    limiter = RateLimiter("venue", "POST /order", [BURST], max_wait_s=60)
    await limiter.acquire(5)
    served: list[tuple[str, float]] = []

    async def caller(name: str, arrive_at: float, cost: int) -> None:
        await trio.sleep_until(arrive_at)
        await limiter.acquire(cost)
        served.append((name, trio.current_time()))

    async with trio.open_nursery() as nursery:
        # The big call arrives first: the small one behind it must not overtake it,
        # although a call of 1 would fit sooner than... nothing: it waits its turn.
        nursery.start_soon(caller, "big", 0.25, 5)
        nursery.start_soon(caller, "small", 0.5, 1)
        nursery.start_soon(caller, "later", 0.75, 1)
    assert served == [("big", 1.0), ("small", 2.0), ("later", 2.0)]


async def test_a_call_that_would_wait_too_long_is_refused_and_takes_nothing(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = RateLimiter("venue", "POST /order", [Window(2, 10.0)], max_wait_s=5)
    await limiter.acquire(2)
    with pytest.raises(RateLimitedError) as caught:
        await limiter.acquire()
    assert isinstance(caught.value, VenueError)
    assert (caught.value.venue, caught.value.endpoint) == ("venue", "POST /order")
    assert caught.value.retry_after_s == 10.0
    assert str(caught.value) == "venue venue: rate limited on POST /order: retry after 10.000 s"
    assert trio.current_time() == 0  # refused at once, not after waiting
    assert (limiter.refused, limiter.waits) == (1, 0)
    # The refused call took nothing: at 10 s the whole window is there again.
    await trio.sleep(10)
    assert limiter.delay(2) == 0
    assert await limiter.acquire(2) == 0


@pytest.mark.parametrize(("max_wait_s", "served"), [(10.0, True), (9.75, False)])
async def test_a_wait_of_exactly_max_wait_is_allowed(
    autojump_clock: trio.testing.MockClock, max_wait_s: float, served: bool
) -> None:
    limiter = RateLimiter("venue", "POST /order", [Window(1, 10.0)], max_wait_s=max_wait_s)
    await limiter.acquire()
    if served:
        assert await limiter.acquire() == 10.0
        assert trio.current_time() == 10.0
    else:
        with pytest.raises(RateLimitedError):
            await limiter.acquire()


async def test_time_queued_behind_others_counts_towards_max_wait(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = RateLimiter("venue", "POST /order", [Window(1, 1.0)], max_wait_s=1.0)
    await limiter.acquire()
    outcomes: dict[str, str] = {}

    async def caller(name: str) -> None:
        await trio.sleep(0.5)
        try:
            await limiter.acquire()
        except RateLimitedError:
            outcomes[name] = f"refused at {trio.current_time()}"
        else:
            outcomes[name] = f"served at {trio.current_time()}"

    async with trio.open_nursery() as nursery:
        nursery.start_soon(caller, "a")
        nursery.start_soon(caller, "b")
    # One is served at 1.0 (waited 0.5); the other would get room at 2.0, 1.5 s after it
    # asked: more than max_wait, so it is refused when that is known (at 1.0).
    assert sorted(outcomes.values()) == ["refused at 1.0", "served at 1.0"]
    assert limiter.refused == 1


async def test_callers_arriving_together_at_the_limit_one_served_one_refused(
    autojump_clock: trio.testing.MockClock,
) -> None:
    # Both give up at 1.0, the moment the first gets its room: the second is refused
    # whether its queueing or its own wait runs out first.
    limiter = RateLimiter("venue", "POST /order", [Window(1, 1.0)], max_wait_s=1.0)
    await limiter.acquire()
    results: list[str] = []

    async def caller() -> None:
        try:
            results.append(f"waited {await limiter.acquire()}")
        except RateLimitedError:
            results.append("refused")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(caller)
        nursery.start_soon(caller)
    assert sorted(results) == ["refused", "waited 1.0"]


async def test_a_costly_call_takes_its_whole_cost(autojump_clock: trio.testing.MockClock) -> None:
    limiter = RateLimiter("venue", "POST /orders", [BURST], max_wait_s=60)
    assert await limiter.acquire(3) == 0
    assert limiter.delay(2) == 0
    assert limiter.delay(3) == 1.0
    assert await limiter.acquire(3) == 1.0
    with pytest.raises(RateLimitedError) as caught:
        await limiter.acquire(6)  # more than the window ever allows
    assert caught.value.retry_after_s == float("inf")
    with pytest.raises(ValueError, match="at least 1"):
        await limiter.acquire(0)


async def test_back_off_delays_the_next_call(autojump_clock: trio.testing.MockClock) -> None:
    limiter = RateLimiter("venue", "POST /order", [BURST], max_wait_s=60)
    limiter.back_off(4.5)
    limiter.back_off(1.0)  # a shorter Retry-After never reopens the budget sooner
    assert limiter.delay() == 4.5
    assert await limiter.acquire() == 4.5
    assert await limiter.acquire() == 0  # open again afterwards


async def test_back_off_while_a_caller_waits_delays_it_too(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = RateLimiter("venue", "POST /order", [Window(1, 1.0)], max_wait_s=60)
    await limiter.acquire()
    served_at: list[float] = []

    async def caller() -> None:
        await limiter.acquire()
        served_at.append(trio.current_time())

    async with trio.open_nursery() as nursery:
        nursery.start_soon(caller)
        await trio.sleep(0.5)
        limiter.back_off(2.0)  # a 429 while the caller sleeps towards 1.0
    assert served_at == [2.5]


async def test_back_off_beyond_max_wait_refuses_a_waiting_caller(
    autojump_clock: trio.testing.MockClock,
) -> None:
    limiter = RateLimiter("venue", "POST /order", [Window(1, 1.0)], max_wait_s=3)
    await limiter.acquire()
    with pytest.RaisesGroup(RateLimitedError):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(limiter.acquire)
            await trio.sleep(0.5)
            limiter.back_off(10.0)
    assert trio.current_time() == 1.0  # refused when it woke and found the budget closed


async def test_a_cancelled_caller_leaves_the_queue(autojump_clock: trio.testing.MockClock) -> None:
    limiter = RateLimiter("venue", "POST /order", [Window(1, 1.0)], max_wait_s=60)
    await limiter.acquire()
    with trio.move_on_after(0.5):
        await limiter.acquire()
    assert trio.current_time() == 0.5
    assert await limiter.acquire() == 0.5  # the cancelled call took no room


def test_a_limiter_needs_a_window_and_windows_need_room() -> None:
    with pytest.raises(ValueError, match="at least one window"):
        RateLimiter("venue", "POST /order", [], max_wait_s=1)
    with pytest.raises(ValueError, match="max_calls"):
        Window(0, 1.0)
    with pytest.raises(ValueError, match="period_s"):
        Window(1, 0)


# Sharing -------------------------------------------------------------------------------------


def test_one_key_one_budget() -> None:
    limits = RateLimits()
    first = limits.limiter("polymarket", "POST /order", [BURST, SUSTAINED], max_wait_s=5)
    assert limits.limiter("polymarket", "POST /order", [BURST]) is first
    assert first.windows == (BURST, SUSTAINED)  # made once, by the first to ask
    other_endpoint = limits.limiter("polymarket", "DELETE /order", [BURST])
    other_account = limits.limiter("polymarket:0xabc", "POST /order", [BURST])
    assert len({id(first), id(other_endpoint), id(other_account)}) == 3
    assert limits.all() == [first, other_endpoint, other_account]


#: When each ``Trader`` got its call, by component name.
SERVED: dict[str, float] = {}


class Trader(Component[NoOptions]):
    """A component that takes one call from the shared ``POST /order`` budget."""

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        limiter = self.context.rate_limits.limiter(
            "paper", "POST /order", [Window(1, 60.0)], max_wait_s=120
        )
        task_status.started()
        await limiter.acquire()
        SERVED[self.name] = trio.current_time()
        await trio.sleep_forever()


async def test_two_components_of_a_stack_share_one_budget(
    autojump_clock: trio.testing.MockClock,
) -> None:
    SERVED.clear()
    plan = plan_from_yaml(
        "components:\n  one:\n    kind: trader\n  two:\n    kind: trader\n",
        components={"trader": Trader},
    )
    supervisor = Supervisor(plan)
    async with trio.open_nursery() as nursery:
        await nursery.start(supervisor.run)
        start = trio.current_time()
        await trio.sleep(120)
        supervisor.request_stop()
    # One call a minute between them: one component waited for the other's call.
    assert sorted(time - start for time in SERVED.values()) == [0, 60]


# Property ------------------------------------------------------------------------------------

windows_strategy = st.lists(
    st.builds(
        Window,
        st.integers(1, 6),
        st.integers(1, 16).map(lambda quarters: quarters / 4),
    ),
    min_size=1,
    max_size=3,
)
arrivals_strategy = st.lists(
    st.tuples(st.integers(0, 40).map(lambda quarters: quarters / 4), st.integers(1, 3)),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(
    windows=windows_strategy, arrivals=arrivals_strategy, back_off_at=st.none() | st.integers(0, 8)
)
def test_property_random_bursts_respect_windows_and_arrival_order(
    windows: list[Window], arrivals: list[tuple[float, int]], back_off_at: int | None
) -> None:
    smallest = min(window.max_calls for window in windows)
    arrivals = [(at, min(cost, smallest)) for at, cost in arrivals]
    entered: list[int] = []
    served: dict[int, float] = {}

    async def main() -> dict[int, Any]:
        limiter = RateLimiter("venue", "endpoint", windows, max_wait_s=float("inf"))

        async def caller(index: int, at: float, cost: int) -> None:
            await trio.sleep_until(at)
            entered.append(index)
            await limiter.acquire(cost)
            served[index] = trio.current_time()

        async with trio.open_nursery() as nursery:
            for index, (at, cost) in enumerate(arrivals):
                nursery.start_soon(caller, index, at, cost)
            if back_off_at is not None:
                await trio.sleep_until(back_off_at)
                limiter.back_off(1.5)
        return served

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    stamps = [served[i] for i, (_, cost) in enumerate(arrivals) for _ in range(cost)]
    assert overfull_windows(stamps, windows) == []
    in_arrival_order = [served[index] for index in entered]
    assert in_arrival_order == sorted(in_arrival_order)
    assert all(served[i] >= at for i, (at, _) in enumerate(arrivals))
    if back_off_at is not None:  # nothing goes while a 429 keeps the budget closed
        assert not [t for t in served.values() if back_off_at < t < back_off_at + 1.5]


def test_a_second_caller_asking_for_other_windows_shares_the_first_budget_and_is_told(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limits = RateLimits()
    first = limits.limiter("v", "submit", [Window(5, 1.0)])
    assert limits.limiter("v", "submit", [Window(5, 1.0)]) is first
    assert "sharing the budget" not in caplog.text
    again = limits.limiter("v", "submit", [Window(9, 1.0)])
    assert again is first
    assert again.windows == (Window(5, 1.0),)
    assert "asked for [Window(max_calls=9, period_s=1.0)]" in caplog.text
