"""The storage component's batches: what waits to be written, and writing it off the event loop.

Three kinds of rows wait here, each its own way:

* metrics: one batch fills while the previous one is written; when both are full the
  collector stops taking from its bus subscription, which then drops the oldest samples
  (counted). A batch the database could not take is kept and written first next time.
* raw frames: the same, in batches of their own.
* execution rows (orders, fills, positions): never dropped. While the database takes
  rows they wait in memory for their batch (past ``memory_rows``, when it is slower than
  the feed, the excess goes to the spill file). While it cannot take them (unreachable,
  or not tried yet) every row is written to the spill file (:mod:`agbotkit.storage.spill`,
  flushed and fsync'd) as it arrives, and nothing of it stays in memory: a crash during an
  outage loses no accepted order or fill. A batch the database refuses for another reason
  is journaled too, and the flush raises. The spill file is written to the database first
  the next time it answers; a spill file that cannot be written raises
  :class:`~agbotkit.errors.StorageError` at once, saying how many rows are only in memory.

Every database call runs in a worker thread (``trio.to_thread.run_sync``) behind a
capacity limiter of one: the drivers are synchronous, and one backend object is one
connection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import Generic, TypeVar

import attrs
import trio

from agbotkit.db.backend import ExecutionBatch, StorageBackend
from agbotkit.db.migrations import check_schema
from agbotkit.db.records import FillRecord, OrderRecord, PositionRecord
from agbotkit.errors import StorageError, StorageUnavailableError
from agbotkit.model.feeds import RawFrame
from agbotkit.model.metrics import Metric
from agbotkit.storage.spill import ExecutionRecord, SpillFile

__all__ = ["BatchQueue", "BatchWriter", "WriteCounts"]

LOGGER = logging.getLogger(__name__)
T = TypeVar("T")


def execution_batch(records: Sequence[ExecutionRecord]) -> ExecutionBatch:
    """``records`` sorted into the three tables."""
    return ExecutionBatch(
        orders=[r for r in records if isinstance(r, OrderRecord)],
        fills=[r for r in records if isinstance(r, FillRecord)],
        positions=[r for r in records if isinstance(r, PositionRecord)],
    )


@attrs.define
class BatchQueue(Generic[T]):
    """Rows waiting to be written, and the batch being written (kept until it is, so a
    batch the database could not take is the next one tried).

    Attributes:
        waiting: rows not yet in a batch, oldest first.
        in_flight: the batch taken for writing; empty when none.
    """

    waiting: list[T] = attrs.Factory(list)
    in_flight: list[T] = attrs.Factory(list)

    def __len__(self) -> int:
        return len(self.waiting) + len(self.in_flight)

    def next_batch(self, size: int) -> list[T]:
        """The batch in flight, or up to ``size`` waiting rows taken as the new one."""
        if not self.in_flight:
            self.in_flight = self.waiting[:size]
            del self.waiting[:size]
        return self.in_flight

    def written(self) -> None:
        """The batch in flight is done with (written, or refused and dropped)."""
        self.in_flight = []

    def clear(self) -> int:
        """Forget every row; return how many there were."""
        count = len(self)
        self.waiting, self.in_flight = [], []
        return count


@attrs.define
class WriteCounts:
    """Running totals, for the component's own metrics."""

    metrics: int = 0
    frames: int = 0
    execution: int = 0
    metric_batches_failed: int = 0
    execution_spilled: int = 0


class BatchWriter:
    """Pending rows and the calls that write them; see the module docstring.

    Args:
        backend: the database (its methods run in a worker thread).
        spill: where execution rows go past ``memory_rows``.
        batch_size: rows per write.
        memory_rows: execution rows kept in memory before spilling.
        auto_upgrade: apply pending migrations when first connected.
    """

    def __init__(
        self,
        backend: StorageBackend,
        spill: SpillFile,
        *,
        batch_size: int,
        memory_rows: int,
        auto_upgrade: bool,
        log: logging.Logger = LOGGER,
    ) -> None:
        self.backend = backend
        self.spill = spill
        self.batch_size = batch_size
        self.memory_rows = memory_rows
        self.auto_upgrade = auto_upgrade
        self.log = log
        self.counts = WriteCounts()
        self.connected: bool | None = None  # None: not tried yet
        self.schema_ready = False
        self.metrics: BatchQueue[Metric] = BatchQueue()
        self.frames: BatchQueue[RawFrame] = BatchQueue()
        self.execution: BatchQueue[ExecutionRecord] = BatchQueue()
        self._limiter = trio.CapacityLimiter(1)
        self._warned_slow = False
        self.room = trio.Event()  # set when a metrics batch was taken: collectors go on
        self.work = trio.Event()  # set when a batch is full or execution rows arrived

    # -- filling ---------------------------------------------------------------------------

    def has_room(self) -> bool:
        """Whether the metrics batch being filled takes more samples."""
        return self.metrics_room() > 0

    def metrics_room(self) -> int:
        """How many more samples the metrics batch being filled takes."""
        return self.batch_size - len(self.metrics.waiting)

    def add_metric(self, metric: Metric) -> None:
        """Queue one sample (the caller checks :meth:`has_room` first)."""
        waiting = self.metrics.waiting
        waiting.append(metric)
        if len(waiting) >= self.batch_size:
            self.work.set()

    def add_frame(self, frame: RawFrame, *, stopping: bool = False) -> bool:
        """Queue one raw frame; ``False`` (dropped) when the batch is full, unless the
        stack is ``stopping`` (then everything accepted is written at once)."""
        if len(self.frames.waiting) >= self.batch_size and not stopping:
            return False
        self.frames.waiting.append(frame)
        return True

    def add_execution(self, records: Sequence[ExecutionRecord]) -> None:
        """Queue execution rows: journaled at once while the database cannot take them
        (the last attempt failed), else held in memory for the next batch (the excess past
        ``memory_rows`` journaled).

        Raises:
            StorageError: the spill file cannot be written (the rows stay in memory).
        """
        waiting = self.execution.waiting
        waiting.extend(records)
        self.work.set()
        if self.connected is False or len(waiting) > self.memory_rows:
            self._journal(waiting, slow=self.connected is not False)

    def spill_memory(self) -> None:
        """Journal every execution row held in memory (the batch in flight first) and
        forget them there.

        Raises:
            StorageError: the spill file cannot be written (the rows stay in memory).
        """
        execution = self.execution
        if execution.in_flight:
            execution.waiting[:0] = execution.in_flight
            execution.written()
        self._journal(execution.waiting)

    def _journal(self, rows: list[ExecutionRecord], *, slow: bool = False) -> None:
        """Append ``rows`` to the spill file, then empty ``rows`` (a memory queue)."""
        if not rows:
            return
        try:
            self.counts.execution_spilled += self.spill.append(rows)
        except OSError as exc:
            message = (
                f"cannot write the spill file {self.spill.path}: {exc}; {len(rows)} execution "
                "rows are only in memory and are lost if this process ends before the "
                "database takes them"
            )
            self.log.critical("%s", message)
            raise StorageError(message) from exc
        if slow and not self._warned_slow:
            self.log.warning(
                "the database is slower than the execution feed: rows past %d in memory go to %s",
                self.memory_rows,
                self.spill.path,
            )
            self._warned_slow = True
        rows.clear()

    @property
    def pending_execution(self) -> int:
        """Execution rows not yet in the database (memory and spill file)."""
        return len(self.execution) + self.spill.rows

    @property
    def pending_metrics(self) -> int:
        """Samples waiting to be written (in hand, not counting the bus subscription)."""
        return len(self.metrics)

    # -- writing ---------------------------------------------------------------------------

    async def call(self, function: Callable[..., T], *args: object) -> T:
        """Run a backend method in a worker thread, one at a time."""
        return await trio.to_thread.run_sync(function, *args, limiter=self._limiter)

    async def flush(self, *, everything: bool = False) -> bool:
        """Write what is pending: execution rows first, then one batch of metrics and of
        frames (every batch with ``everything``).

        Returns:
            ``False`` when the database could not be reached (nothing was lost).

        Raises:
            StorageError: the database refused execution rows (they went to the spill file
                first) or its schema is unusable.
        """
        self.work = trio.Event()
        try:
            if not self.schema_ready:
                await self.call(partial(check_schema, auto_upgrade=self.auto_upgrade), self.backend)
                self.schema_ready = True
            await self._flush_spill()
            await self._flush_execution()
            while True:
                wrote = await self._flush_metrics()
                wrote = await self._flush_frames() or wrote
                if not (everything and wrote):
                    break
        except StorageUnavailableError as exc:
            if self.connected is not False:
                self.log.warning(
                    "database unreachable: %s (execution rows go to %s until it answers)",
                    exc,
                    self.spill.path,
                )
            self.connected = False
            self.spill_memory()  # journal first: nothing waits in memory during an outage
            return False
        if self.connected is False:
            self.log.info("database reachable again")
        self.connected = True
        return True

    async def _flush_spill(self) -> None:
        # Rows keep arriving (journaled) while the file is written: write what was loaded,
        # then what came after it, and empty the file only once all of it is in. Appends
        # and the final check run on the event loop, so nothing lands between them.
        done = 0
        while self.spill.rows > done:
            upto = self.spill.rows  # whole lines: every append so far has returned
            records = await trio.to_thread.run_sync(self.spill.load, done, upto)
            for start in range(0, len(records), self.batch_size):
                await self._write_execution(records[start : start + self.batch_size])
            self.log.info("%d spilled execution rows written to the database", len(records))
            done = upto
        if done:
            self.spill.clear()

    async def _flush_execution(self) -> None:
        execution = self.execution
        while batch := execution.next_batch(self.batch_size):
            try:
                await self._write_execution(batch)
            except StorageUnavailableError:
                raise  # the batch stays in flight; flush() journals it
            except StorageError:
                # Not a connection problem: the database refuses these rows. Keep them on
                # disk and stop loudly rather than drop an order or a fill.
                self._journal(batch)
                execution.written()
                self.log.error(
                    "the database refused %d execution rows; kept in %s",
                    len(batch),
                    self.spill.path,
                )
                raise
            execution.written()

    async def _write_execution(self, records: Sequence[ExecutionRecord]) -> None:
        self.counts.execution += await self.call(
            self.backend.write_execution, execution_batch(records)
        )

    async def _flush_metrics(self) -> bool:
        batch = self.metrics.next_batch(self.batch_size)
        self._room_made()  # the waiting rows moved into the batch: collectors go on
        if not batch:
            return False
        written = await self._write_batch(self.backend.write_metrics, batch, "metrics")
        if written is None:
            self.counts.metric_batches_failed += 1
        else:
            self.counts.metrics += written
        self.metrics.written()
        return True

    async def _flush_frames(self) -> bool:
        batch = self.frames.next_batch(self.batch_size)
        if not batch:
            return False
        written = await self._write_batch(self.backend.write_frames, batch, "frames")
        self.counts.frames += written or 0
        self.frames.written()
        return True

    async def _write_batch(
        self, write: Callable[[list[T]], int], batch: list[T], what: str
    ) -> int | None:
        """Rows written, or ``None`` when the database refused the batch (dropped, logged).

        Raises:
            StorageUnavailableError: the database is away (the batch stays in flight).
        """
        try:
            return await self.call(write, batch)
        except StorageUnavailableError:
            raise
        except StorageError as exc:
            self.log.error("a batch of %d %s was refused and dropped: %s", len(batch), what, exc)
            return None

    def _room_made(self) -> None:
        self.room.set()
        self.room = trio.Event()

    def abandon(self) -> tuple[int, int]:
        """At a stop that could not flush: spill execution rows; return the metrics and
        frames lost (they are only counted).

        Raises:
            StorageError: the spill file cannot be written.
        """
        lost = self.metrics.clear(), self.frames.clear()
        self.spill_memory()
        return lost
