"""MetricsStore: latest samples, history queries, caps and counters."""

from __future__ import annotations

import numpy as np
import pytest

from agbotkit.errors import TimeSeriesError
from agbotkit.metrics.store import MetricsStore
from agbotkit.model.metrics import Metric, MetricType


def test_latest_keeps_the_newest_sample_per_series_sorted() -> None:
    store = MetricsStore()
    assert store.add(Metric.gauge("b", 1.0, 10, {"x": "1"}))
    assert store.add(Metric.gauge("b", 2.0, 20, {"x": "1"}))
    assert store.add(Metric.gauge("b", 3.0, 15, {"x": "2"}))
    assert store.add(Metric.counter("a", 9.0, 5))
    assert [(m.name, m.labels, m.value) for m in store.latest()] == [
        ("a", (), 9.0),
        ("b", (("x", "1"),), 2.0),
        ("b", (("x", "2"),), 3.0),
    ]
    assert store.series_count == 3
    assert store.names() == ["a", "b"]
    latest = store.latest_value("b", {"x": "1"})
    assert latest is not None
    assert latest.value == 2.0
    assert store.latest_value("b", (("x", "2"),)) == Metric.gauge("b", 3.0, 15, {"x": "2"})
    assert store.latest_value("b") is None
    assert store.latest_value("nope", {"x": "1"}) is None


def test_add_many_counts_what_was_stored() -> None:
    store = MetricsStore()
    metrics = [Metric.gauge("g", float(i), 100 - i) for i in range(3)]  # 2nd and 3rd go back
    assert store.add_many(metrics) == 1
    assert store.rejected_points == 2


def test_query_with_label_filter_since_and_max_points() -> None:
    store = MetricsStore()
    for t in range(100):
        store.add(Metric.gauge("lag", float(t), t, {"feed": "clob", "socket": "0"}))
        store.add(Metric.gauge("lag", float(-t), t, {"feed": "rtds", "socket": "0"}))
    both = store.query("lag")
    assert [labels for labels, _ in both] == [
        (("feed", "clob"), ("socket", "0")),
        (("feed", "rtds"), ("socket", "0")),
    ]
    assert all(len(points.timestamps) == 100 for _, points in both)

    [(labels, points)] = store.query("lag", {"feed": "rtds"})
    assert labels == (("feed", "rtds"), ("socket", "0"))
    assert points.values[-1] == -99.0

    [(_, points)] = store.query("lag", {"feed": "clob"}, since_ms=90)
    np.testing.assert_array_equal(points.timestamps, np.arange(90, 100))

    [(_, points)] = store.query("lag", {"feed": "clob"}, max_points=10)
    assert len(points.timestamps) == 10
    assert points.timestamps[-1] == 99  # downsampling keeps the newest point

    [(_, points)] = store.query("lag", {"feed": "clob"}, since_ms=1000)
    assert len(points.timestamps) == 0
    assert store.query("lag", {"feed": "other"}) == []
    assert store.query("unknown") == []
    with pytest.raises(TimeSeriesError, match="max_points"):
        store.query("lag", max_points=0)


def test_capacity_per_series_keeps_the_newest() -> None:
    store = MetricsStore(capacity_per_series=5)
    for t in range(20):
        store.add(Metric.gauge("g", float(t), t))
    [(_, points)] = store.query("g")
    np.testing.assert_array_equal(points.timestamps, np.arange(15, 20))


def test_series_cap_refuses_new_series_and_counts() -> None:
    store = MetricsStore(capacity_per_series=10, max_series=2)
    assert store.add(Metric.gauge("g", 1.0, 1, {"n": "1"}))
    assert store.add(Metric.gauge("g", 1.0, 1, {"n": "2"}))
    assert not store.add(Metric.gauge("g", 1.0, 1, {"n": "3"}))
    assert not store.add(Metric.gauge("h", 1.0, 1))
    assert store.add(Metric.gauge("g", 2.0, 2, {"n": "1"}))  # existing series still grow
    assert store.refused_series == 2
    assert store.series_count == 2
    assert store.latest_value("h") is None
    assert (store.capacity_per_series, store.max_series) == (10, 2)


def test_out_of_order_samples_are_rejected_and_counted() -> None:
    store = MetricsStore()
    assert store.add(Metric.gauge("g", 1.0, 100))
    assert not store.add(Metric.gauge("g", 2.0, 99))
    assert store.add(Metric.gauge("g", 3.0, 100))  # equal timestamps are kept
    assert store.rejected_points == 1
    latest = store.latest_value("g")
    assert latest is not None
    assert latest.value == 3.0


def test_histograms_keep_running_count_and_sum_of_stored_observations() -> None:
    store = MetricsStore(capacity_per_series=2)
    for t, value in enumerate([1.0, 2.0, 4.0]):
        store.add(Metric(t + 10, MetricType.HISTOGRAM, "latency", value, (("op", "x"),)))
    store.add(Metric(0, MetricType.HISTOGRAM, "latency", 100.0, (("op", "x"),)))  # rejected
    totals = store.histogram_totals("latency", (("op", "x"),))
    assert totals is not None
    assert (totals.count, totals.total) == (3, 7.0)  # beyond the ring's 2 points
    assert store.histogram_totals("latency", ()) is None
    store.add(Metric.gauge("gauge", 1.0, 1))
    assert store.histogram_totals("gauge", ()) is None


def test_invalid_arguments_raise() -> None:
    with pytest.raises(TimeSeriesError, match="capacity_per_series"):
        MetricsStore(capacity_per_series=0)
    with pytest.raises(TimeSeriesError, match="max_series"):
        MetricsStore(max_series=0)


def test_each_sender_creates_at_most_its_share_of_series() -> None:
    store = MetricsStore(max_series=10, max_series_per_sender=4)
    exploded = [Metric.gauge("a", 1.0, 1, {"id": str(i)}) for i in range(50)]
    assert store.add_many(exploded, sender="a") == 4
    assert store.refused_by_sender == {"a": 46}
    assert store.refused_series == 46
    assert store.add_many([Metric.gauge("b", 1.0, 1), Metric.gauge("b2", 1.0, 1)], "b") == 2
    # Existing series take new samples from anyone; only creating one counts.
    assert store.add(Metric.gauge("a", 2.0, 2, {"id": "0"}), sender="b")
    assert store.series_of("a") == 4
    assert store.series_of("b") == 2
    # Without a sender (this process's bus) only the total cap applies.
    assert store.add_many([Metric.gauge("local", 1.0, 1, {"i": str(i)}) for i in range(9)]) == 4
    assert store.series_count == 10
    # The total cap refuses a sender with room left; counted for it as well.
    assert not store.add(Metric.gauge("b3", 1.0, 1), sender="b")
    assert store.refused_by_sender == {"a": 46, "b": 1}
    assert store.refused_series == 46 + 5 + 1
    # A sender that left is forgotten; its series stay.
    store.forget_sender("a")
    assert store.series_of("a") == 0
    assert store.latest_value("a", {"id": "3"}) is not None


def test_refusal_counts_name_a_bounded_number_of_senders() -> None:
    store = MetricsStore(max_series=100, max_series_per_sender=1, max_tracked_senders=2)
    for sender in ("s1", "s2", "s3", "s4"):
        store.add_many([Metric.gauge(sender, 1.0, 1, {"i": str(i)}) for i in range(3)], sender)
    assert store.refused_by_sender == {"s1": 2, "s2": 2, "other": 4}
    assert store.max_series_per_sender == 1
    assert MetricsStore(max_series=7).max_series_per_sender == 7
