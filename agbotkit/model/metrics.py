"""Metric samples, the unit the metrics bus, ring buffers and the wire protocol carry."""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

__all__ = ["Labels", "Metric", "MetricType", "labels_key"]

#: Labels as a sorted tuple of (key, value) pairs: hashable, so usable as a series key.
Labels = tuple[tuple[str, str], ...]


class MetricType(enum.StrEnum):
    """The metric kinds of the metrics protocol."""

    COUNTER = "counter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"


def labels_key(labels: Mapping[str, str] | None) -> Labels:
    """Return ``labels`` as the canonical sorted tuple used to key a series."""
    if not labels:
        return ()
    return tuple(sorted(labels.items()))


@attrs.frozen(slots=True)
class Metric:
    """One sample of one series.

    Attributes:
        timestamp_ms: when the value was observed, Unix epoch milliseconds (UTC).
        metric_type: counter (monotonic total), gauge (current value) or histogram
            (one observation).
        name: dotted metric name, e.g. ``polymarket.clob.lag_ms``.
        value: the sample value.
        labels: sorted ``(key, value)`` pairs; build with :func:`labels_key`.
    """

    timestamp_ms: int
    metric_type: MetricType
    name: str
    value: float
    labels: Labels = ()

    @classmethod
    def gauge(
        cls, name: str, value: float, timestamp_ms: int, labels: Mapping[str, str] | None = None
    ) -> Metric:
        """A gauge sample."""
        return cls(timestamp_ms, MetricType.GAUGE, name, value, labels_key(labels))

    @classmethod
    def counter(
        cls, name: str, value: float, timestamp_ms: int, labels: Mapping[str, str] | None = None
    ) -> Metric:
        """A counter sample: ``value`` is the running total."""
        return cls(timestamp_ms, MetricType.COUNTER, name, value, labels_key(labels))

    @property
    def labels_dict(self) -> dict[str, str]:
        """The labels as a plain dict (for JSON)."""
        return dict(self.labels)
