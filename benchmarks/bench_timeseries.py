"""Benchmark of agbotkit.timeseries: appends per second and query latencies.

Run ``python benchmarks/bench_timeseries.py``; it prints one line per number, with the target
the issue set. It measures, it does not judge: no timing is asserted.
"""

from __future__ import annotations

import functools
import statistics
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from agbotkit.timeseries.series import Points, TimeSeries

FULL = 1_000_000  # points in the "full buffer" of the query benchmarks
BATCH = 100_000  # points per append_many call
START_MS = 1_700_000_000_000
HOUR_MS = 3_600_000
REPEATS = 5


def best_rate(points: int, run: Callable[[], None], repeats: int = REPEATS) -> float:
    """Return the best points/s of ``repeats`` runs of ``run`` (after one warm-up run)."""
    run()
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        best = max(best, points / (time.perf_counter() - t0))
    return best


def median_us(call: Callable[[int], object], args: list[int]) -> float:
    """Return the median µs of ``call(arg)`` over ``args``, after warming up on the first."""
    for arg in args[:50]:
        call(arg)
    timings = []
    for arg in args:
        t0 = time.perf_counter_ns()
        call(arg)
        timings.append(time.perf_counter_ns() - t0)
    return statistics.median(timings) / 1000


def bench_single_append() -> float:
    n = 1_000_000
    timestamps = list(range(START_MS, START_MS + n))
    values = [float(i) for i in range(n)]
    pairs = list(zip(timestamps, values, strict=True))

    def run() -> None:
        append = TimeSeries(FULL // 4).append  # wraps four times
        for timestamp, value in pairs:
            append(timestamp, value)

    return best_rate(n, run)


def bench_batch_append() -> float:
    batches = 40  # 4,000,000 points, wrapping the 1,000,000-point ring
    timestamps = np.arange(START_MS, START_MS + BATCH * batches, dtype=np.int64)
    values = np.arange(BATCH * batches, dtype=np.float64)
    chunks = [
        (timestamps[i : i + BATCH], values[i : i + BATCH]) for i in range(0, len(values), BATCH)
    ]

    def run() -> None:
        series = TimeSeries(FULL)
        for ts, vals in chunks:
            series.append_many(ts, vals)

    return best_rate(BATCH * batches, run)


def query_window(
    series: TimeSeries,
    width_ms: int,
    max_points: int,
    start_ms: int,
    *,
    out_ts: npt.NDArray[np.int64],
    out_values: npt.NDArray[np.float64],
) -> Points:
    """One ``query_range`` of ``width_ms`` from ``start_ms`` (the call being timed)."""
    return series.query_range(
        start_ms, start_ms + width_ms, max_points, out_ts=out_ts, out_values=out_values
    )


def full_series() -> TimeSeries:
    """A full 1,000,000-point series of 1 s points that has wrapped (two runs in the ring)."""
    series = TimeSeries(FULL)
    n = FULL + FULL // 3
    series.append_many(
        START_MS + 1000 * np.arange(n, dtype=np.int64), np.sin(np.arange(n, dtype=np.float64))
    )
    return series


def main() -> None:
    """Run every benchmark and print one line per number."""
    rate = bench_single_append()
    print(f"timeseries.single_append: {rate:,.0f} appends/s (target >= 1,500,000)")
    rate = bench_batch_append()
    print(
        f"timeseries.batch_append: {rate:,.0f} points/s, batches of {BATCH:,} "
        "(target >= 50,000,000)"
    )

    series = full_series()
    newest = int(series.query_last(1).timestamps[0])
    oldest = int(series.query_last(FULL).timestamps[-1])
    rng = np.random.default_rng(7)
    out_ts, out_values = np.empty(10_000, np.int64), np.empty(10_000, np.float64)

    us = median_us(lambda _: series.query_last(1000), list(range(2000)))
    print(f"timeseries.query_last_1000: {us:,.1f} µs median")
    us = median_us(
        lambda _: series.query_last(1000, out_ts=out_ts, out_values=out_values),
        list(range(2000)),
    )
    print(f"timeseries.query_last_1000_into_out: {us:,.1f} µs median")

    def windows(width_ms: int) -> list[int]:
        return [int(s) for s in rng.integers(oldest, newest - width_ms, 2000)]

    cases = [
        ("query_range_1h", HOUR_MS, 10_000, "3,600 points"),
        ("query_range_1h_downsampled", HOUR_MS, 500, "3,600 -> 500 points"),
        ("query_range_narrow", 10_000, 10_000, "10 s, ~10 points"),
    ]
    for name, width, max_points, what in cases:
        query = functools.partial(
            query_window, series, width, max_points, out_ts=out_ts, out_values=out_values
        )
        us = median_us(query, windows(width))
        print(
            f"timeseries.{name}: {us:,.1f} µs median over a full {FULL:,}-point buffer, "
            f"{what} (target <= 50)"
        )


if __name__ == "__main__":
    main()
