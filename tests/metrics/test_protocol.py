"""The metrics wire protocol: decode, encode, malformed lines."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agbotkit.metrics.protocol import decode_metrics, encode_metrics, metric_to_wire
from agbotkit.model.metrics import Metric, MetricType, labels_key

DROP = object()  # marks a field to leave out


def wire(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "timestamp": 1_718_000_000_000,
        "metric_type": "gauge",
        "metric_name": "polymarket.clob.lag_ms",
        "value": 12.5,
        "labels": {"asset": "123"},
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not DROP}


def line(**overrides: Any) -> str:
    return json.dumps(wire(**overrides))


def test_decodes_one_metric() -> None:
    metrics, errors = decode_metrics(line())
    assert errors == []
    assert metrics == [
        Metric(
            1_718_000_000_000, MetricType.GAUGE, "polymarket.clob.lag_ms", 12.5, (("asset", "123"),)
        )
    ]


def test_decodes_several_lines_in_order_with_every_type() -> None:
    text = "\n".join(
        [
            line(metric_type="counter", metric_name="a", value=3),
            line(metric_type="gauge", metric_name="b", value=-1.5),
            line(metric_type="histogram", metric_name="c", value=0),
        ]
    )
    metrics, errors = decode_metrics(text)
    assert errors == []
    assert [(m.metric_type, m.name, m.value) for m in metrics] == [
        (MetricType.COUNTER, "a", 3.0),
        (MetricType.GAUGE, "b", -1.5),
        (MetricType.HISTOGRAM, "c", 0.0),
    ]
    assert all(type(m.value) is float for m in metrics)


def test_labels_are_optional_and_sorted() -> None:
    metrics, _ = decode_metrics(line(labels=DROP) + "\n" + line(labels={"z": "1", "a": "2"}))
    assert metrics[0].labels == ()
    assert metrics[1].labels == (("a", "2"), ("z", "1"))


def test_unknown_names_and_extra_fields_are_accepted() -> None:
    metrics, errors = decode_metrics(line(metric_name="never.heard.of", future_field=[1, {}]))
    assert errors == []
    assert metrics[0].name == "never.heard.of"


def test_blank_lines_are_ignored_not_malformed() -> None:
    text = "\n" + line(value=1) + "\n\n   \n" + line(value=2) + "\r\n\t\n"
    metrics, errors = decode_metrics(text)
    assert errors == []
    assert [m.value for m in metrics] == [1.0, 2.0]
    assert decode_metrics("") == ([], [])


def test_malformed_lines_are_dropped_and_named_the_rest_is_kept() -> None:
    text = "\n".join(
        [line(value=1), "{not json", line(value=2), line(value=DROP), "", line(value=3)]
    )
    metrics, errors = decode_metrics(text)
    assert [m.value for m in metrics] == [1.0, 2.0, 3.0]
    assert len(errors) == 2
    assert errors[0].startswith("line 2: invalid JSON: ")
    assert errors[0].endswith(": {not json")
    assert errors[1].startswith("line 4: missing field 'value': {")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{bad", "invalid JSON: "),
        ('{"timestamp": 1', "invalid JSON: truncated"),
        (line() + " trailing", "invalid JSON: trailing characters"),
        ("[1, 2]", "expected a JSON object, got array"),
        ('"text"', "expected a JSON object, got str"),
        ("42", "expected a JSON object, got int"),
        ("null", "expected a JSON object, got null"),
        (line(timestamp=DROP), "missing field 'timestamp'"),
        (line(metric_type=DROP), "missing field 'metric_type'"),
        (line(metric_name=DROP), "missing field 'metric_name'"),
        (line(value=DROP), "missing field 'value'"),
        (line(timestamp="1"), "field 'timestamp': expected int, got str"),
        (line(timestamp=1.5), "field 'timestamp': expected int, got float"),
        (line(timestamp=-1), "field 'timestamp': expected int >= 0"),
        (line(timestamp=2**63), "field 'timestamp': expected int <= 9223372036854775807"),
        (line(metric_type="summary"), "unknown metric_type 'summary'"),
        (line(metric_type=1), "field 'metric_type': expected str, got int"),
        (line(metric_name=""), "field 'metric_name': expected str of length >= 1"),
        (line(metric_name=7), "field 'metric_name': expected str, got int"),
        (line(value="1"), "field 'value': expected a number, got str"),
        (line(value=True), "field 'value': expected a number, got bool"),
        (line(value=None), "field 'value': expected a number, got null"),
        (line().replace("12.5", "1e999"), "field 'value': number out of range"),
        (line().replace("12.5", "NaN"), "invalid JSON: "),
        (line().replace("12.5", "Infinity"), "invalid JSON: "),
        (line(labels=None), "field 'labels': expected object, got null"),
        (line(labels=["a"]), "field 'labels': expected object, got array"),
        (line(labels={"a": 1}), "field 'labels': expected str values, got int"),
        (line(labels={"a": None}), "field 'labels': expected str values, got null"),
    ],
)
def test_every_malformed_variant_is_reported(text: str, reason: str) -> None:
    metrics, errors = decode_metrics(line(value=1) + "\n" + text)
    assert [m.value for m in metrics] == [1.0]
    assert len(errors) == 1
    assert errors[0].startswith(f"line 2: {reason}")


def test_deeply_nested_line_is_malformed_and_the_next_lines_are_kept() -> None:
    # msgspec raises RecursionError (not a DecodeError) at about 1,000 levels.
    deep = line()[:-1] + ', "extra": ' + "[" * 1_000 + "]" * 1_000 + "}"
    metrics, errors = decode_metrics("\n".join([line(), deep, line(value=2)]))
    assert [m.value for m in metrics] == [12.5, 2.0]
    assert errors == [f"line 2: invalid JSON: nested too deeply: {deep[:77]}..."]
    deep_labels = line(labels=DROP)[:-1] + ', "labels": ' + '{"a":' * 1_000 + "1" + "}" * 1_001
    assert decode_metrics(deep_labels)[1] == [
        f"line 1: invalid JSON: nested too deeply: {deep_labels[:77]}..."
    ]


def test_reason_excerpt_is_short() -> None:
    long_line = line(metric_name="x" * 500, value=DROP)
    _, errors = decode_metrics(long_line)
    assert errors[0].startswith("line 1: missing field 'value': {")
    assert errors[0].endswith("...")
    assert len(errors[0]) < 150


def test_encode_is_compact_newline_delimited_and_decodes_back() -> None:
    metrics = [
        Metric.gauge("a.b", 1.5, 10, {"k": "v"}),
        Metric.counter("c", 7.0, 11),
        Metric(12, MetricType.HISTOGRAM, "h", 0.25, ()),
    ]
    text = encode_metrics(metrics)
    assert text.count("\n") == 2
    assert not text.endswith("\n")
    assert " " not in text
    assert json.loads(text.split("\n")[0]) == {
        "timestamp": 10,
        "metric_type": "gauge",
        "metric_name": "a.b",
        "value": 1.5,
        "labels": {"k": "v"},
    }
    assert "labels" not in json.loads(text.split("\n")[1])  # empty labels are omitted
    assert decode_metrics(text) == (metrics, [])
    assert encode_metrics([]) == ""


def test_metric_to_wire_is_the_protocol_object() -> None:
    metric = Metric.gauge("a", 2.0, 5, {"x": "1"})
    assert metric_to_wire(metric) == {
        "timestamp": 5,
        "metric_type": "gauge",
        "metric_name": "a",
        "value": 2.0,
        "labels": {"x": "1"},
    }
    assert decode_metrics(json.dumps(metric_to_wire(metric))) == ([metric], [])


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_values_cannot_be_encoded(value: float) -> None:
    metric = Metric.gauge("bad", value, 1)
    with pytest.raises(ValueError, match=r"^metric 'bad' has value .*only finite numbers$"):
        encode_metrics([Metric.gauge("ok", 1.0, 1), metric])
    with pytest.raises(ValueError, match="only finite numbers"):
        metric_to_wire(metric)


metrics_strategy = st.builds(
    Metric,
    timestamp_ms=st.integers(0, 2**63 - 1),
    metric_type=st.sampled_from(MetricType),
    name=st.text(min_size=1, max_size=30),
    value=st.floats(allow_nan=False, allow_infinity=False),
    labels=st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=4).map(labels_key),
)


@given(st.lists(metrics_strategy, max_size=20))
def test_round_trip(metrics: list[Metric]) -> None:
    decoded, errors = decode_metrics(encode_metrics(metrics))
    assert errors == []
    assert decoded == metrics


def test_many_distinct_label_sets_stay_correct() -> None:
    # More label sets than the decoder caches: the cache is cleared, results do not change.
    metrics = [Metric.gauge("g", float(i), i, {"i": str(i), "a": "x"}) for i in range(5_000)]
    for _ in range(2):
        assert decode_metrics(encode_metrics(metrics)) == (metrics, [])
