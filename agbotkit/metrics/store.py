"""The monitor's metric store: history per series, the latest sample, histogram totals.

:class:`MetricsStore` wraps a :class:`~agbotkit.timeseries.SeriesStore` (bounded ring buffers,
a cap on the number of series) and adds what the dashboard and the Prometheus exposition
need: the latest sample of each series and, for histogram series, a running count and sum
of the observations.

A sample is counted (latest, histogram totals) only when the ring buffer stored it: a sample
older than its series' newest point, or one for a series beyond the cap, is dropped and
counted in :attr:`MetricsStore.rejected_points` / :attr:`MetricsStore.refused_series`.

The cap on series is shared, so besides the total a **sender** (one ``WS /metrics``
connection, named by the caller) may create at most ``max_series_per_sender`` series: one
sender that explodes its labels cannot lock the others out. Series a sender created stay
after it leaves (they are history); only the count of series it may still create is
forgotten (:meth:`MetricsStore.forget_sender`). Refusals are counted per sender too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from agbotkit.model.metrics import Labels, Metric, MetricType, labels_key
from agbotkit.timeseries.series import Points
from agbotkit.timeseries.store import SeriesStore

__all__ = ["HistogramTotals", "MetricsStore"]

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1

_SeriesKey = tuple[str, Labels]


@attrs.define
class HistogramTotals:
    """Running totals of one histogram series since the store saw it first.

    Attributes:
        count: how many observations.
        total: their sum.
    """

    count: int = 0
    total: float = 0.0


class MetricsStore:
    """History, latest sample and histogram totals of every metric series.

    Memory is bounded by ``max_series * capacity_per_series`` points.

    Args:
        capacity_per_series: points kept per series (the newest ones).
        max_series: the most series kept; samples of further series are refused and
            counted.
        max_series_per_sender: the most series one sender may create (``None``: no limit
            but ``max_series``).
        max_tracked_senders: senders whose refusals are counted by name; refusals of
            further senders are counted under ``"other"`` (bounds the counter's labels).

    Attributes:
        refused_by_sender: samples refused per sender (either cap), at most
            ``max_tracked_senders`` names plus ``"other"``.

    Raises:
        TimeSeriesError: if an argument is not an integer >= 1.
    """

    def __init__(
        self,
        capacity_per_series: int = 3600,
        max_series: int = 10_000,
        max_series_per_sender: int | None = None,
        max_tracked_senders: int = 64,
    ) -> None:
        self._series = SeriesStore(capacity_per_series, max_series)
        self._per_sender = (
            max_series if max_series_per_sender is None else max(1, max_series_per_sender)
        )
        self._max_tracked = max_tracked_senders
        self._created_by: dict[str, int] = {}
        self._sender_refusals = 0
        self.refused_by_sender: dict[str, int] = {}
        self._latest: dict[_SeriesKey, Metric] = {}
        self._histograms: dict[_SeriesKey, HistogramTotals] = {}

    @property
    def capacity_per_series(self) -> int:
        """Points kept per series."""
        return self._series.capacity_per_series

    @property
    def max_series(self) -> int:
        """The most series kept."""
        return self._series.max_series

    @property
    def series_count(self) -> int:
        """How many series the store holds."""
        return len(self._series)

    @property
    def max_series_per_sender(self) -> int:
        """The most series one sender may create."""
        return self._per_sender

    @property
    def refused_series(self) -> int:
        """Samples refused because their series would exceed ``max_series`` or their
        sender's ``max_series_per_sender``."""
        return self._series.refused_series + self._sender_refusals

    def series_of(self, sender: str) -> int:
        """How many series ``sender`` created (since it was last forgotten)."""
        return self._created_by.get(sender, 0)

    def forget_sender(self, sender: str) -> None:
        """``sender`` left: stop counting the series it created (they stay stored)."""
        self._created_by.pop(sender, None)

    @property
    def rejected_points(self) -> int:
        """Samples dropped because older than their series' newest point."""
        return self._series.rejected_points

    def add(self, metric: Metric, sender: str | None = None) -> bool:
        """Store one sample.

        Args:
            metric: the sample.
            sender: who sent it, for the per-sender cap; ``None``: no per-sender cap.

        Returns:
            ``True`` if stored; ``False`` if refused (a series cap) or out of order, all
            counted.

        Raises:
            TimeSeriesError: if the timestamp or value is not a valid number (samples from
                :func:`~agbotkit.metrics.protocol.decode_metrics` always are).
        """
        key = (metric.name, metric.labels)
        if sender is not None and self._series.get(key[0], key[1]) is None:
            return self._add_new(metric, sender)
        if not self._series.append(key[0], key[1], metric.timestamp_ms, metric.value):
            return False
        self._note(key, metric)
        return True

    def _add_new(self, metric: Metric, sender: str) -> bool:
        """The first sample of a series, from ``sender``: both caps apply."""
        created = self._created_by.get(sender, 0)
        if created >= self._per_sender:
            self._sender_refusals += 1
            self._count_sender_refusal(sender)
            return False
        if not self._series.append(metric.name, metric.labels, metric.timestamp_ms, metric.value):
            self._count_sender_refusal(sender)  # the total cap: counted by the SeriesStore
            return False
        self._created_by[sender] = created + 1
        self._note((metric.name, metric.labels), metric)
        return True

    def _count_sender_refusal(self, sender: str) -> None:
        refused = self.refused_by_sender
        if sender not in refused and len(refused) >= self._max_tracked:
            sender = "other"
        refused[sender] = refused.get(sender, 0) + 1

    def _note(self, key: _SeriesKey, metric: Metric) -> None:
        """Record a stored sample as the latest, and in its histogram totals."""
        self._latest[key] = metric
        if metric.metric_type is MetricType.HISTOGRAM:
            totals = self._histograms.get(key)
            if totals is None:
                totals = self._histograms[key] = HistogramTotals()
            totals.count += 1
            totals.total += metric.value

    def add_many(self, metrics: Iterable[Metric], sender: str | None = None) -> int:
        """Store samples in order; return how many were stored (see :meth:`add`)."""
        add = self.add
        stored = 0
        for metric in metrics:
            if add(metric, sender):
                stored += 1
        return stored

    def latest(self) -> list[Metric]:
        """The latest sample of every series, sorted by name, then labels."""
        return [self._latest[key] for key in sorted(self._latest)]

    def latest_value(self, name: str, labels: Mapping[str, str] | Labels = ()) -> Metric | None:
        """The latest sample of the series ``(name, labels)``, or ``None``.

        Args:
            name: the metric name.
            labels: the series' labels, as a mapping or as the sorted pairs of
                :func:`~agbotkit.model.metrics.labels_key`.
        """
        key = labels_key(labels) if isinstance(labels, Mapping) else labels
        return self._latest.get((name, key))

    def histogram_totals(self, name: str, labels: Labels) -> HistogramTotals | None:
        """The running count and sum of a histogram series, or ``None`` if there is none."""
        return self._histograms.get((name, labels))

    def names(self) -> list[str]:
        """Every metric name held, sorted."""
        return sorted({name for name, _ in self._latest})

    def query(
        self,
        name: str,
        label_filter: Mapping[str, str] | None = None,
        since_ms: int | None = None,
        max_points: int = 2000,
    ) -> list[tuple[Labels, Points]]:
        """The history of every series of ``name`` whose labels include ``label_filter``.

        Args:
            name: the metric name.
            label_filter: labels each series must carry with these values; empty or
                ``None`` for all series of ``name``.
            since_ms: only points at or after this time (Unix epoch ms); all when ``None``.
            max_points: the most points per series; more are downsampled evenly, keeping
                the newest (see :mod:`agbotkit.timeseries`).

        Returns:
            ``(labels, points)`` per matching series, sorted by labels; points oldest first.
            A series with no point since ``since_ms`` is listed with empty arrays.

        Raises:
            TimeSeriesError: if ``since_ms`` is not an integer or ``max_points`` < 1.
        """
        start = _INT64_MIN if since_ms is None else since_ms
        found = sorted(self._series.find(name, label_filter), key=lambda pair: pair[0])
        return [
            (labels, series.query_range(start, _INT64_MAX, max_points)) for labels, series in found
        ]
