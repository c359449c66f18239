"""Fan-out of metric samples to browsers: batched frames at a steady rate.

Samples are added to a pending batch as they arrive (cheap: two list appends). Every push
interval the batch is cut and offered to every browser's :class:`BrowserQueue`; each browser
has its own sender task that encodes (once per batch, shared by every browser that sends it)
and sends. So ingestion never waits for a browser, and a browser never waits for another.

A browser that does not keep up:

* first gets **coalesced** data: when its queue holds ``queue_frames`` batches, they are
  merged into one, keeping per series the newest ``max_points_per_series`` points (the
  latest values survive, older intermediate points go); memory stays bounded;
* then, when it has made no progress (taken no batch) for ``slow_client_timeout_s`` while
  data waited, it is **evicted**: its connection is closed (1008).

A batch frame is ``{"type": "batch", "server_ms": ..., "series": [{"name", "labels",
"metric_type", "points": [[ts, v], ...]}], "kill_switch": {...}}`` (``kill_switch`` only
when it changed since the previous frame); points are oldest first. State set with
:meth:`Broadcaster.set_state` (the open orders, recent fills and PnL) travels the same way,
under its own key, only in the frame after it changed.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import msgspec
import trio

from agbotkit.model.metrics import Labels, Metric

__all__ = ["Batch", "Broadcaster", "BrowserQueue", "SeriesKey"]

#: A series: metric name and labels.
SeriesKey = tuple[str, Labels]

_ENCODER = msgspec.json.Encoder()


class _Points:
    """The points of one series within a batch (lists: appends are the hot path)."""

    __slots__ = ("metric_type", "timestamps", "values")

    def __init__(self, metric_type: str) -> None:
        self.metric_type = metric_type
        self.timestamps: list[int] = []
        self.values: list[float] = []

    def trim(self, keep: int) -> None:
        if len(self.timestamps) > keep:
            del self.timestamps[:-keep]
            del self.values[:-keep]


class Batch:
    """The new points of every series over one push interval, and frame extras.

    Attributes:
        server_ms: when the batch was cut, Unix epoch milliseconds.
        series: new points per series, oldest first.
        kill_switch: the kill switch state when it changed during the interval, else
            ``None``.
        state: other state that changed during the interval, by frame key.
    """

    __slots__ = ("_text", "kill_switch", "series", "server_ms", "state")

    def __init__(
        self,
        server_ms: int,
        series: dict[SeriesKey, _Points],
        kill_switch: dict[str, Any] | None = None,
        state: dict[str, Any] | None = None,
    ) -> None:
        self.server_ms = server_ms
        self.series = series
        self.kill_switch = kill_switch
        self.state = state or {}
        self._text: str | None = None

    @property
    def point_count(self) -> int:
        """How many points the batch carries."""
        return sum(len(points.timestamps) for points in self.series.values())

    def text(self) -> str:
        """The batch as a JSON text frame (encoded on first use, then shared)."""
        if self._text is None:
            frame: dict[str, Any] = {
                "type": "batch",
                "server_ms": self.server_ms,
                "series": [
                    {
                        "name": name,
                        "labels": dict(labels),
                        "metric_type": points.metric_type,
                        "points": list(zip(points.timestamps, points.values, strict=True)),
                    }
                    for (name, labels), points in self.series.items()
                ],
            }
            if self.kill_switch is not None:
                frame["kill_switch"] = self.kill_switch
            frame.update(self.state)
            self._text = _ENCODER.encode(frame).decode()
        return self._text

    @classmethod
    def merge(cls, batches: Iterable[Batch], max_points_per_series: int) -> Batch:
        """One batch holding ``batches`` (oldest first): newest points and state win."""
        series: dict[SeriesKey, _Points] = {}
        server_ms = 0
        kill_switch = None
        state: dict[str, Any] = {}
        for batch in batches:
            server_ms = batch.server_ms
            if batch.kill_switch is not None:
                kill_switch = batch.kill_switch
            state.update(batch.state)
            for key, points in batch.series.items():
                merged = series.get(key)
                if merged is None:
                    merged = series[key] = _Points(points.metric_type)
                merged.timestamps.extend(points.timestamps)
                merged.values.extend(points.values)
        for points in series.values():
            points.trim(max_points_per_series)
        return cls(server_ms, series, kill_switch, state)


class BrowserQueue:
    """One browser's bounded queue of batches; its sender task drains it with :meth:`get`.

    Attributes:
        coalesced: batches merged into others because the browser was behind.
        sent: batches taken by the sender.
        evicted: set when the browser is too slow and must be disconnected.
        evicted_reason: why, for the close frame.
    """

    def __init__(self, queue_frames: int, max_points_per_series: int) -> None:
        self._batches: collections.deque[Batch] = collections.deque()
        self._queue_frames = queue_frames
        self._max_points = max_points_per_series
        self._ready = trio.Event()
        self._progress = trio.current_time()
        self.coalesced = 0
        self.sent = 0
        self.evicted = trio.Event()
        self.evicted_reason = ""

    def __len__(self) -> int:
        return len(self._batches)

    def offer(self, batch: Batch) -> None:
        """Queue ``batch`` without waiting; coalesce when the queue is full."""
        if not self._batches:
            self._progress = trio.current_time()  # caught up until now
        if len(self._batches) >= self._queue_frames:
            self.coalesced += len(self._batches)
            batch = Batch.merge((*self._batches, batch), self._max_points)
            self._batches.clear()
        self._batches.append(batch)
        self._ready.set()

    async def get(self) -> Batch:
        """The oldest queued batch, waiting for one."""
        while not self._batches:
            self._ready = trio.Event()
            await self._ready.wait()
        self._progress = trio.current_time()
        self.sent += 1
        return self._batches.popleft()

    def stalled_for(self, now: float) -> float:
        """Seconds without progress while data waited (0 when the queue is empty)."""
        return now - self._progress if self._batches else 0.0

    def evict(self, reason: str) -> None:
        """Mark the browser for disconnection."""
        if not self.evicted.is_set():
            self.evicted_reason = reason
            self.evicted.set()


class Broadcaster:
    """Collects samples between pushes and hands each push's batch to every browser.

    Args:
        max_points_per_series: the most points of one series in one frame (the newest are
            kept); also the cap when a slow browser's frames are coalesced.
        queue_frames: batches a browser may have waiting before they are coalesced.
        slow_client_timeout_s: a browser that took no batch for this long while data
            waited is evicted.

    Attributes:
        evictions: browsers evicted for being too slow, in total.
    """

    def __init__(
        self,
        *,
        max_points_per_series: int = 1000,
        queue_frames: int = 8,
        slow_client_timeout_s: float = 10.0,
    ) -> None:
        self._max_points = max_points_per_series
        self._queue_frames = queue_frames
        self._slow_timeout = slow_client_timeout_s
        self._pending: dict[SeriesKey, _Points] = {}
        self._kill_switch: dict[str, Any] | None = None
        self._state: dict[str, Any] = {}
        self._queues: set[BrowserQueue] = set()
        self.evictions = 0

    @property
    def browsers(self) -> int:
        """How many browsers are subscribed."""
        return len(self._queues)

    @property
    def queues(self) -> tuple[BrowserQueue, ...]:
        """The subscribed browsers' queues."""
        return tuple(self._queues)

    def add(self, metric: Metric) -> None:
        """Add one sample to the pending batch."""
        self.add_many((metric,))

    def add_many(self, metrics: Iterable[Metric]) -> None:
        """Add samples to the pending batch, in order (the ingest hot path)."""
        pending = self._pending
        trim_at = 2 * self._max_points
        for metric in metrics:
            key = (metric.name, metric.labels)
            points = pending.get(key)
            if points is None:
                points = pending[key] = _Points(metric.metric_type.value)
            timestamps = points.timestamps
            timestamps.append(metric.timestamp_ms)
            points.values.append(metric.value)
            if len(timestamps) >= trim_at:
                # A very busy series: keep its newest points only (amortised trimming).
                points.trim(self._max_points)

    def set_kill_switch(self, state: dict[str, Any] | None) -> None:
        """Send ``state`` with the next frame."""
        self._kill_switch = state

    def set_state(self, key: str, value: Any) -> None:
        """Send ``value`` under ``key`` with the next frame (a later value replaces it)."""
        self._state[key] = value

    @contextmanager
    def subscribe(self) -> Iterator[BrowserQueue]:
        """A queue receiving every batch pushed while the ``with`` block lasts."""
        queue = BrowserQueue(self._queue_frames, self._max_points)
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)

    def push(self, server_ms: int, *, force: bool = False) -> Batch | None:
        """Cut the pending batch and offer it to every browser; evict stalled ones.

        Args:
            server_ms: the batch's time.
            force: send even an empty batch (a keep-alive carrying the server's clock).

        Returns:
            The batch, or ``None`` when there was nothing to send.
        """
        now = trio.current_time()
        for queue in self._queues:
            stalled = queue.stalled_for(now)
            if stalled > self._slow_timeout and not queue.evicted.is_set():
                self.evictions += 1
                queue.evict(f"too slow: no progress for {stalled:.0f} s")
        if not (self._pending or self._kill_switch is not None or self._state or force):
            return None
        for points in self._pending.values():
            points.trim(self._max_points)
        batch = Batch(server_ms, self._pending, self._kill_switch, self._state)
        self._pending = {}
        self._kill_switch = None
        self._state = {}
        for queue in self._queues:
            if not queue.evicted.is_set():
                queue.offer(batch)
        return batch
