"""Benchmark of agbotkit.bus: messages per second fanned out to 1 and to 10 subscribers.

Run ``python benchmarks/bench_bus.py`` (``--profile`` adds a cProfile of each case,
``--repeats N`` takes the best of N runs, 3 by default: raise it on a busy machine;
``--cpu`` times with the process's CPU time instead of the wall clock, which other processes
of a shared machine disturb less: the cases never wait for I/O); it prints one line per
number with the target the issue set. It measures, it does not judge: no timing is asserted.

Each case runs under ``trio.run``: one publisher task, and one task per subscriber reading
with ``async for``, the natural API (it reads in batches: a subscriber is woken once for
whatever was published since it last waited). The clock stops when every subscriber has
received every message.

* ``publish``: ``await bus.publish(...)`` per message into ``block`` subscriptions
  (buffer 1024), so nothing is dropped;
* ``publish_nowait``: bursts of 1024 ``bus.publish_nowait(...)`` into ``drop-oldest``
  subscriptions whose buffer holds a whole burst; the publisher waits for the subscribers to
  drain each burst, and the run checks that nothing was dropped.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections.abc import Awaitable, Callable, Sequence

import trio

from agbotkit.bus.bus import Bus
from agbotkit.bus.subscription import Subscription
from agbotkit.bus.topic import Overflow, Topic

TOPIC: Topic[int] = Topic("bench", "integers")
BUFFER = 1024
BURST = 1024
REPEATS = 3
TARGETS = {1: 100_000, 10: 20_000}
MESSAGES = {1: 100_000, 10: 20_000}


async def _publish(messages: int, subscribers: int) -> None:
    bus = Bus()
    subscriptions = [
        bus.subscribe(TOPIC, buffer=BUFFER, overflow=Overflow.BLOCK) for _ in range(subscribers)
    ]
    received = [0] * subscribers

    async def consume(index: int, subscription: Subscription[int]) -> None:
        count = 0
        async for _ in subscription:
            count += 1
        received[index] = count

    async with trio.open_nursery() as nursery:
        for index, subscription in enumerate(subscriptions):
            nursery.start_soon(consume, index, subscription)
        publish = bus.publish
        for message in range(messages):
            await publish(TOPIC, message)
        bus.close()  # each consumer ends once it has read everything
    assert received == [messages] * subscribers, received


async def _publish_nowait(messages: int, subscribers: int) -> None:
    bus = Bus()
    subscriptions = [
        bus.subscribe(TOPIC, buffer=BURST, overflow=Overflow.DROP_OLDEST)
        for _ in range(subscribers)
    ]
    state = {"pending": 0}
    drained = trio.Event()
    received = [0] * subscribers

    async def consume(index: int, subscription: Subscription[int]) -> None:
        nonlocal drained
        count = 0
        async for _ in subscription:
            count += 1
            state["pending"] -= 1
            if not state["pending"]:
                drained.set()
        received[index] = count

    async with trio.open_nursery() as nursery:
        for index, subscription in enumerate(subscriptions):
            nursery.start_soon(consume, index, subscription)
        publish_nowait = bus.publish_nowait
        for start in range(0, messages, BURST):
            burst = range(start, min(start + BURST, messages))
            drained = trio.Event()
            state["pending"] = len(burst) * subscribers
            for message in burst:
                publish_nowait(TOPIC, message)
            await drained.wait()
        bus.close()
    assert [s.dropped for s in subscriptions] == [0] * subscribers
    assert received == [messages] * subscribers, received


def best_rate(
    case: Callable[[int, int], Awaitable[None]],
    messages: int,
    subscribers: int,
    repeats: int = REPEATS,
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """Best messages/s of ``repeats`` runs (after one short warm-up run)."""
    trio.run(case, messages // 10, subscribers)
    best = 0.0
    for _ in range(repeats):
        start = clock()
        trio.run(case, messages, subscribers)
        best = max(best, messages / (clock() - start))
    return best


def _line(name: str, subscribers: int, rate: float) -> str:
    each = f" each delivered to {subscribers} subscribers" if subscribers > 1 else ""
    target = TARGETS[subscribers]
    verdict = "" if rate >= target else "  MISSED"
    return f"{name}: {rate:,.0f} msgs/s{each} (target >= {target:,}){verdict}"


def _profile(case: Callable[[int, int], Awaitable[None]], messages: int, subscribers: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    trio.run(case, messages, subscribers)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


def main(argv: Sequence[str] | None = None) -> None:
    """Print the bus numbers; ``--profile`` also prints the top functions of each case."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="cProfile each case")
    parser.add_argument(
        "--repeats", type=int, default=REPEATS, help=f"runs per case, best kept ({REPEATS})"
    )
    parser.add_argument("--cpu", action="store_true", help="time with CPU time, not the wall clock")
    args = parser.parse_args(argv)
    clock = time.process_time if args.cpu else time.perf_counter
    cases = [("", _publish), (".publish_nowait", _publish_nowait)]
    for suffix, case in cases:
        for subscribers in (1, 10):
            rate = best_rate(case, MESSAGES[subscribers], subscribers, args.repeats, clock)
            print(_line(f"bus.fanout_{subscribers}{suffix}", subscribers, rate), flush=True)
            if args.profile:
                _profile(case, MESSAGES[subscribers] // 4, subscribers)


if __name__ == "__main__":
    main()
