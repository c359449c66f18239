"""The contract every storage backend keeps: SQLite, PostgreSQL, TimescaleDB alike.

Each test runs once per backend (see conftest.py). Expected results are computed here, in
plain Python, from the rows the test wrote: never from backend code. Each test takes a
database of its own (on PostgreSQL, a CREATE DATABASE), so the cases of one behaviour share
theirs, and each assertion says which case failed.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import pytest
from attrs import evolve

from agbotkit.db.backend import ExecutionBatch, StorageBackend
from agbotkit.db.migrations import upgrade
from agbotkit.db.records import (
    TABLES,
    ExecutionQuery,
    FillRecord,
    MetricsQuery,
    OrderRecord,
    OrderStatus,
    PositionRecord,
    Series,
)
from agbotkit.errors import StorageError
from agbotkit.model.feeds import RawFrame
from agbotkit.model.metrics import Labels, Metric

DAY_MS = 86_400_000
#: 2026-01-01T00:00:00Z. The tests' rows lie in the four days from here, which maintain()
#: (called with this time) prepares on partitioned PostgreSQL.
DAY0 = 1_767_225_600_000
T0 = DAY0 + 3_600_000


@pytest.fixture
def db(backend: StorageBackend) -> StorageBackend:
    """The backend under test with the latest schema, ready for rows of DAY0 to DAY0 + 3."""
    upgrade(backend)
    backend.maintain(DAY0)
    return backend


# -- metrics: a reference implementation of MetricsQuery --------------------------------


def name_matcher(pattern: str) -> Callable[[str], bool]:
    """``*`` matches any run of characters; every other character only itself."""
    regex = re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)
    return lambda name: regex.fullmatch(name) is not None


def expected_series(
    metrics: Iterable[Metric],
    pattern: str,
    start: int,
    end: int,
    labels: Mapping[str, str] | None = None,
    max_points: int | None = None,
) -> list[Series]:
    matches = name_matcher(pattern)
    points: dict[tuple[str, Labels], list[tuple[int, float]]] = {}
    for m in metrics:
        if not matches(m.name) or not start <= m.timestamp_ms <= end:
            continue
        if any(dict(m.labels).get(key) != value for key, value in (labels or {}).items()):
            continue
        points.setdefault((m.name, m.labels), []).append((m.timestamp_ms, m.value))
    result = []
    for (name, series_labels), found in sorted(points.items()):
        found.sort()
        if max_points is not None:
            newest: dict[int, tuple[int, float]] = {}
            for t, v in found:  # ascending: the last one written per bucket is the newest
                newest[(t - start) * max_points // (end - start + 1)] = (t, v)
            found = sorted(newest.values())
        result.append(Series(name, series_labels, [t for t, _ in found], [v for _, v in found]))
    return result


def gauge(name: str, t: int, value: float, **labels: str) -> Metric:
    return Metric.gauge(name, value, t, labels)


def test_upgrade_creates_every_table(db: StorageBackend) -> None:
    assert {table: db.count_rows(table) for table in TABLES} == dict.fromkeys(TABLES, 0)


def test_unknown_table_is_refused(db: StorageBackend) -> None:
    for table in ("nope", "metrics; DROP TABLE orders", "agbotkit_schema_migrations"):
        with pytest.raises(StorageError, match="table"):
            db.count_rows(table)
    assert db.count_rows("orders") == 0


def test_empty_writes_write_nothing(db: StorageBackend) -> None:
    written = db.write_metrics([]), db.write_frames([]), db.write_execution(ExecutionBatch())
    assert written == (0, 0, 0)


LABELLED = [
    gauge("lag", T0 + 1, 1.5, venue="pm", feed="clob"),
    gauge("lag", T0 + 2, 2.5, venue="pm", feed="rtds"),
    gauge("lag", T0 + 3, 3.5, venue="kalshi"),
    gauge("lag", T0 + 4, 4.5),
    gauge("lag", T0 + 5, -0.1, **{"a.b": "dotted", "unicode": "é✓"}),
    # The text "k":"v" occurs in this one's JSON, inside its key: it must not match k=v.
    gauge("lag", T0 + 6, 6.5, **{'x"k': "v"}),
    gauge("lag", T0 + 7, 7.5, k="v", venue="pm"),
    gauge("lag", T0 + 8, 8.25, venue="pm", feed="clob"),
    gauge("other", T0 + 1, 9.0, venue="pm", feed="clob"),
]

LABEL_FILTERS: list[dict[str, str]] = [
    {}, {"venue": "pm"}, {"venue": "pm", "feed": "clob"}, {"feed": "rtds"},
    {"venue": "nope"}, {"missing": "x"}, {"venue": "pm", "missing": "x"},
    {"a.b": "dotted"}, {"unicode": "é✓"}, {"k": "v"}, {'x"k': "v"},
]  # fmt: skip


def test_metrics_labels_filter(db: StorageBackend) -> None:
    assert db.write_metrics(LABELLED) == len(LABELLED)
    for labels, max_points in itertools.product(LABEL_FILTERS, (None, 3)):
        query = MetricsQuery("lag", T0, T0 + 10, labels=labels, max_points=max_points)
        expected = expected_series(LABELLED, "lag", T0, T0 + 10, labels, max_points)
        assert db.query_metrics(query) == expected, query


def test_metrics_round_trip_exact_values(db: StorageBackend) -> None:
    rng = random.Random(11)
    values = [rng.uniform(-1e9, 1e9) for _ in range(50)] + [0.1, 1e-300, -0.0, 2.0**53 + 1, 1e308]
    written = [gauge("exact", T0 + i, v, id="1") for i, v in enumerate(values)]
    db.write_metrics(written)
    (series,) = db.query_metrics(MetricsQuery("exact", T0, T0 + len(values)))
    assert series.values == values
    assert series.timestamps == [T0 + i for i in range(len(values))]
    assert series.labels == (("id", "1"),)


NAMES = ["a_b", "axb", "a%b", "aXYb", "x[1]", "x1", "x?", "xy", "a.b.c", "a.c", "back\\slash"]
PATTERNS = [
    "a_b", "a%b", "a_*", "a%*", "x[1]", "x?", "x[*", "a*b", "*", "a.*", "*.c", "back\\*", "zz*",
]  # fmt: skip


def test_metrics_name_wildcards(db: StorageBackend) -> None:
    metrics = [gauge(name, T0 + i, float(i)) for i, name in enumerate(NAMES)]
    db.write_metrics(metrics)
    for pattern in PATTERNS:
        got = db.query_metrics(MetricsQuery(pattern, T0, T0 + 100))
        assert got == expected_series(metrics, pattern, T0, T0 + 100), pattern
        if "*" not in pattern:
            assert [s.name for s in got] == [pattern]


def test_metrics_range_is_inclusive_at_both_ends(db: StorageBackend) -> None:
    start, end = T0 + 1_000, T0 + 2_000
    times = [start - 1, start, start + 1, end - 1, end, end + 1]
    metrics = [gauge("edge", t, float(t - T0)) for t in times]
    db.write_metrics(metrics)
    (series,) = db.query_metrics(MetricsQuery("edge", start, end))
    assert series.timestamps == [start, start + 1, end - 1, end]
    (single,) = db.query_metrics(MetricsQuery("edge", end, end))
    assert single.timestamps == [end]
    assert db.query_metrics(MetricsQuery("edge", end + 2, end + 100)) == []


def test_metrics_series_order(db: StorageBackend) -> None:
    # Sorted by (name, labels tuple): ("k", "10") before ("k", "2"), no labels first, and a
    # label set before its extensions (JSON text would sort those the other way round).
    metrics = [
        gauge("b", T0 + 1, 1.0),
        gauge("a", T0 + 2, 2.0, k="2"),
        gauge("a", T0 + 3, 3.0, k="10"),
        gauge("a", T0 + 4, 4.0),
        gauge("a", T0 + 5, 5.0, k="2", z="1"),
        gauge("a", T0 + 6, 6.0, j="1"),
        gauge("a", T0 + 7, 7.0, k="2"),
    ]
    db.write_metrics(list(reversed(metrics)))
    got = db.query_metrics(MetricsQuery("*", T0, T0 + 10))
    assert [(s.name, s.labels) for s in got] == [
        ("a", ()), ("a", (("j", "1"),)), ("a", (("k", "10"),)), ("a", (("k", "2"),)),
        ("a", (("k", "2"), ("z", "1"))), ("b", ()),
    ]  # fmt: skip
    assert got == expected_series(metrics, "*", T0, T0 + 10)
    assert got[3].timestamps == [T0 + 2, T0 + 7]


def random_series(rng: random.Random, start: int, end: int) -> list[Metric]:
    """Three series of two names at irregular times, some just outside [start, end]."""
    metrics = []
    for name, labels, count in [
        ("ds.lag", {"feed": "clob"}, 400),
        ("ds.lag", {"feed": "rtds"}, 150),
        ("ds.rate", {}, 40),
    ]:
        inner = [t for t in range(start - 500, end + 500) if t not in (start, end)]
        times = [*rng.sample(inner, count), start, end]  # one point per time and series
        metrics += [gauge(name, t, rng.uniform(-100, 100), **labels) for t in times]
    rng.shuffle(metrics)
    return metrics


def test_metrics_downsampling(db: StorageBackend) -> None:
    start, end = T0 + 10_000, T0 + 19_999
    metrics = random_series(random.Random(5), start, end)
    db.write_metrics(metrics)
    for max_points in (1, 2, 7, 100, 333, 5_000, 50_000):
        for pattern, labels in [("ds.*", {}), ("ds.lag", {}), ("ds.lag", {"feed": "rtds"})]:
            query = MetricsQuery(pattern, start, end, labels=labels, max_points=max_points)
            expected = expected_series(metrics, pattern, start, end, labels, max_points)
            assert db.query_metrics(query) == expected, query
    newest = db.query_metrics(MetricsQuery("ds.*", start, end, max_points=1))
    assert [s.timestamps for s in newest] == [[end]] * 3
    # A range of its own, cutting the data elsewhere.
    query = MetricsQuery("ds.*", start + 777, end - 333, max_points=10)
    assert db.query_metrics(query) == expected_series(
        metrics, "ds.*", start + 777, end - 333, max_points=10
    )


def test_downsampling_more_buckets_than_points_keeps_every_point(db: StorageBackend) -> None:
    start, end = T0, T0 + 999
    metrics = [gauge("sparse", start + 100 * i + 3, float(i)) for i in range(10)]
    db.write_metrics(metrics)
    everything = db.query_metrics(MetricsQuery("sparse", start, end))
    assert len(everything[0].timestamps) == 10
    for n in (50, 2_000):  # 2,000: more buckets than milliseconds, many always empty
        assert db.query_metrics(MetricsQuery("sparse", start, end, max_points=n)) == everything


def test_downsampling_keeps_a_series_never_newest_in_its_buckets(db: StorageBackend) -> None:
    # "front" has the first and the last point of every bucket (37 do not divide the range:
    # buckets differ in width); "behind" only points older than front's newest, in every
    # other bucket. Each bucket still gives one point per series.
    start, end, n = T0, T0 + 9_999, 37
    bounds: dict[int, list[int]] = {}
    for t in range(start, end + 1):
        bounds.setdefault((t - start) * n // (end - start + 1), []).append(t)
    metrics = []
    for bucket, times in sorted(bounds.items()):
        metrics.append(gauge("pair", times[0], -1.0, side="front"))
        metrics.append(gauge("pair", times[-1], float(bucket), side="front"))
        if bucket % 2:
            metrics.append(gauge("pair", times[-1] - 5, -float(bucket), side="behind"))
            metrics.append(gauge("pair", times[-1] - 50, 0.5, side="behind"))
    db.write_metrics(metrics)
    got = db.query_metrics(MetricsQuery("pair", start, end, max_points=n))
    assert got == expected_series(metrics, "pair", start, end, max_points=n)
    assert [len(s.timestamps) for s in got] == [n // 2, n]
    front = MetricsQuery("pair", start, end, labels={"side": "front"}, max_points=n)
    assert db.query_metrics(front) == [got[1]]


def test_metric_names(db: StorageBackend) -> None:
    names = ["b.x", "B.x", "_z", "a.x", "é.x", "a.x"]
    db.write_metrics([gauge(name, T0 + 10 * i, 1.0) for i, name in enumerate(names)])
    assert db.metric_names() == sorted(set(names))
    assert db.metric_names(T0 + 10, T0 + 30) == sorted({"B.x", "_z", "a.x"})
    assert db.metric_names(start_ms=T0 + 31) == sorted({"a.x", "é.x"})
    assert db.metric_names(end_ms=T0) == ["b.x"]
    assert db.metric_names(T0 + 51, T0 + 100) == []


# -- orders, fills, positions -----------------------------------------------------------

# Each record differs from these in the fields given: every field varies somewhere.
ORDER = OrderRecord(
    event_id="e", id="c1", timestamp_ms=T0, venue="polymarket", market="m1", token_id="t1",
    side="BUY", price=Decimal("0.123456"), size=Decimal("10.50"), status=OrderStatus.APPROVED,
)  # fmt: skip
FILL = FillRecord(
    id="f", timestamp_ms=T0, order_id="c1", venue="polymarket", market="m1", token_id="t1",
    side="BUY", price=Decimal("0.123456"), size=Decimal("3.000"),
)  # fmt: skip
POSITION = PositionRecord(
    timestamp_ms=T0, source="risk", token_id="t1", market="m1", size=Decimal("10.5"),
    cost_basis_usd=Decimal("1.296288"), realised_pnl_usd=Decimal("-0.25"),
    fees_usd=Decimal("0.000123"), mark=Decimal("0.55"),
)  # fmt: skip

ORDERS = [
    evolve(ORDER, event_id="e5", size=Decimal("12345678901234.123456789"), strategy="maker", source="risk"),
    evolve(ORDER, event_id="e3", timestamp_ms=T0 + 10, status=OrderStatus.ACCEPTED, venue_order_id="0xabc", strategy="maker", source="exec"),
    evolve(ORDER, event_id="e2", id="c2", timestamp_ms=T0 + 10, venue="kalshi", market="m2", token_id="t2", side="", price=None, size=None, status=OrderStatus.DENIED, reason="max_position: 5 > 4"),
    evolve(ORDER, event_id="e9", id="c3", timestamp_ms=T0 + 10, market="m2", token_id="t3", side="SELL", price=Decimal("0.99"), size=Decimal("1"), status=OrderStatus.REJECTED, reason="insufficient balance", source="exec"),
    evolve(ORDER, event_id="e1", timestamp_ms=T0 + 20, price=Decimal("0.5"), size=Decimal("0.000001"), status="accepted"),
]  # fmt: skip
FILLS = [
    evolve(FILL, id="f1", timestamp_ms=T0 + 30, fee=Decimal("0.000123"), taker=True, source="exec"),
    evolve(FILL, id="f0", timestamp_ms=T0 + 30, price=Decimal("0.124"), size=Decimal("7.5"), fee=None, taker=False),
    evolve(FILL, id="f2", timestamp_ms=T0 + 40, order_id="c3", venue="kalshi", market="m2", token_id="t3", side="SELL", price=Decimal("0.99"), size=Decimal("98765432109876.54321"), fee=Decimal("0")),
]  # fmt: skip
POSITIONS = [
    evolve(POSITION, timestamp_ms=T0 + 50, settled=False),
    evolve(POSITION, timestamp_ms=T0 + 50, token_id="t0", market="m2", size=Decimal("0"), cost_basis_usd=Decimal("0"), realised_pnl_usd=Decimal("12.000001"), fees_usd=Decimal("0"), mark=Decimal("1"), settled=True),
    evolve(POSITION, timestamp_ms=T0 + 50, source="paper", size=Decimal("3"), cost_basis_usd=Decimal("0.37"), realised_pnl_usd=Decimal("0"), mark=Decimal("0.56")),
    evolve(POSITION, timestamp_ms=T0 + 60, size=Decimal("11"), cost_basis_usd=Decimal("1.5"), fees_usd=Decimal("0.01"), mark=Decimal("0.123456")),
]  # fmt: skip


def query(start: int = T0, end: int = T0 + 100, **filters: Any) -> ExecutionQuery:
    return evolve(ExecutionQuery(start_ms=start, end_ms=end), **filters)


EXECUTION_QUERIES = [
    query(), query(T0 + 10, T0 + 30), query(T0 + 11, T0 + 49), query(T0 + 61, T0 + 1_000),
    query(venue="polymarket"), query(venue="kalshi"), query(venue="nope"),
    query(market="m1"), query(market="m2"), query(status="accepted"), query(status="denied"),
    query(order_id="c1"), query(order_id="c3"), query(token_id="t1"), query(token_id="t0"),
    query(market="m1", token_id="t1", order_id="c1"), query(limit=1), query(limit=3),
]  # fmt: skip


class Timed(Protocol):
    @property
    def timestamp_ms(self) -> int: ...


R = TypeVar("R", bound=Timed)


def select(
    records: Sequence[R],
    q: ExecutionQuery,
    filters: Mapping[str, str],
    order: Callable[[R], tuple[object, ...]],
) -> list[R]:
    """Reference: ``records`` in the range, matching the query's filters (query field ->
    record attribute), sorted by ``order``, at most ``limit``."""
    found = [
        r
        for r in records
        if q.start_ms <= r.timestamp_ms <= q.end_ms
        and all(getattr(q, f) in (None, getattr(r, a)) for f, a in filters.items())
    ]
    return sorted(found, key=order)[: q.limit]


@pytest.fixture
def execution_db(db: StorageBackend) -> StorageBackend:
    batch = ExecutionBatch(ORDERS, FILLS, POSITIONS)
    assert db.write_execution(batch) == len(batch)
    return db


def test_query_orders(execution_db: StorageBackend) -> None:
    filters = {"venue": "venue", "market": "market", "status": "status", "order_id": "id"}
    filters["token_id"] = "token_id"
    for q in EXECUTION_QUERIES:
        expected = select(ORDERS, q, filters, lambda r: (r.timestamp_ms, r.event_id))
        got = execution_db.query_orders(q)
        assert got == expected, q
        assert all(type(r.status) is OrderStatus for r in got)


def test_query_fills(execution_db: StorageBackend) -> None:
    # status applies to orders only: fills ignore it.
    filters = {"venue": "venue", "market": "market", "order_id": "order_id", "token_id": "token_id"}
    for q in EXECUTION_QUERIES:
        expected = select(FILLS, q, filters, lambda r: (r.timestamp_ms, r.id))
        got = execution_db.query_fills(q)
        assert got == expected, q
        assert all(type(r.taker) is bool for r in got)
        assert all(r.fee is None or isinstance(r.fee, Decimal) for r in got)


def test_query_positions(execution_db: StorageBackend) -> None:
    filters = {"market": "market", "token_id": "token_id"}
    # Positions have no venue, status or order: those filters are left out here.
    for q in EXECUTION_QUERIES:
        if q.venue is not None or q.status is not None or q.order_id is not None:
            continue
        expected = select(POSITIONS, q, filters, lambda r: (r.timestamp_ms, r.source, r.token_id))
        got = execution_db.query_positions(q)
        assert got == expected, q
        assert all(type(r.settled) is bool for r in got)


def test_execution_round_trip_is_exact(execution_db: StorageBackend) -> None:
    everything = ExecutionQuery(start_ms=T0, end_ms=T0 + 100)
    orders = execution_db.query_orders(everything)
    assert {o.event_id: o for o in orders} == {o.event_id: o for o in ORDERS}
    assert {str(o.price) for o in orders} == {"0.123456", "None", "0.99", "0.5"}
    assert {o.event_id: o.size for o in orders}["e5"] == Decimal("12345678901234.123456789")
    fills = execution_db.query_fills(everything)
    assert {f.id: f for f in fills} == {f.id: f for f in FILLS}
    assert len(execution_db.query_positions(everything)) == len(POSITIONS)


def test_write_execution_is_idempotent(db: StorageBackend) -> None:
    first = ExecutionBatch(ORDERS[:3], FILLS[:2], POSITIONS[:2])
    assert db.write_execution(first) == len(first)
    assert db.write_execution(first) == 0  # a retry after a lost connection stores nothing twice
    second = ExecutionBatch(ORDERS, FILLS, POSITIONS)
    assert db.write_execution(second) == len(second) - len(first)
    counts = {t: db.count_rows(t) for t in ("orders", "fills", "positions")}
    assert counts == {"orders": len(ORDERS), "fills": len(FILLS), "positions": len(POSITIONS)}


# -- raw frames -------------------------------------------------------------------------

FRAMES = [
    RawFrame("clob", T0, '[{"event_type":"book","market":"m1"}]'),
    RawFrame("rtds", T0 + 1, '{"topic":"crypto_prices","payload":{"value":97000.5}}'),
    RawFrame("clob", T0 + 2, "PONG"),
    RawFrame("clob", T0 + 5, '{"text":"é ✓ \\u0000 ' + "x" * 10_000 + '"}'),
    RawFrame("rtds", T0 + 9, ""),
]


def test_frames_round_trip(db: StorageBackend) -> None:
    assert db.write_frames(list(reversed(FRAMES))) == len(FRAMES)
    assert db.count_rows("market_frames") == len(FRAMES)
    for start, end, feed, limit in [
        (T0, T0 + 9, None, 100), (T0 + 1, T0 + 5, None, 100), (T0, T0 + 9, "clob", 100),
        (T0, T0 + 9, "rtds", 100), (T0, T0 + 9, "nope", 100), (T0, T0 + 9, None, 2),
        (T0 + 2, T0 + 9, "clob", 1),
    ]:  # fmt: skip
        expected = [f for f in FRAMES if start <= f.received_ms <= end and feed in (None, f.feed)]
        got = db.query_frames(start, end, feed=feed, limit=limit)
        assert got == expected[:limit], (start, end, feed, limit)
    assert db.query_frames(T0, T0 + 9) == FRAMES  # the default limit


# -- upkeep -----------------------------------------------------------------------------


def test_apply_retention_removes_exactly_the_rows_before_the_cutoffs(
    db: StorageBackend, backend_kind: str
) -> None:
    cutoff = DAY0 + 2 * DAY_MS + 12 * 3_600_000
    offsets = [0, 1, 3_600_000, DAY_MS // 2, DAY_MS - 1]  # of each of four days
    times = [DAY0 + day * DAY_MS + offset for day in range(4) for offset in offsets]
    times += [cutoff - 1, cutoff, cutoff + 1]
    db.write_metrics([gauge("kept", t, 1.0, n=str(i % 3)) for i, t in enumerate(times)])
    db.write_frames([RawFrame("clob", t, "x") for t in times])
    orders = [evolve(ORDER, event_id=f"e{i}", timestamp_ms=t) for i, t in enumerate(times)]
    fills = [evolve(FILL, id=f"f{i}", timestamp_ms=t) for i, t in enumerate(times)]
    db.write_execution(ExecutionBatch(orders, fills))
    below = sum(t < cutoff for t in times)
    below_next = sum(t < cutoff + 1 for t in times)
    assert below_next > below + 1  # two rows sit exactly at the cutoff

    report = db.apply_retention({"metrics": cutoff, "orders": cutoff})

    exact = backend_kind != "timescaledb"  # rows of dropped chunks may go uncounted there
    assert set(report.rows_deleted) == {"metrics", "orders"}
    for table in ("metrics", "orders"):
        if exact:
            assert report.rows_deleted[table] == below
        else:
            assert 0 <= report.rows_deleted[table] <= below
    if backend_kind == "sqlite":
        assert report.partitions_dropped == 0
    if backend_kind == "postgresql":
        # Days 0 and 1 of both tables end at or before the cutoff: whole partitions go.
        assert report.partitions_dropped == 4
    kept = sorted(t for t in times if t >= cutoff)
    everything = ExecutionQuery(start_ms=DAY0 - DAY_MS, end_ms=DAY0 + 5 * DAY_MS)
    assert sorted(o.timestamp_ms for o in db.query_orders(everything)) == kept
    series = db.query_metrics(MetricsQuery("kept", DAY0 - DAY_MS, DAY0 + 5 * DAY_MS))
    assert sorted(t for s in series for t in s.timestamps) == kept
    # The other tables are untouched, their old rows included.
    assert db.count_rows("fills") == db.count_rows("market_frames") == len(times)

    report = db.apply_retention({"fills": cutoff + 1, "market_frames": DAY0})
    assert set(report.rows_deleted) == {"fills", "market_frames"}
    if exact:
        assert report.rows_deleted == {"fills": below_next, "market_frames": 0}
    assert db.count_rows("fills") == len(times) - below_next
    assert db.count_rows("market_frames") == len(times)
    assert [f.received_ms for f in db.query_frames(DAY0, DAY0 + 4 * DAY_MS)] == sorted(times)
    assert db.count_rows("metrics") == db.count_rows("orders") == len(kept)


def test_apply_retention_on_empty_tables(db: StorageBackend) -> None:
    report = db.apply_retention(dict.fromkeys(TABLES, DAY0 + DAY_MS))
    assert report.rows_deleted == dict.fromkeys(TABLES, 0)


def test_maintain_and_configure_retention_are_callable(
    db: StorageBackend, backend_kind: str
) -> None:
    db.write_metrics([gauge("m", T0, 1.0)])
    for _ in range(2):  # both may run again and again
        db.maintain(DAY0 + DAY_MS)
        db.configure_retention({"metrics": 7.0, "market_frames": 1.5})
    db.configure_retention(dict.fromkeys(TABLES, 30.0))
    if backend_kind != "timescaledb":  # there, a policy's job may remove the old row any time
        assert db.query_metrics(MetricsQuery("m", T0, T0))[0].values == [1.0]
