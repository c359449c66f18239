"""The metrics wire protocol: newline-delimited JSON metrics over a WebSocket.

One metric is a JSON object::

    {"timestamp": 1718000000000, "metric_type": "gauge",
     "metric_name": "polymarket.clob.lag_ms", "value": 12.5, "labels": {"asset": "123"}}

A WebSocket text message carries one metric or several, one per line. Rules, chosen once here:

* ``timestamp`` is an integer, Unix epoch milliseconds, ``0 <= timestamp < 2**63``; a float
  (``1.7e12``) is refused rather than silently rounded.
* ``metric_type`` is ``counter`` (running total), ``gauge`` or ``histogram`` (one observation).
* ``metric_name`` is any non-empty string; names the receiver never heard of are accepted.
* ``value`` is a JSON number. ``true``/``false`` are refused (they are not numbers), and so is
  a number beyond float64's range (``1e999``): JSON has no NaN or infinity, so a metric on the
  wire is always finite. :func:`encode_metrics` refuses non-finite values for the same reason.
* ``labels`` is optional (default empty); its values must be strings.
* Unknown extra fields are ignored, so a newer sender can talk to an older receiver.
* Blank lines are ignored. A malformed line is dropped and reported (see
  :func:`decode_metrics`); the other lines of the message are kept. That includes a line
  nested too deeply to decode: msgspec counts nesting against Python's recursion limit and
  raises ``RecursionError`` (not one of its own errors) at about a thousand levels, which
  is caught around the one decode call of the line (free on the hot path, unlike a depth
  pre-scan) and reported as ``invalid JSON: nested too deeply``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Annotated, Any

import msgspec

from agbotkit.model.metrics import Labels, Metric, MetricType

__all__ = ["decode_metrics", "encode_metrics", "metric_to_wire"]

_INT64_MAX = 2**63 - 1
_EXCERPT_CHARS = 80


class _WireMetric(msgspec.Struct, omit_defaults=True):
    """One metric as it is on the wire (field names are the protocol's), for encoding."""

    timestamp: Annotated[int, msgspec.Meta(ge=0, le=_INT64_MAX)]
    metric_type: MetricType
    metric_name: Annotated[str, msgspec.Meta(min_length=1)]
    value: float
    labels: dict[str, str] = {}


class _IncomingMetric(msgspec.Struct):
    """One metric as decoded; ``labels`` stays raw JSON, checked by :func:`_decode_labels`.

    A stream repeats the same few label sets over and over: looking the raw text up in a
    cache of checked, sorted label tuples costs less than building and sorting a dict per
    metric (about 0.4 µs of 2), and the metrics of one series then share one tuple.
    """

    timestamp: Annotated[int, msgspec.Meta(ge=0, le=_INT64_MAX)]
    metric_type: MetricType
    metric_name: Annotated[str, msgspec.Meta(min_length=1)]
    value: float
    labels: msgspec.Raw = msgspec.Raw(b"{}")


# Built once: a msgspec decoder compiles its type on creation.
_LINE_DECODER = msgspec.json.Decoder(_IncomingMetric)
_LABELS_DECODER = msgspec.json.Decoder(dict[str, str])
_ENCODER = msgspec.json.Encoder()

#: Raw labels JSON -> its checked, sorted labels; cleared when full (a label explosion
#: then costs the uncached path, never memory).
_LABELS_CACHE: dict[bytes, Labels] = {}
_LABELS_CACHE_SIZE = 4096


def decode_metrics(text: str) -> tuple[list[Metric], list[str]]:
    """Decode one WebSocket message: one metric per line.

    Args:
        text: the message; lines are separated by ``\\n`` (a trailing ``\\r`` is tolerated).

    Returns:
        The metrics of the well-formed lines, in order, and one short reason per malformed
        line, e.g. ``line 3: missing field 'value': {"timestamp": 1, ...}``. Line numbers
        are 1-based and count blank lines, so they point into the message as sent.
    """
    metrics: list[Metric] = []
    errors: list[str] = []
    decode = _LINE_DECODER.decode
    cached_labels = _LABELS_CACHE.get
    append = metrics.append
    # One decode call per line. Decoding the whole message at once as a JSON array is only
    # ~10% faster and cannot tell which line a bad object came from (a line may end inside
    # a string and the next one finish it), so a malformed line could slip through.
    for number, line in enumerate(text.split("\n"), 1):
        try:
            wire = decode(line)
            raw = bytes(wire.labels)
            labels = cached_labels(raw)
            if labels is None:
                labels = _decode_labels(raw)
        except (msgspec.DecodeError, RecursionError) as exc:
            if line and not line.isspace():  # blank lines are allowed; checked only here
                errors.append(f"line {number}: {_reason(exc)}: {_excerpt(line)}")
            continue
        append(Metric(wire.timestamp, wire.metric_type, wire.metric_name, wire.value, labels))
    return metrics, errors


def _decode_labels(raw: bytes) -> Labels:
    """Check raw labels JSON, return them sorted, and cache them.

    Raises:
        msgspec.ValidationError: not an object of strings; the path names ``labels``.
    """
    try:
        labels = _LABELS_DECODER.decode(raw)
    except msgspec.ValidationError as exc:
        message = str(exc)
        if " - at `$" in message:
            message = message.replace(" - at `$", " - at `$.labels", 1)
        else:
            message += " - at `$.labels`"
        raise msgspec.ValidationError(message) from None
    result = tuple(sorted(labels.items())) if labels else ()
    if len(_LABELS_CACHE) >= _LABELS_CACHE_SIZE:
        _LABELS_CACHE.clear()
    _LABELS_CACHE[raw] = result
    return result


def metric_to_wire(metric: Metric) -> dict[str, Any]:
    """Return ``metric`` as the protocol's JSON object (a plain dict).

    Raises:
        ValueError: if the value is NaN or infinite (JSON cannot carry it).
    """
    _check_finite(metric)
    return {
        "timestamp": metric.timestamp_ms,
        "metric_type": metric.metric_type.value,
        "metric_name": metric.name,
        "value": metric.value,
        "labels": dict(metric.labels),
    }


def encode_metrics(metrics: Iterable[Metric]) -> str:
    """Encode metrics as one message: compact JSON, one metric per line, no trailing newline.

    Labels are omitted when empty. The result decodes back to equal metrics with
    :func:`decode_metrics` (values are sent as floats).

    Raises:
        ValueError: if a value is NaN or infinite (JSON cannot carry it).
    """
    wires = []
    for metric in metrics:
        value = metric.value
        if value - value != 0.0:  # NaN and +-inf; a quicker test than math.isfinite's call
            _check_finite(metric)
        wires.append(
            _WireMetric(
                metric.timestamp_ms,
                metric.metric_type,
                metric.name,
                value,
                dict(metric.labels) if metric.labels else {},
            )
        )
    return _ENCODER.encode_lines(wires)[:-1].decode()


def _check_finite(metric: Metric) -> None:
    if not math.isfinite(metric.value):
        raise ValueError(
            f"metric {metric.name!r} has value {metric.value!r}; "
            "the metrics protocol (JSON) carries only finite numbers"
        )


_MISSING = re.compile(r"Object missing required field `([^`]*)`")
_AT = re.compile(r"^(.*) - at `\$(.*)`$")
_TICKS = re.compile(r"`([^`]*)`")


def _reason(exc: msgspec.DecodeError | RecursionError) -> str:
    """Turn msgspec's message into the protocol's short reason."""
    if isinstance(exc, RecursionError):
        return "invalid JSON: nested too deeply"
    message = str(exc)
    if not isinstance(exc, msgspec.ValidationError):
        if message.startswith("JSON is malformed: "):
            return "invalid JSON: " + message.removeprefix("JSON is malformed: ")
        if message == "Input data was truncated":
            return "invalid JSON: truncated"
        return "invalid JSON: " + message
    missing = _MISSING.fullmatch(message)
    if missing:
        return f"missing field {missing.group(1)!r}"
    at = _AT.match(message)
    if at is None:  # the line itself: only "Expected `object`, got `...`"
        return _TICKS.sub(r"\1", message).replace("Expected object", "expected a JSON object")
    what, path = at.groups()
    field = path.removeprefix(".")
    if field == "metric_type" and what.startswith("Invalid enum value"):
        return "unknown metric_type " + what.removeprefix("Invalid enum value ")
    if field == "labels[...]":  # a label value (keys are always strings in JSON)
        field, what = "labels", what.replace("`str`", "`str` values")
    what = _TICKS.sub(r"\1", what.replace("Expected `float`", "Expected a number"))
    return f"field {field!r}: {what[:1].lower()}{what[1:]}"


def _excerpt(line: str) -> str:
    line = line.strip()
    if len(line) <= _EXCERPT_CHARS:
        return line
    return line[: _EXCERPT_CHARS - 3] + "..."
