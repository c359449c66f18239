"""Many time series keyed by ``(metric name, labels)``, with a hard cap on how many:
:class:`SeriesStore` (policies in :mod:`agbotkit.timeseries`)."""

from __future__ import annotations

from collections.abc import Mapping

from agbotkit.errors import OutOfOrderError
from agbotkit.model.metrics import Labels, Metric
from agbotkit.timeseries.series import TimeSeries, _count

__all__ = ["SeriesStore"]


class SeriesStore:
    """Many :class:`TimeSeries`, keyed by ``(metric name, labels)``, at most ``max_series``.

    Memory is bounded by ``max_series * capacity_per_series`` points: a sample for a new
    series beyond the cap is refused and counted, never stored. Samples from the wire may
    arrive out of order; the store drops and counts them rather than raising.

    Args:
        capacity_per_series: capacity of each series, at least 1.
        max_series: the most series kept, at least 1.

    Attributes:
        refused_series: appends refused because they would have created a series beyond
            ``max_series`` (each refused append counts).
        rejected_points: appends dropped because older than their series' newest point.

    Raises:
        TimeSeriesError: if an argument is not an integer >= 1.
    """

    def __init__(self, capacity_per_series: int, max_series: int) -> None:
        self._capacity = _count(capacity_per_series, "capacity_per_series", 1)
        self._max_series = _count(max_series, "max_series", 1)
        self._by_name: dict[str, dict[Labels, TimeSeries]] = {}
        self._len = 0
        self.refused_series = 0
        self.rejected_points = 0

    @property
    def capacity_per_series(self) -> int:
        """Capacity of each series."""
        return self._capacity

    @property
    def max_series(self) -> int:
        """The most series the store keeps."""
        return self._max_series

    def __len__(self) -> int:
        return self._len

    def append(self, name: str, labels: Labels, timestamp_ms: int, value: float) -> bool:
        """Append one sample to its series, creating the series if there is room.

        Args:
            name: the metric name.
            labels: the series labels as built by :func:`agbotkit.model.labels_key`.
            timestamp_ms: Unix epoch milliseconds.
            value: the sample value.

        Returns:
            ``True`` if stored; ``False`` if refused (series cap reached, counted in
            :attr:`refused_series`) or out of order (counted in :attr:`rejected_points`).

        Raises:
            TimeSeriesError: if ``timestamp_ms`` or ``value`` is invalid (see
                :meth:`TimeSeries.append`); nothing is created then.
        """
        by_labels = self._by_name.get(name)
        series = None if by_labels is None else by_labels.get(labels)
        if series is None:
            if self._len >= self._max_series:
                self.refused_series += 1
                return False
            series = TimeSeries(self._capacity)
            series.append(timestamp_ms, value)  # an invalid sample raises before we keep it
            if by_labels is None:
                by_labels = self._by_name[name] = {}
            by_labels[labels] = series
            self._len += 1
            return True
        try:
            series.append(timestamp_ms, value)
        except OutOfOrderError:
            self.rejected_points += 1
            return False
        return True

    def append_metric(self, metric: Metric) -> bool:
        """Append a :class:`~agbotkit.model.metrics.Metric` sample; see :meth:`append`."""
        return self.append(metric.name, metric.labels, metric.timestamp_ms, metric.value)

    def get(self, name: str, labels: Labels) -> TimeSeries | None:
        """Return the series of ``(name, labels)``, or ``None`` if there is none."""
        by_labels = self._by_name.get(name)
        return None if by_labels is None else by_labels.get(labels)

    def series_keys(self) -> list[tuple[str, Labels]]:
        """Return every ``(name, labels)`` key, in creation order within each name."""
        return [(name, labels) for name, by_labels in self._by_name.items() for labels in by_labels]

    def find(
        self, name: str, label_filter: Mapping[str, str] | None = None
    ) -> list[tuple[Labels, TimeSeries]]:
        """Return the series of metric ``name`` whose labels include all of ``label_filter``.

        Args:
            name: the metric name.
            label_filter: labels every returned series must carry with these values; empty
                or ``None`` matches every series of ``name``.

        Returns:
            ``(labels, series)`` pairs, in creation order.
        """
        wanted = set((label_filter or {}).items())
        by_labels = self._by_name.get(name, {})
        return [(labels, series) for labels, series in by_labels.items() if wanted <= set(labels)]
