"""Prometheus text exposition, checked with prometheus_client's own parser."""

from __future__ import annotations

import math

from prometheus_client.parser import text_string_to_metric_families

from agbotkit.metrics.prometheus import (
    CONTENT_TYPE,
    prometheus_label_name,
    prometheus_name,
    render_prometheus,
)
from agbotkit.metrics.store import MetricsStore
from agbotkit.model.metrics import Metric, MetricType

Parsed = dict[str, tuple[str, list[tuple[str, dict[str, str], float]]]]


def parse(text: str) -> Parsed:
    """Family name -> (type, [(sample name, labels, value)])."""
    return {
        family.name: (family.type, [(s.name, s.labels, s.value) for s in family.samples])
        for family in text_string_to_metric_families(text)
    }


def histogram(name: str, value: float, t: int, labels: dict[str, str] | None = None) -> Metric:
    return Metric(t, MetricType.HISTOGRAM, name, value, tuple(sorted((labels or {}).items())))


def test_names_types_labels_and_values() -> None:
    store = MetricsStore()
    store.add(Metric.gauge("polymarket.clob.lag_ms", 12.5, 1, {"asset": "123"}))
    store.add(Metric.gauge("polymarket.clob.lag_ms", 3.0, 1, {"asset": "456"}))
    store.add(Metric.counter("polymarket.clob.messages", 10.0, 1, {"component": "clob"}))
    store.add(Metric.counter("polymarket.clob.messages", 25.0, 2, {"component": "clob"}))
    store.add(Metric.counter("already_total", 4.0, 1))
    for t, value in enumerate([1.0, 2.5, 4.0]):
        store.add(histogram("order.latency-ms", value, t, {"venue": "poly"}))
    text = render_prometheus(store)
    assert parse(text) == {
        "already": ("counter", [("already_total", {}, 4.0)]),
        "order_latency_ms": (
            "summary",
            [
                ("order_latency_ms_count", {"venue": "poly"}, 3.0),
                ("order_latency_ms_sum", {"venue": "poly"}, 7.5),
            ],
        ),
        "polymarket_clob_lag_ms": (
            "gauge",
            [
                ("polymarket_clob_lag_ms", {"asset": "123"}, 12.5),
                ("polymarket_clob_lag_ms", {"asset": "456"}, 3.0),
            ],
        ),
        "polymarket_clob_messages": (
            "counter",
            [("polymarket_clob_messages_total", {"component": "clob"}, 25.0)],
        ),
    }
    # HELP and TYPE once per family, counters declared under their _total name.
    assert text.count("# TYPE") == 4
    assert text.count("# HELP") == 4
    assert "# TYPE polymarket_clob_messages_total counter\n" in text
    assert "# HELP polymarket_clob_lag_ms polymarket.clob.lag_ms (gauge)\n" in text
    assert "already_total_total" not in text
    assert text.endswith("\n")
    assert CONTENT_TYPE == "text/plain; version=0.0.4; charset=utf-8"


def test_label_values_are_escaped_and_names_sanitized() -> None:
    store = MetricsStore()
    nasty = 'back\\slash "quoted"\nnew line'
    store.add(Metric.gauge("g", 1.0, 1, {"market.slug": nasty, "1st": "a", "__x": "b"}))
    text = render_prometheus(store)
    assert r'market_slug="back\\slash \"quoted\"\nnew line"' in text
    [(name, labels, value)] = parse(text)["g"][1]
    assert (name, value) == ("g", 1.0)
    assert labels == {"market_slug": nasty, "_1st": "a", "l__x": "b"}


def test_help_text_is_escaped() -> None:
    store = MetricsStore()
    store.add(Metric.gauge("odd\\name\nhere", 1.0, 1))
    text = render_prometheus(store)
    assert "# HELP odd_name_here odd\\\\name\\nhere (gauge)\n" in text
    assert parse(text)["odd_name_here"][1] == [("odd_name_here", {}, 1.0)]


def test_name_mangling() -> None:
    assert prometheus_name("polymarket.clob.lag_ms") == "polymarket_clob_lag_ms"
    assert prometheus_name("a:b/c-d é") == "a_b_c_d__"
    assert prometheus_name("9lives") == "_9lives"
    assert prometheus_name("OK_name_1") == "OK_name_1"
    assert prometheus_label_name("a.b") == "a_b"
    assert prometheus_label_name("") == "_"
    assert prometheus_label_name("__name__") == "l__name__"


def test_non_finite_values() -> None:
    store = MetricsStore()
    store.add(Metric.gauge("nan", math.nan, 1))
    store.add(Metric.gauge("pinf", math.inf, 1))
    store.add(Metric.gauge("ninf", -math.inf, 1))
    text = render_prometheus(store)
    assert "nan NaN\n" in text
    assert "pinf +Inf\n" in text
    assert "ninf -Inf\n" in text
    parsed = parse(text)
    assert math.isnan(parsed["nan"][1][0][2])
    assert parsed["pinf"][1][0][2] == math.inf


def test_clashing_names_keep_the_first_and_still_parse() -> None:
    store = MetricsStore()
    store.add(Metric.gauge("a.b", 1.0, 1))
    store.add(Metric.gauge("a_b", 2.0, 1))  # same exposed series as a.b
    store.add(Metric.counter("x", 3.0, 1))
    store.add(Metric.gauge("x_total", 4.0, 1))  # same exposed name as counter x
    store.add(histogram("h", 5.0, 1))
    store.add(Metric.gauge("h_count", 6.0, 1))  # clashes with the summary's h_count
    store.add(Metric.gauge("m", 7.0, 1, {"k.1": "a", "k_1": "b"}))  # labels merge
    text = render_prometheus(store)
    parsed = parse(text)
    assert parsed["a_b"] == ("gauge", [("a_b", {}, 1.0)])
    assert parsed["x"] == ("counter", [("x_total", {}, 3.0)])
    assert parsed["h"] == ("summary", [("h_count", {}, 1.0), ("h_sum", {}, 5.0)])
    assert "h_count" not in parsed
    assert parsed["m"] == ("gauge", [("m", {"k_1": "a"}, 7.0)])
    sample_lines = [line.split(" ")[0] for line in text.splitlines() if not line.startswith("#")]
    assert len(sample_lines) == len(set(sample_lines))


def test_summary_renames_quantile_label() -> None:
    store = MetricsStore()
    store.add(histogram("h", 1.0, 1, {"quantile": "x"}))
    assert parse(render_prometheus(store))["h"][1][0][1] == {"quantile_": "x"}


def test_output_is_deterministic_whatever_the_arrival_order() -> None:
    metrics = [Metric.gauge(f"m{i % 7}", float(i), i, {"s": str(i % 3)}) for i in range(50)]
    first, second = MetricsStore(), MetricsStore()
    first.add_many(metrics)
    second.add_many(sorted(metrics, key=lambda m: (m.labels, m.timestamp_ms)))
    assert render_prometheus(first) == render_prometheus(second)
    names = [line for line in render_prometheus(first).splitlines() if line.startswith("# TYPE")]
    assert names == sorted(names)


def test_empty_store_renders_nothing() -> None:
    assert render_prometheus(MetricsStore()) == ""
