"""Tests of agbotkit.timeseries against a plain-list reference model."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from agbotkit.errors import AgbotkitError, OutOfOrderError, TimeSeriesError
from agbotkit.model.metrics import Metric, labels_key
from agbotkit.timeseries.series import Points, TimeSeries
from agbotkit.timeseries.store import SeriesStore

Point = tuple[int, float]


def downsample(points: list[Point], max_points: int) -> list[Point]:
    """The documented rule: the newest point of each of ``max_points`` equal buckets."""
    count = len(points)
    if count <= max_points:
        return points
    return [points[(k + 1) * count // max_points - 1] for k in range(max_points)]


def as_list(points: Points) -> list[Point]:
    assert points.timestamps.dtype == np.int64
    assert points.values.dtype == np.float64
    assert len(points.timestamps) == len(points.values)
    return list(zip(points.timestamps.tolist(), points.values.tolist(), strict=True))


class Model:
    """The reference: a list of (timestamp, value), oldest first, trimmed to capacity."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.points: list[Point] = []

    def append(self, timestamp_ms: int, value: float) -> None:
        self.points.append((timestamp_ms, value))
        del self.points[: -self.capacity]

    def last(self, n: int) -> list[Point]:
        return self.points[::-1][:n]

    def range(self, start_ms: int, end_ms: int, max_points: int) -> list[Point]:
        hits = [p for p in self.points if start_ms <= p[0] <= end_ms]
        return downsample(hits, max_points)


def filled(capacity: int, timestamps: list[int]) -> tuple[TimeSeries, Model]:
    series, model = TimeSeries(capacity), Model(capacity)
    for i, t in enumerate(timestamps):
        series.append(t, float(i))
        model.append(t, float(i))
    return series, model


class TimeSeriesMachine(RuleBasedStateMachine):
    """Random appends, batches and queries, compared with :class:`Model` after each step."""

    series: TimeSeries
    model: Model

    @initialize(capacity=st.integers(1, 9))
    def create(self, capacity: int) -> None:
        self.series = TimeSeries(capacity)
        self.model = Model(capacity)

    def newest(self) -> int:
        return self.model.points[-1][0] if self.model.points else 0

    @rule(step=st.integers(-3, 3), value=st.floats(allow_nan=False))
    def append(self, step: int, value: float) -> None:
        timestamp = self.newest() + step
        if self.model.points and step < 0:
            with pytest.raises(OutOfOrderError, match="older than the newest"):
                self.series.append(timestamp, value)
        else:
            self.series.append(timestamp, value)
            self.model.append(timestamp, value)

    @rule(steps=st.lists(st.integers(0, 2), max_size=25), back=st.booleans())
    def append_many(self, steps: list[int], back: bool) -> None:
        start = self.newest() - (1 if back and self.model.points and steps else 0)
        deltas = np.array([0, *steps[1:]], dtype=np.int64)[: len(steps)]
        timestamps = np.cumsum(deltas) + start  # the batch starts at ``start``
        values = np.arange(len(steps), dtype=np.float64) * 0.5
        if start < self.newest():
            with pytest.raises(OutOfOrderError):
                self.series.append_many(timestamps, values)
            return
        self.series.append_many(timestamps, values)
        for t, v in zip(timestamps.tolist(), values.tolist(), strict=True):
            self.model.append(t, v)

    @rule(n=st.integers(0, 12), use_out=st.booleans())
    def query_last(self, n: int, use_out: bool) -> None:
        if use_out:
            room = min(n, self.series.capacity)
            out_ts, out_values = np.full(room, -1, np.int64), np.full(room, -1.0)
            got = self.series.query_last(n, out_ts=out_ts, out_values=out_values)
            assert got.timestamps.base is out_ts
            assert got.values.base is out_values
        else:
            got = self.series.query_last(n)
        assert as_list(got) == self.model.last(n)

    @precondition(lambda self: bool(self.model.points))
    @rule(
        data=st.data(),
        max_points=st.integers(1, 10),
        use_out=st.booleans(),
    )
    def query_range(self, data: st.DataObject, max_points: int, use_out: bool) -> None:
        # Draw bounds near (and often equal to) the stored timestamps.
        stored = [p[0] for p in self.model.points]
        near = st.sampled_from(stored).flatmap(lambda t: st.integers(t - 1, t + 1))
        a, b = data.draw(near), data.draw(near)
        start, end = min(a, b), max(a, b)
        if use_out:
            room = min(max_points, self.series.capacity)
            got = self.series.query_range(
                start, end, max_points, out_ts=np.empty(room, np.int64), out_values=np.empty(room)
            )
        else:
            got = self.series.query_range(start, end, max_points)
        assert as_list(got) == self.model.range(start, end, max_points)

    @invariant()
    def same_size(self) -> None:
        if hasattr(self, "model"):
            assert len(self.series) == len(self.model.points)
            newest = self.model.points[-1][0] if self.model.points else None
            assert self.series.last_timestamp_ms == newest
            everything = self.series.query_range(-(2**70), 2**70, self.series.capacity)
            assert as_list(everything) == self.model.points


TestTimeSeriesMachine = TimeSeriesMachine.TestCase
TestTimeSeriesMachine.settings = settings(max_examples=200, stateful_step_count=40, deadline=None)


# --- examples ---------------------------------------------------------------------------


def test_empty_series() -> None:
    series = TimeSeries(4)
    assert len(series) == 0
    assert series.capacity == 4
    assert series.last_timestamp_ms is None
    assert as_list(series.query_last(3)) == []
    assert as_list(series.query_range(0, 10, 5)) == []


def test_capacity_one_keeps_only_the_newest() -> None:
    series, _ = filled(1, [5, 6, 6, 9])
    assert as_list(series.query_last(5)) == [(9, 3.0)]
    assert as_list(series.query_range(9, 9, 1)) == [(9, 3.0)]
    assert as_list(series.query_range(5, 8, 1)) == []


def test_wraparound_evicts_the_oldest() -> None:
    series, _ = filled(3, [10, 20, 30, 40, 50])
    assert len(series) == 3
    assert as_list(series.query_last(10)) == [(50, 4.0), (40, 3.0), (30, 2.0)]
    assert as_list(series.query_range(0, 100, 10)) == [(30, 2.0), (40, 3.0), (50, 4.0)]
    # The range spans both runs of the ring, with edges equal to stored timestamps.
    assert as_list(series.query_range(40, 50, 10)) == [(40, 3.0), (50, 4.0)]


def test_range_includes_all_duplicates_at_both_edges() -> None:
    series, _ = filled(8, [1, 2, 2, 2, 3, 3, 4])
    assert [t for t, _ in as_list(series.query_range(2, 3, 100))] == [2, 2, 2, 3, 3]
    assert [t for t, _ in as_list(series.query_range(3, 3, 100))] == [3, 3]


def test_equal_timestamps_are_accepted_and_kept_in_arrival_order() -> None:
    series = TimeSeries(4)
    series.append(7, 1.0)
    series.append(7, 2.0)
    assert as_list(series.query_last(2)) == [(7, 2.0), (7, 1.0)]


def test_out_of_order_append_is_refused_and_changes_nothing() -> None:
    series, _ = filled(4, [10, 20])
    with pytest.raises(OutOfOrderError, match=r"timestamp_ms 19 is older .* \(20\)") as info:
        series.append(19, 1.0)
    assert (info.value.timestamp_ms, info.value.newest_ms) == (19, 20)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, AgbotkitError)
    assert as_list(series.query_last(4)) == [(20, 1.0), (10, 0.0)]


def test_downsampling_keeps_the_newest_of_each_bucket() -> None:
    series, _ = filled(16, list(range(10)))
    # 10 points in 3 buckets: [0, 3), [3, 6), [6, 10) -> points 2, 5, 9.
    assert [t for t, _ in as_list(series.query_range(0, 9, 3))] == [2, 5, 9]
    assert [t for t, _ in as_list(series.query_range(0, 9, 1))] == [9]
    # 10 points in 9 buckets: eight of one point, then [8, 10).
    assert [t for t, _ in as_list(series.query_range(0, 9, 9))] == [0, 1, 2, 3, 4, 5, 6, 7, 9]


@given(
    count=st.integers(2, 300),
    max_points=st.integers(1, 300),
    evicted=st.integers(0, 300),
)
def test_downsampling_is_even_and_ends_with_the_newest(
    count: int, max_points: int, evicted: int
) -> None:
    series, _ = filled(count, list(range(count + evicted)))  # wraps when evicted > 0
    got = series.query_range(evicted, evicted + count - 1, max_points).timestamps.tolist()
    assert len(got) == min(count, max_points)
    assert got[-1] == evicted + count - 1
    gaps = np.diff(got)
    assert (gaps > 0).all()
    if count > max_points:
        # Bucket sizes differ by at most one point.
        if max_points > 1:
            assert gaps.max() - gaps.min() <= 1
        assert got[0] - evicted + 1 in {count // max_points, count // max_points + 1}


@settings(max_examples=200)
@given(
    capacity=st.integers(1, 12),
    steps=st.lists(st.integers(0, 2), max_size=40),
    cuts=st.lists(st.integers(0, 40), max_size=4),
)
def test_append_many_equals_single_appends(
    capacity: int, steps: list[int], cuts: list[int]
) -> None:
    timestamps = np.cumsum(np.array(steps, dtype=np.int64))
    values = np.arange(len(steps), dtype=np.float64)
    single = TimeSeries(capacity)
    for t, v in zip(timestamps.tolist(), values.tolist(), strict=True):
        single.append(t, v)
    batched = TimeSeries(capacity)
    bounds = [0, *sorted(min(c, len(steps)) for c in cuts), len(steps)]
    for lo, hi in itertools.pairwise(bounds):
        batched.append_many(timestamps[lo:hi], values[lo:hi])
    assert len(batched) == len(single)
    assert batched.last_timestamp_ms == single.last_timestamp_ms
    assert as_list(batched.query_last(capacity)) == as_list(single.query_last(capacity))
    # Later appends land in the same place too.
    nxt = int(timestamps[-1]) if len(steps) else 0
    single.append(nxt, -1.0)
    batched.append(nxt, -1.0)
    assert as_list(batched.query_last(capacity)) == as_list(single.query_last(capacity))


def test_append_many_bigger_than_capacity_keeps_the_last_points() -> None:
    series = TimeSeries(3)
    series.append(0, 0.0)
    series.append_many(np.arange(1, 11), np.arange(1, 11) * 1.0)
    assert as_list(series.query_last(5)) == [(10, 10.0), (9, 9.0), (8, 8.0)]


def test_append_many_accepts_other_integer_dtypes_and_empty_batches() -> None:
    series = TimeSeries(4)
    series.append_many(np.array([1, 2], dtype=np.uint32), [0.5, 1])
    series.append_many(np.array([], dtype=np.int64), np.array([]))
    series.append_many([3], [2])
    assert as_list(series.query_last(4)) == [(3, 2.0), (2, 1.0), (1, 0.5)]


def test_numpy_scalars_are_accepted() -> None:
    series = TimeSeries(2)
    series.append(np.int64(5), np.float32(1.5))  # type: ignore[arg-type]  # numpy scalars
    series.append(6, 2)
    assert as_list(series.query_range(np.int32(5), np.int64(6), np.int16(5))) == [  # type: ignore[arg-type]  # numpy scalars
        (5, 1.5),
        (6, 2.0),
    ]


def test_bounds_beyond_int64_match_everything() -> None:
    series, _ = filled(4, [-5, 0, 5])
    assert len(series.query_range(-(2**80), 2**80, 10).timestamps) == 3


# --- invalid arguments ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("capacity", "match"),
    [
        (0, "capacity must be >= 1, got 0"),
        (-3, "capacity must be >= 1, got -3"),
        (2.0, "capacity must be an integer, got float 2.0"),
        (True, "capacity must be an integer, got bool True"),
    ],
)
def test_invalid_capacity(capacity: object, match: str) -> None:
    with pytest.raises(TimeSeriesError, match=match):
        TimeSeries(capacity)  # type: ignore[arg-type]  # testing the runtime check


@pytest.mark.parametrize(
    ("timestamp", "match"),
    [
        (math.nan, "timestamp_ms must be a finite integer, got nan"),
        (math.inf, "timestamp_ms must be a finite integer, got inf"),
        (-math.inf, "timestamp_ms must be a finite integer, got -inf"),
        (1.5, r"timestamp_ms must be an integer \(milliseconds\), got float 1.5"),
        (2.0, r"timestamp_ms must be an integer \(milliseconds\), got float 2.0"),
        ("3", "timestamp_ms must be an integer, got str '3'"),
        (True, "timestamp_ms must be an integer, got bool True"),
        (2**63, "timestamp_ms 9223372036854775808 does not fit a signed 64-bit int"),
        (-(2**63) - 1, "does not fit a signed 64-bit int"),
    ],
)
def test_invalid_timestamp(timestamp: object, match: str) -> None:
    series = TimeSeries(2)
    with pytest.raises(TimeSeriesError, match=match):
        series.append(timestamp, 1.0)  # type: ignore[arg-type]  # testing the runtime check
    assert len(series) == 0


@pytest.mark.parametrize(
    ("value", "match"),
    [("1.5", "value must be a real number, got str '1.5'"), (10**400, "does not fit a float64")],
)
def test_invalid_value(value: object, match: str) -> None:
    series = TimeSeries(2)
    with pytest.raises(TimeSeriesError, match=match):
        series.append(1, value)  # type: ignore[arg-type]  # testing the runtime check
    assert len(series) == 0


def test_nan_values_are_stored() -> None:
    series = TimeSeries(2)
    series.append(1, math.nan)
    assert math.isnan(series.query_last(1).values[0])


@pytest.mark.parametrize(
    ("n", "match"),
    [(-1, "n must be >= 0, got -1"), (1.0, "n must be an integer, got float 1.0")],
)
def test_invalid_query_last(n: object, match: str) -> None:
    with pytest.raises(TimeSeriesError, match=match):
        TimeSeries(2).query_last(n)  # type: ignore[arg-type]  # testing the runtime check


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((5, 4, 10), "start_ms 5 is after end_ms 4"),
        ((0, 4, 0), "max_points must be >= 1, got 0"),
        ((0, 4, -2), "max_points must be >= 1, got -2"),
        ((math.nan, 4, 1), "start_ms must be a finite integer, got nan"),
        ((0, math.inf, 1), "end_ms must be a finite integer, got inf"),
        ((0.5, 4, 1), r"start_ms must be an integer \(milliseconds\), got float 0.5"),
    ],
)
def test_invalid_query_range(args: tuple[object, object, object], match: str) -> None:
    with pytest.raises(TimeSeriesError, match=match):
        TimeSeries(2).query_range(*args)  # type: ignore[arg-type]  # testing the runtime check


@pytest.mark.parametrize(
    ("timestamps", "values", "match"),
    [
        (np.array([1, 2]), np.array([1.0]), r"differ in length \(2 != 1\)"),
        (np.array([[1, 2]]), np.array([[1.0, 2.0]]), "must be 1-D arrays"),
        (np.array([1.0, 2.0]), np.array([1.0, 2.0]), "integer array .* got dtype float64"),
        (np.array([1, 3, 2]), np.array([1.0, 2.0, 3.0]), "must be sorted non-decreasing"),
        (np.array([2**64 - 1], dtype=np.uint64), np.array([1.0]), "do not fit a signed 64-bit"),
        (np.array([4, 5]), np.array([1.0, 2.0]), "timestamp_ms 4 is older than the newest"),
    ],
)
def test_invalid_append_many_changes_nothing(
    timestamps: np.ndarray, values: np.ndarray, match: str
) -> None:
    series, _ = filled(3, [1, 5])
    with pytest.raises(TimeSeriesError, match=match):
        series.append_many(timestamps, values)
    assert as_list(series.query_last(3)) == [(5, 1.0), (1, 0.0)]


# --- caller-provided output arrays ------------------------------------------------------


def test_query_last_writes_into_caller_arrays() -> None:
    series, _ = filled(4, [1, 2, 3])
    out_ts, out_values = np.zeros(4, np.int64), np.zeros(4)
    got = series.query_last(4, out_ts=out_ts, out_values=out_values)
    assert got.timestamps.base is out_ts
    assert got.values.base is out_values
    assert out_ts.tolist() == [3, 2, 1, 0]  # the tail beyond the filled prefix is untouched
    assert out_values.tolist() == [2.0, 1.0, 0.0, 0.0]


def test_query_range_writes_into_caller_arrays_also_when_downsampling() -> None:
    series, _ = filled(5, list(range(8)))  # wrapped: holds 3..7
    out_ts = np.zeros(2, np.int64)
    got = series.query_range(0, 100, 2, out_ts=out_ts)
    assert got.timestamps.base is out_ts
    assert out_ts.tolist() == [4, 7]
    assert got.values.tolist() == [4.0, 7.0]


def test_output_arrays_need_room_for_the_most_a_call_can_return() -> None:
    series = TimeSeries(10)
    # Room is checked against min(n, capacity) even while the series is empty.
    with pytest.raises(TimeSeriesError, match=r"out_ts has room for 2 points, .* room for 3"):
        series.query_last(3, out_ts=np.empty(2, np.int64))
    with pytest.raises(TimeSeriesError, match=r"out_values has room for 4 points, .* room for 5"):
        series.query_range(0, 1, 5, out_values=np.empty(4))
    # n beyond capacity only needs room for capacity.
    assert len(series.query_last(100, out_ts=np.empty(10, np.int64)).timestamps) == 0


@pytest.mark.parametrize(
    "out_ts",
    [np.empty(3, np.int32), np.empty(3, np.float64), np.empty((3, 1), np.int64), [0, 0, 0]],
)
def test_output_arrays_of_the_wrong_kind(out_ts: object) -> None:
    with pytest.raises(TimeSeriesError, match="out_ts must be a 1-D numpy array of int64"):
        TimeSeries(3).query_last(3, out_ts=out_ts)  # type: ignore[arg-type]  # runtime check


# --- SeriesStore ------------------------------------------------------------------------


def test_store_keys_series_by_name_and_labels() -> None:
    store = SeriesStore(capacity_per_series=3, max_series=10)
    assert (store.capacity_per_series, store.max_series) == (3, 10)
    a, b = labels_key({"market": "a"}), labels_key({"market": "b"})
    assert store.append("lag", a, 1, 1.0)
    assert store.append("lag", b, 1, 2.0)
    assert store.append("lag", a, 2, 3.0)
    assert store.append_metric(Metric.gauge("depth", 4.0, 5, {"market": "a"}))
    assert len(store) == 3
    assert store.series_keys() == [("lag", a), ("lag", b), ("depth", a)]
    series = store.get("lag", a)
    assert series is not None
    assert series.capacity == 3
    assert as_list(series.query_last(5)) == [(2, 3.0), (1, 1.0)]
    assert store.get("lag", labels_key({"market": "c"})) is None
    assert store.get("nope", a) is None


def test_store_refuses_new_series_beyond_the_cap_and_counts_each_refusal() -> None:
    store = SeriesStore(capacity_per_series=2, max_series=2)
    assert store.append("m", (("i", "0"),), 1, 0.0)
    assert store.append("m", (("i", "1"),), 1, 0.0)
    for i in range(2, 7):
        assert not store.append("m", (("i", str(i)),), 1, 0.0)
    assert not store.append("other", (), 1, 0.0)
    assert store.refused_series == 6
    assert len(store) == 2
    # Existing series still take samples.
    assert store.append("m", (("i", "1"),), 2, 1.0)
    assert store.refused_series == 6


def test_store_counts_and_drops_out_of_order_points() -> None:
    store = SeriesStore(capacity_per_series=4, max_series=2)
    assert store.append("m", (), 10, 1.0)
    assert not store.append("m", (), 9, 2.0)
    assert store.append("m", (), 10, 3.0)
    assert store.rejected_points == 1
    series = store.get("m", ())
    assert series is not None
    assert as_list(series.query_last(4)) == [(10, 3.0), (10, 1.0)]


def test_store_does_not_create_a_series_for_an_invalid_sample() -> None:
    store = SeriesStore(capacity_per_series=4, max_series=2)
    with pytest.raises(TimeSeriesError, match="finite integer"):
        store.append("m", (), math.nan, 1.0)  # type: ignore[arg-type]  # runtime check
    assert len(store) == 0
    assert store.series_keys() == []


def test_store_find_matches_all_given_labels() -> None:
    store = SeriesStore(capacity_per_series=2, max_series=10)
    keys = [
        labels_key({"market": "a", "side": "buy"}),
        labels_key({"market": "a", "side": "sell"}),
        labels_key({"market": "b", "side": "buy"}),
    ]
    for labels in keys:
        store.append("fills", labels, 1, 1.0)
    store.append("other", keys[0], 1, 1.0)
    assert [labels for labels, _ in store.find("fills", {"market": "a"})] == keys[:2]
    assert [labels for labels, _ in store.find("fills", {"side": "buy"})] == [keys[0], keys[2]]
    assert [labels for labels, _ in store.find("fills", {"market": "a", "side": "buy"})] == [
        keys[0]
    ]
    assert store.find("fills", {"market": "c"}) == []
    assert store.find("fills", {"venue": "x"}) == []
    assert [labels for labels, _ in store.find("fills", {})] == keys
    assert store.find("missing", {}) == []
    found = store.find("other", {"market": "a"})
    assert found[0][1] is store.get("other", keys[0])


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((0, 5), "capacity_per_series must be >= 1, got 0"),
        ((5, 0), "max_series must be >= 1, got 0"),
        ((5, -1), "max_series must be >= 1, got -1"),
    ],
)
def test_invalid_store_arguments(args: tuple[int, int], match: str) -> None:
    with pytest.raises(TimeSeriesError, match=match):
        SeriesStore(*args)
