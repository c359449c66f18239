"""Benchmark of the metrics protocol, the monitor's store and the Prometheus exposition.

Run ``python benchmarks/bench_metrics_protocol.py``; it prints one line per number. The issue
asks for >= 100,000 metrics/s ingested end to end (so about 2 µs to decode a metric). It
measures, it does not judge: no timing is asserted. Takes about 10 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from agbotkit.metrics.prometheus import render_prometheus
from agbotkit.metrics.protocol import decode_metrics, encode_metrics
from agbotkit.metrics.store import MetricsStore
from agbotkit.model.metrics import Metric, MetricType

START_MS = 1_700_000_000_000
TOTAL = 100_000  # metrics per timed run
REPEATS = 3


def sample_metrics(count: int) -> list[Metric]:
    """Realistic samples: dotted names, two or three labels, all three types."""
    types = [MetricType.GAUGE, MetricType.COUNTER, MetricType.HISTOGRAM]
    return [
        Metric(
            START_MS + i,
            types[i % 3],
            f"polymarket.clob.metric_{i % 20}",
            i * 0.25,
            (("asset", str(1000 + i % 50)), ("component", "clob_market"))
            + ((("socket", str(i % 4)),) if i % 2 else ()),
        )
        for i in range(count)
    ]


def best_rate(items: int, run: Callable[[], object]) -> float:
    """Best items/s of ``REPEATS`` runs of ``run``, after a warm-up run."""
    run()
    best = 0.0
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        run()
        best = max(best, items / (time.perf_counter() - t0))
    return best


def frames_of(metrics: list[Metric], per_frame: int) -> list[str]:
    return [encode_metrics(metrics[i : i + per_frame]) for i in range(0, len(metrics), per_frame)]


def bench_decode(per_frame: int) -> float:
    frames = frames_of(sample_metrics(TOTAL), per_frame)

    def run() -> None:
        for frame in frames:
            decode_metrics(frame)

    return best_rate(TOTAL, run)


def bench_encode(per_frame: int) -> float:
    metrics = sample_metrics(TOTAL)
    return best_rate(TOTAL, lambda: frames_of(metrics, per_frame))


def bench_ingest(per_frame: int) -> float:
    """Decode and store, what a monitor does per received frame (series already exist)."""
    metrics = sample_metrics(TOTAL)
    frames = frames_of(metrics, per_frame)
    store = MetricsStore(capacity_per_series=3600)

    def run() -> None:
        for frame in frames:
            decoded, _ = decode_metrics(frame)
            store.add_many(decoded)

    return best_rate(TOTAL, run)


def bench_render(series: int) -> float:
    """Median ms to render a store holding ``series`` series (a third of each type)."""
    store = MetricsStore()
    types = [MetricType.GAUGE, MetricType.COUNTER, MetricType.HISTOGRAM]
    for i in range(series):
        labels = (("asset", str(i)), ("component", "clob_market"))
        for t in range(3):
            store.add(Metric(START_MS + t, types[i % 3], f"app.metric_{i % 25}", t * 1.5, labels))
    assert store.series_count == series
    render_prometheus(store)
    timings = []
    for _ in range(max(5, 30_000 // series)):
        t0 = time.perf_counter()
        render_prometheus(store)
        timings.append(time.perf_counter() - t0)
    return sorted(timings)[len(timings) // 2] * 1000


def main() -> None:
    for per_frame in (100, 1):
        rate = bench_decode(per_frame)
        print(
            f"metrics.decode: {rate:,.0f} metrics/s ({per_frame} per frame), "
            f"{1e6 / rate:.2f} µs/metric"
        )
    for per_frame in (100, 1):
        rate = bench_encode(per_frame)
        print(
            f"metrics.encode: {rate:,.0f} metrics/s ({per_frame} per frame), "
            f"{1e6 / rate:.2f} µs/metric"
        )
    rate = bench_ingest(100)
    print(f"metrics.ingest (decode + store): {rate:,.0f} metrics/s (100 per frame)")
    print(f"metrics.prometheus_render: {bench_render(1000):.2f} ms for 1,000 series")
    print(f"metrics.prometheus_render: {bench_render(10_000):.2f} ms for 10,000 series")


if __name__ == "__main__":
    main()
