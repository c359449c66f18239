"""Benchmark of agbotkit.storage: metric ingestion (rows/s) and metric query latency, on
SQLite and on PostgreSQL.

Run ``python benchmarks/bench_storage.py`` (``--quick`` writes fewer rows and repeats the
queries fewer times, for a smoke test; ``--runs N`` takes the best and median of N ingestion
runs, 3 by default; ``--no-postgres`` runs SQLite only); it prints one line per number with
the target the issue set. It measures, it does not judge: no timing is asserted. About two
minutes in all.

Each backend is opened as the storage component opens it (``open_backend(parse_storage_url
(url), timescaledb="off")``) and given its schema by ``migrations.upgrade``:

* SQLite: a file in a temporary folder (the backend puts it in WAL mode,
  ``synchronous=NORMAL``);
* PostgreSQL: a throwaway server (``agbotkit.testing.postgres``), native daily partitions.
  The acceptance number is the one with durable settings (``settings={}``: fsync,
  synchronous_commit and full_page_writes on, the server's defaults); the figure with the
  harness's ``FAST_SETTINGS`` (fsync off, as the tests run) is printed after it, for
  comparison. Skipped, with the reason, when the server binaries or psycopg are missing.

The numbers:

1. **ingestion**: ``write_metrics`` of batches of 5,000 and of 10,000 rows, 500,000 rows per
   run (``--quick``: 100,000), from ~50 series (``polymarket.clob.lag_ms`` and the like, with
   labels such as ``{"feed": "clob", "component": "market"}``) sampled once a second with
   increasing timestamps. The ``Metric`` objects are built before the clock starts; each run
   writes into a new, empty database. rows/s = rows / summed wall time of the
   ``write_metrics`` calls; best and median of the runs. Targets: >= 300,000 rows/s on
   SQLite, >= 150,000 rows/s on PostgreSQL.
2. **query latency**: one series with a point every second for a day (86,400 points), and
   5 other series over the same day as noise (so the lookup has to use the index), then
   ``query_metrics`` of the whole day (all 86,400 points), of the whole day with
   ``max_points=1000``, and of one hour (3,600 points); after 3 warm-up calls, p50 and p99
   of 30 calls each (``--quick``: 10; fewer, at least 5, when a case's calls pass 15 s,
   which its line then says). Target: p50 <= 20 ms.

The end-to-end path (bus -> storage component -> database) is measured elsewhere.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import random
import statistics
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path

from agbotkit.db.backend import StorageBackend
from agbotkit.db.connect import open_backend
from agbotkit.db.migrations import upgrade
from agbotkit.db.records import FillRecord, MetricsQuery
from agbotkit.db.url import parse_storage_url
from agbotkit.model.metrics import Metric, MetricType, labels_key
from agbotkit.storage.spill import SpillFile

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
# 2026-03-02T00:00:00Z: a day boundary, so a day of data fills exactly one daily partition.
DAY_START_MS = 1_772_409_600_000
BATCH_SIZES = (5_000, 10_000)
ROWS = 500_000
QUICK_ROWS = 100_000
RUNS = 3
QUERY_REPEATS = 30
QUICK_QUERY_REPEATS = 10
WARMUP = 3
# A query case stops early (after at least MIN_REPEATS calls) once its calls have taken this
# long, so that one very slow query cannot stretch the run to many minutes; its line says so.
CASE_BUDGET_S = 15.0
MIN_REPEATS = 5
NOISE_SERIES = 5
INGEST_TARGETS = {"sqlite": 300_000, "postgresql": 150_000}
P50_TARGET_MS = 20.0

# (name, type, labels) of the ingested series: 50 in all, the kind a stack emits.
_FEEDS = (("clob", "market"), ("clob", "user"), ("rtds", "prices"), ("gamma", "markets"))
_PER_FEED = (
    ("lag_ms", MetricType.GAUGE),
    ("messages", MetricType.COUNTER),
    ("bytes", MetricType.COUNTER),
    ("reconnects", MetricType.COUNTER),
    ("decode_us", MetricType.HISTOGRAM),
    ("queue_depth", MetricType.GAUGE),
    ("books", MetricType.GAUGE),
    ("errors", MetricType.COUNTER),
    ("frame_size", MetricType.HISTOGRAM),
    ("last_message_age_ms", MetricType.GAUGE),
)
_OTHERS = (
    ("bus.published", MetricType.COUNTER, {"topic": "market_data"}),
    ("bus.published", MetricType.COUNTER, {"topic": "metrics"}),
    ("bus.dropped", MetricType.COUNTER, {"topic": "market_data"}),
    ("bus.dropped", MetricType.COUNTER, {"topic": "metrics"}),
    ("risk.exposure_usd", MetricType.GAUGE, {"component": "risk"}),
    ("risk.open_orders", MetricType.GAUGE, {"component": "risk"}),
    ("risk.denied", MetricType.COUNTER, {"component": "risk"}),
    ("storage.rows_written", MetricType.COUNTER, {"component": "storage", "table": "metrics"}),
    ("storage.queue_depth", MetricType.GAUGE, {"component": "storage"}),
    ("dashboard.clients", MetricType.GAUGE, {"component": "dashboard"}),
)
SERIES: list[tuple[str, MetricType, dict[str, str]]] = [
    (f"polymarket.{feed}.{metric}", kind, {"feed": feed, "component": component})
    for feed, component in _FEEDS
    for metric, kind in _PER_FEED
] + list(_OTHERS)
assert len(SERIES) == 50


# -- data -----------------------------------------------------------------------------------


def ingest_metrics(rows: int, start_ms: int = DAY_START_MS) -> list[Metric]:
    """``rows`` samples: every series once a second, timestamps increasing."""
    rng = random.Random(11)
    series = [(name, kind, labels_key(labels)) for name, kind, labels in SERIES]
    metrics = []
    for i in range(rows):
        tick, index = divmod(i, len(series))
        name, kind, labels = series[index]
        value = tick * 3.0 if kind is MetricType.COUNTER else rng.uniform(0.0, 250.0)
        metrics.append(Metric(start_ms + 1000 * tick, kind, name, value, labels))
    return metrics


def batches(metrics: list[Metric], size: int) -> list[list[Metric]]:
    return [metrics[i : i + size] for i in range(0, len(metrics), size)]


def query_day(target: str) -> list[Metric]:
    """A day of 1 s points of ``target`` and of NOISE_SERIES other series, interleaved."""
    rng = random.Random(5)
    names = [target] + [f"polymarket.noise_{n}.lag_ms" for n in range(NOISE_SERIES)]
    labels = labels_key({"feed": "clob", "component": "market"})
    metrics = []
    for second in range(DAY_MS // 1000):
        ts = DAY_START_MS + 1000 * second
        for name in names:
            metrics.append(Metric(ts, MetricType.GAUGE, name, rng.uniform(0, 250), labels))
    return metrics


# -- backends -------------------------------------------------------------------------------


class Skipped(Exception):
    """A backend that cannot run here (the message says why)."""


@contextlib.contextmanager
def sqlite_databases() -> Iterator[Callable[[str], str]]:
    """Yield a factory of new SQLite database URLs (files in a temporary folder)."""
    with tempfile.TemporaryDirectory(prefix="agbotkit-bench-") as folder:
        yield lambda name: f"sqlite:///{Path(folder, name + '.db')}"


@contextlib.contextmanager
def postgres_databases(settings: dict[str, str] | None) -> Iterator[Callable[[str], str]]:
    """Yield a factory of new databases on a throwaway server (``None``: FAST_SETTINGS)."""
    from agbotkit.testing.postgres import (
        POSTGRES_MISSING,
        ThrowawayPostgres,
        find_postgres_binaries,
    )

    binaries = find_postgres_binaries()
    if binaries is None:
        raise Skipped(POSTGRES_MISSING)
    try:
        import psycopg  # noqa: F401 - the storage extra
    except ImportError as exc:
        raise Skipped(
            f"psycopg is not installed ({exc}): pip install agbotkit[postgresql]"
        ) from None
    with ThrowawayPostgres(binaries, settings=settings) as server:
        yield server.create_database


def open_new(url: str) -> StorageBackend:
    """The backend of ``url``, with the schema created."""
    backend = open_backend(parse_storage_url(url), timescaledb="off")
    try:
        upgrade(backend)
    except BaseException:
        backend.close()
        raise
    return backend


# -- measurements ---------------------------------------------------------------------------


def ingest_once(backend: StorageBackend, chunks: Sequence[list[Metric]]) -> float:
    """Seconds spent in ``write_metrics`` writing ``chunks``."""
    write = backend.write_metrics
    elapsed = 0.0
    for chunk in chunks:
        t0 = time.perf_counter()
        written = write(chunk)
        elapsed += time.perf_counter() - t0
        if written != len(chunk):
            raise RuntimeError(f"write_metrics wrote {written} of {len(chunk)} rows")
    return elapsed


def bench_ingest(
    new_url: Callable[[str], str], label: str, target: int, rows: int, runs: int, tag: str
) -> None:
    metrics = ingest_metrics(rows)
    for size in BATCH_SIZES:
        chunks = batches(metrics, size)
        rates = []
        for run in range(runs):
            backend = open_new(new_url(f"ingest_{tag}_{size}_{run}"))
            try:
                rates.append(rows / ingest_once(backend, chunks))
                stored = backend.count_rows("metrics")
                if stored != rows:
                    raise RuntimeError(f"{stored} rows stored, {rows} written")
            finally:
                backend.close()
        print(
            f"storage.{label}.ingest_batch_{size}: {max(rates):,.0f} rows/s best, "
            f"{statistics.median(rates):,.0f} median of {runs} runs of {rows:,} rows "
            f"(target >= {target:,})",
            flush=True,
        )


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def bench_queries(new_url: Callable[[str], str], label: str, repeats: int, tag: str) -> None:
    target = "polymarket.clob.lag_ms"
    backend = open_new(new_url(f"query_{tag}"))
    try:
        for chunk in batches(query_day(target), 10_000):
            backend.write_metrics(chunk)
        day_end = DAY_START_MS + DAY_MS - 1
        noon = DAY_START_MS + 12 * HOUR_MS
        cases = (
            ("query_day", MetricsQuery(target, DAY_START_MS, day_end), 86_400),
            ("query_day_1000", MetricsQuery(target, DAY_START_MS, day_end, max_points=1000), 1000),
            ("query_hour", MetricsQuery(target, noon, noon + HOUR_MS - 1), 3_600),
        )
        for name, query, expected in cases:
            warm_up_start = time.perf_counter()
            for _ in range(WARMUP):
                result = backend.query_metrics(query)
                if time.perf_counter() - warm_up_start > 1.0:
                    break  # a slow query is warm after one call; the budget is for timing
            points = sum(len(series.timestamps) for series in result)
            if len(result) != 1 or points != expected:
                raise RuntimeError(
                    f"{name}: expected 1 series of {expected} points, got {len(result)} "
                    f"series of {points}"
                )
            timings: list[float] = []
            while len(timings) < repeats:
                t0 = time.perf_counter()
                backend.query_metrics(query)
                timings.append((time.perf_counter() - t0) * 1000)
                if len(timings) >= MIN_REPEATS and sum(timings) > CASE_BUDGET_S * 1000:
                    break
            cut = "" if len(timings) == repeats else f" (cut short: {CASE_BUDGET_S:.0f} s budget)"
            timings.sort()
            print(
                f"storage.{label}.{name}: p50 {percentile(timings, 0.5):,.1f} ms, "
                f"p99 {percentile(timings, 0.99):,.1f} ms over {len(timings)} calls{cut}, "
                f"{expected:,} points of 1 series among {1 + NOISE_SERIES} "
                f"(target p50 <= {P50_TARGET_MS:.0f})",
                flush=True,
            )
    finally:
        backend.close()


def run_backend(
    label: str,
    databases: Callable[[], contextlib.AbstractContextManager[Callable[[str], str]]],
    target: int,
    args: argparse.Namespace,
    *,
    queries: bool = True,
) -> None:
    """Run the numbers of one backend; print why when it cannot run or fails."""
    rows = QUICK_ROWS if args.quick else ROWS
    repeats = QUICK_QUERY_REPEATS if args.quick else QUERY_REPEATS
    t0 = time.perf_counter()
    try:
        with databases() as new_url:
            tag = label.replace("-", "_").replace(".", "_")
            bench_ingest(new_url, label, target, rows, args.runs, tag)
            if queries:
                bench_queries(new_url, label, repeats, tag)
    except Skipped as exc:
        print(f"storage.{label}: skipped: {exc}", flush=True)
        return
    except Exception as exc:  # report it and go on to the next backend
        print(f"storage.{label}: FAILED: {type(exc).__name__}: {exc}", flush=True)
        if args.traceback:
            traceback.print_exc()
        return
    print(f"  ({label}: {time.perf_counter() - t0:.0f} s)", flush=True)


def bench_journal(repeats: int) -> None:
    """The spill journal: what one durable (fsync'd) append of N fills costs. While the
    database is away every order and fill goes there before it is accepted."""
    with tempfile.TemporaryDirectory() as folder:
        spill = SpillFile(Path(folder) / "spill.jsonl")
        for count in (1, 100, 1_000):
            fills = [
                FillRecord(
                    id=f"f{count}-{i}", timestamp_ms=1_767_225_600_000 + i, order_id=f"o{i}", venue="paper",
                    market="0xmarket", token_id="123", side="BUY", price=Decimal("0.55"),
                    size=Decimal("10"), fee=None, taker=True,
                )
                for i in range(count)
            ]  # fmt: skip
            took = []
            for _ in range(repeats):
                started = time.perf_counter()
                spill.append(fills)
                took.append((time.perf_counter() - started) * 1000)
                spill.clear()
            print(
                f"storage.journal.append_{count}: p50 {statistics.median(took):.1f} ms "
                f"per fsync'd append of {count} fill(s), {repeats} appends",
                flush=True,
            )


def main(argv: Sequence[str] | None = None) -> None:
    """Print the storage numbers of SQLite, then of PostgreSQL (durable, then fast)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rows and repetitions")
    parser.add_argument("--runs", type=int, default=RUNS, help="ingestion runs per case")
    parser.add_argument("--no-postgres", action="store_true", help="run SQLite only")
    parser.add_argument("--traceback", action="store_true", help="print a failure's traceback")
    args = parser.parse_args(argv)

    bench_journal(10 if args.quick else 50)
    run_backend("sqlite", sqlite_databases, INGEST_TARGETS["sqlite"], args)
    if args.no_postgres:
        return
    run_backend(
        "postgresql",
        lambda: postgres_databases({}),  # durable: the server's defaults (fsync on)
        INGEST_TARGETS["postgresql"],
        args,
    )
    run_backend(
        "postgresql-fast-settings",  # for comparison only: fsync off, as the tests run
        lambda: postgres_databases(None),
        INGEST_TARGETS["postgresql"],
        args,
        queries=False,
    )


if __name__ == "__main__":
    main()
