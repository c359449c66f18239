"""Fixed-capacity time series ring buffers (numpy), no allocation after creation.

A :class:`TimeSeries` keeps the newest ``capacity`` points of one series in two
preallocated numpy arrays (``int64`` timestamps in milliseconds, ``float64`` values); the
oldest point gives way when it is full. A :class:`SeriesStore` keeps many series keyed by
``(metric name, labels)``, with a hard cap on how many, so a label explosion cannot eat memory.

Policies, chosen once here:

* **Order.** Timestamps never go backwards: an append older than the newest stored point
  raises :class:`OutOfOrderError`; equal timestamps are allowed and kept in arrival order.
  Stored timestamps are therefore sorted, which lets :meth:`TimeSeries.query_range` use
  binary search on the (at most two) contiguous runs of the ring. :class:`SeriesStore`,
  fed from the wire, does not raise on such a point: it counts and drops it.
* **Downsampling.** When more than ``max_points`` points fall in a range, the ``count``
  points are split into ``max_points`` consecutive buckets of near-equal size (bucket ``k``
  holds points ``[k * count // max_points, (k + 1) * count // max_points)``) and the newest
  point of each bucket is kept. The result is evenly spaced, always ends with the newest
  point of the range and never repeats a point.
* **Output arrays.** Queries return a :class:`Points` pair of new arrays, or write into
  ``out_ts`` / ``out_values`` (1-D ``int64`` / ``float64``) and return views of their filled
  prefix. An output array needs room for the most points the call could ever return, so a
  too small one fails on the first call, not once the series fills up.

The parts: :mod:`.series` (:class:`~agbotkit.timeseries.series.TimeSeries`, one ring) and
:mod:`.store` (:class:`~agbotkit.timeseries.store.SeriesStore`, many rings, capped).
"""
