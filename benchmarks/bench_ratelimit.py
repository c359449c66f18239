"""What a rate-limit budget costs a submit: µs per ``RateLimiter.acquire``.

Run: ``python benchmarks/bench_ratelimit.py``. Prints the cost of an acquire that finds
room at once (the common case: the limiter is on every submit's path), and of a burst of
40,000 calls through Polymarket's ``POST /order`` windows (3,500 per 10 s, 36,000 per
10 min) that must queue, under trio's virtual clock so that only the computing is timed.
"""

from __future__ import annotations

import time

import trio
import trio.testing

from agbotkit.toolkit.ratelimit import RateLimiter, Window

POLYMARKET_POST_ORDER = [Window(3_500, 10.0), Window(36_000, 600.0)]


async def free_path(calls: int) -> float:
    # Windows wide enough that no call waits: the acquire's own cost.
    limiter = RateLimiter("bench", "POST /order", [Window(10**9, 1.0)], max_wait_s=1)
    start = time.perf_counter()
    for _ in range(calls):
        await limiter.acquire()
    return (time.perf_counter() - start) / calls * 1e6


async def queued_burst(calls: int) -> tuple[float, float]:
    limiter = RateLimiter("bench", "POST /order", POLYMARKET_POST_ORDER, max_wait_s=10**6)
    start = time.perf_counter()
    async with trio.open_nursery() as nursery:
        for _ in range(calls):
            nursery.start_soon(limiter.acquire)
    return (time.perf_counter() - start) / calls * 1e6, trio.current_time()


def main() -> None:
    free = min(trio.run(free_path, 100_000) for _ in range(3))
    print(f"acquire with room:                 {free:6.2f} µs/op")
    clock = trio.testing.MockClock(autojump_threshold=0)
    per_call, virtual_s = trio.run(queued_burst, 40_000, clock=clock)
    print(
        f"burst of 40,000 through POST /order windows: {per_call:6.2f} µs/op "
        f"(served over {virtual_s:,.0f} s of virtual time)"
    )


if __name__ == "__main__":
    main()
