"""Prometheus text exposition (format 0.0.4) of a :class:`~agbotkit.metrics.store.MetricsStore`.

How agbotkit metrics map onto Prometheus, chosen once here:

* **Names.** Every character outside ``[a-zA-Z0-9_]`` becomes ``_`` (so
  ``polymarket.clob.lag_ms`` is ``polymarket_clob_lag_ms``; colons are replaced too, as
  Prometheus reserves them for recording rules); a leading digit gets a ``_`` prefix.
* **Counters** are exposed with the ``_total`` suffix (not doubled when the name already
  ends in it), their value the latest running total the sender reported.
* **Gauges** are exposed as is, their latest value.
* **Histograms** (one observation per sample) are exposed as a ``summary`` without
  quantiles: ``<name>_count`` and ``<name>_sum`` over every observation the store accepted
  since it first saw the series. That is exact and cheap; buckets would force bucket
  boundaries on senders that never declared any, and quantiles over a ring buffer would
  silently cover only its window.
* **Labels.** Names are sanitized like metric names; ones starting with ``__`` (reserved)
  get an ``l`` prefix; a summary's ``quantile`` label becomes ``quantile_``. Values are
  escaped (backslash, double quote, newline).
* **Clashes.** Two series that end up with the same exposed name and labels (``a.b`` and
  ``a_b``; a counter ``x`` and a gauge ``x_total``) cannot both be exposed: the first in
  sorted order is kept. A family whose names clash with an earlier family's is left out
  whole, so the output always parses and never repeats a series.
* **Order** is deterministic: families by exposed name, series by labels. No timestamps are
  written: Prometheus stamps each scrape itself (samples from senders' clocks would be
  refused as out of bounds once a sender lags).
"""

from __future__ import annotations

import functools
import math
import re

from agbotkit.metrics.store import MetricsStore
from agbotkit.model.metrics import Labels, Metric, MetricType

__all__ = ["CONTENT_TYPE", "prometheus_label_name", "prometheus_name", "render_prometheus"]

#: The Content-Type of :func:`render_prometheus`'s output.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_INVALID = re.compile(r"[^a-zA-Z0-9_]")
_TYPE_NAMES = {
    MetricType.COUNTER: "counter",
    MetricType.GAUGE: "gauge",
    MetricType.HISTOGRAM: "summary",
}


@functools.lru_cache(maxsize=65_536)
def prometheus_name(name: str) -> str:
    """The Prometheus metric name for an agbotkit metric name (before any ``_total``)."""
    mangled = _INVALID.sub("_", name) or "_"
    return "_" + mangled if mangled[0].isdigit() else mangled


@functools.lru_cache(maxsize=65_536)
def prometheus_label_name(name: str) -> str:
    """The Prometheus label name for an agbotkit label name."""
    mangled = _INVALID.sub("_", name) or "_"
    if mangled[0].isdigit():
        return "_" + mangled
    return "l" + mangled if mangled.startswith("__") else mangled


def _family_name(metric: Metric) -> str:
    name = prometheus_name(metric.name)
    if metric.metric_type is MetricType.COUNTER and not name.endswith("_total"):
        return name + "_total"
    return name


def _escape_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _format_value(value: float) -> str:
    if math.isfinite(value):
        return repr(float(value))
    if math.isnan(value):
        return "NaN"
    return "+Inf" if value > 0 else "-Inf"


def _render_labels(labels: Labels, summary: bool) -> str:
    if not labels:
        return ""
    renamed: dict[str, str] = {}
    for key, value in labels:  # sorted by original name: the first of a merged pair wins
        name = prometheus_label_name(key)
        if summary and name == "quantile":
            name = "quantile_"
        renamed.setdefault(name, value)
    return (
        "{" + ",".join(f'{name}="{_escape_value(renamed[name])}"' for name in sorted(renamed)) + "}"
    )


def render_prometheus(store: MetricsStore) -> str:
    """Render the latest value of every series in ``store`` as Prometheus text format 0.0.4.

    See the module docstring for how names, types and clashes are handled. Serve it with
    :data:`CONTENT_TYPE`.
    """
    families: dict[str, list[Metric]] = {}
    for metric in store.latest():
        families.setdefault(_family_name(metric), []).append(metric)
    taken: set[str] = set()
    out: list[str] = []
    for family in sorted(families):
        members = families[family]
        metric_type = members[0].metric_type
        # One type per family: series of another type under the same exposed name go.
        members = [m for m in members if m.metric_type is metric_type]
        summary = metric_type is MetricType.HISTOGRAM
        names = {family, family + "_count", family + "_sum"} if summary else {family}
        if names & taken:
            continue
        taken |= names
        out.append(f"# HELP {family} {_escape_help(members[0].name)} ({metric_type.value})\n")
        out.append(f"# TYPE {family} {_TYPE_NAMES[metric_type]}\n")
        seen: set[str] = set()
        lines: list[tuple[str, Metric]] = []
        for metric in members:
            labels = _render_labels(metric.labels, summary)
            if labels not in seen:
                seen.add(labels)
                lines.append((labels, metric))
        lines.sort(key=lambda pair: pair[0])
        for labels, metric in lines:
            if summary:
                totals = store.histogram_totals(metric.name, metric.labels)
                count, total = (0, 0.0) if totals is None else (totals.count, totals.total)
                out.append(f"{family}_count{labels} {count}\n")
                out.append(f"{family}_sum{labels} {_format_value(total)}\n")
            else:
                out.append(f"{family}{labels} {_format_value(metric.value)}\n")
    return "".join(out)
