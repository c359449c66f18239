"""The storage component's intake: its bus subscriptions, turned into the writer's rows.

* ``METRICS`` (drop-oldest): finite samples whose name has one of ``metric_prefixes`` go
  into the writer's metrics batch; while both batches are full this stops taking, and the
  subscription drops the oldest samples (counted). NaN and infinite values are counted and
  skipped: no database column takes both alike.
* ``RAW_FRAMES`` (drop-oldest, when recording): into the frames batch; a frame arriving at
  a full batch is dropped and counted.
* ``ORDER_DECISIONS``, ``ORDER_UPDATES``, ``FILLS``, ``POSITIONS`` (lossless: publishers
  wait for room, so these are taken at once): made into records
  (:mod:`agbotkit.db.convert`) and queued, never dropped, with whatever else already
  waits in the subscription (a burst reaches the journal in one write); position
  snapshots pass the :class:`~agbotkit.db.convert.PositionThrottle` first.

``ORDER_OUTCOMES`` is not stored: the venue's acceptance or rejection of an order also
arrives as its ``accepted`` or ``rejected`` status change on ``ORDER_UPDATES``, with
more of the order; storing both would log one fact twice.

At a stop, :meth:`Ingest.take_waiting` takes what the subscriptions still hold, without
waiting, so the final flush writes it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

import attrs
import trio

from agbotkit.bus.bus import Bus
from agbotkit.bus.subscription import Subscription
from agbotkit.bus.topic import Overflow
from agbotkit.db.convert import PositionThrottle, RecordMaker, position_record
from agbotkit.model.execution import OrderStatusChanged
from agbotkit.model.feeds import RawFrame
from agbotkit.model.metrics import Metric
from agbotkit.model.orders import Fill
from agbotkit.model.positions import PositionSnapshot
from agbotkit.model.risk import OrderDecision
from agbotkit.storage.spill import ExecutionRecord
from agbotkit.storage.writer import BatchWriter
from agbotkit.toolkit.tasks import consume, take_waiting
from agbotkit.topics import FILLS, METRICS, ORDER_DECISIONS, ORDER_UPDATES, POSITIONS, RAW_FRAMES

__all__ = ["Ingest"]

E = TypeVar("E")
#: What each lossless subscription holds before its publishers wait.
EXECUTION_BUFFER = 10_000


@attrs.frozen
class _Feed(Generic[E]):
    """A lossless subscription and what each of its events becomes."""

    events: Subscription[E]
    records: Callable[[E], list[ExecutionRecord]]


class Ingest:
    """Takes what the bus publishes into the writer's batches; see the module docstring.

    Args:
        writer: where the rows go.
        records: makes execution records from events.
        positions: decides which position snapshots are stored.
        metric_prefixes: only metrics whose name starts with one of these (all when empty).

    Attributes:
        nonfinite: NaN or infinite samples skipped.
    """

    def __init__(
        self,
        writer: BatchWriter,
        records: RecordMaker,
        positions: PositionThrottle,
        metric_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.writer = writer
        self.records = records
        self.positions = positions
        self.metric_prefixes = metric_prefixes
        self.nonfinite = 0
        self._frames_overflow = 0
        self._metrics: Subscription[Metric] | None = None
        self._frames: Subscription[RawFrame] | None = None
        self._execution: list[_Feed[Any]] = []

    @property
    def metrics_dropped(self) -> int:
        """Samples the bus subscription dropped because writing fell behind."""
        return self._metrics.dropped if self._metrics is not None else 0

    @property
    def frames_dropped(self) -> int:
        """Frames dropped because writing fell behind."""
        bus_drops = self._frames.dropped if self._frames is not None else 0
        return self._frames_overflow + bus_drops

    @contextlib.contextmanager
    def subscribed(
        self, bus: Bus, *, metrics_buffer: int, frames_buffer: int | None
    ) -> Iterator[None]:
        """Subscribe to the stored topics for the block (raw frames only when given a
        ``frames_buffer``); drop-oldest subscriptions hold at most their buffer."""
        with contextlib.ExitStack() as stack:
            self._metrics = stack.enter_context(
                bus.subscribe(METRICS, buffer=metrics_buffer, overflow=Overflow.DROP_OLDEST)
            )
            if frames_buffer is not None:
                self._frames = stack.enter_context(
                    bus.subscribe(RAW_FRAMES, buffer=frames_buffer, overflow=Overflow.DROP_OLDEST)
                )

            def lossless(
                events: Subscription[E], records: Callable[[E], list[ExecutionRecord]]
            ) -> _Feed[E]:
                return _Feed(stack.enter_context(events), records)

            self._execution = [
                lossless(bus.subscribe(ORDER_DECISIONS, buffer=EXECUTION_BUFFER), self._decision),
                lossless(bus.subscribe(ORDER_UPDATES, buffer=EXECUTION_BUFFER), self._order_update),
                lossless(bus.subscribe(FILLS, buffer=EXECUTION_BUFFER), self._fill),
                lossless(bus.subscribe(POSITIONS, buffer=EXECUTION_BUFFER), self._position),
            ]
            yield

    def start_collecting(self, nursery: trio.Nursery) -> None:
        """Take frames and execution events in ``nursery``'s tasks until their channels
        close (metrics: :meth:`collect_metrics`)."""
        if self._frames is not None:
            nursery.start_soon(consume, self._frames, self._frame)
        for feed in self._execution:
            nursery.start_soon(self._collect_execution, feed)

    async def collect_metrics(self) -> None:
        """Take metric samples while the writer has room for them; return when the bus
        closes."""
        if self._metrics is None:
            raise RuntimeError("collect_metrics outside subscribed()")
        writer, samples = self.writer, self._metrics
        while True:
            while not writer.has_room():  # both batches full: the subscription drops oldest
                await writer.room.wait()
            try:
                batch = await samples.receive_batch(writer.metrics_room())
            except (trio.EndOfChannel, trio.ClosedResourceError):
                return
            for metric in batch:
                self._metric(metric)

    def take_waiting(self) -> None:
        """Take what the subscriptions still hold, without waiting (the stack is stopping)."""
        for feed in self._execution:
            self._accept(feed, take_waiting(feed.events))
        if self._metrics is not None:
            for metric in take_waiting(self._metrics):
                self._metric(metric)
        if self._frames is not None:
            for frame in take_waiting(self._frames):
                self.writer.add_frame(frame, stopping=True)

    # -- one message each ------------------------------------------------------------------

    def _metric(self, metric: Metric) -> None:
        prefixes = self.metric_prefixes
        if prefixes and not metric.name.startswith(prefixes):
            return
        value = metric.value
        if value - value != 0.0:  # NaN or infinite: no database column takes both alike
            self.nonfinite += 1
            return
        self.writer.add_metric(metric)

    def _frame(self, frame: RawFrame) -> None:
        if not self.writer.add_frame(frame):
            self._frames_overflow += 1

    async def _collect_execution(self, feed: _Feed[Any]) -> None:
        async for event in feed.events:
            # With what else waits: a burst is journaled with one fsync, not one per event.
            self._accept(feed, [event, *take_waiting(feed.events)])

    def _accept(self, feed: _Feed[Any], events: list[Any]) -> None:
        records = [record for event in events for record in feed.records(event)]
        if records:
            self.writer.add_execution(records)

    def _decision(self, event: OrderDecision) -> list[ExecutionRecord]:
        return [self.records.decision(event)]

    def _order_update(self, event: OrderStatusChanged) -> list[ExecutionRecord]:
        return [self.records.order_update(event)]

    def _fill(self, event: Fill) -> list[ExecutionRecord]:
        return [self.records.fill(event)]

    def _position(self, event: PositionSnapshot) -> list[ExecutionRecord]:
        record = position_record(event)
        return [record] if self.positions.keep(record) else []
