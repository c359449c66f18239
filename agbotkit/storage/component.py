"""``storage``: writes the bus's metrics and execution events to SQLite or PostgreSQL.

What it stores, from which topics:

* ``METRICS`` -> ``metrics`` (finite values; ``metric_prefixes`` narrows it);
* ``ORDER_DECISIONS`` and ``ORDER_OUTCOMES`` -> ``orders`` (one row per event);
* ``FILLS`` -> ``fills``; ``POSITIONS`` -> ``positions`` (after each change of holdings, and
  at most one unchanged snapshot per token per ``positions_interval_s``);
* ``RAW_FRAMES`` -> ``market_frames`` when ``record_frames`` is on.

It never slows the trading path. Rows are written in batches (``batch_size`` rows, or what
waited ``flush_interval_s``) from a worker thread. When the database is slower than the
feed, metrics and frames are dropped, oldest first, and counted; orders, fills and
positions are never dropped: they wait in memory and then in the spill file
(:mod:`agbotkit.storage.spill`). A database that goes away is retried with jittered
exponential backoff, and what waited is written once it answers. A stop writes everything
accepted within ``drain_timeout_s``; execution rows it could not write stay in the spill
file for the next start.

Own metrics (label ``component``): ``agbotkit.storage.rows_written`` (label ``table``),
``.metrics_dropped``, ``.frames_dropped``, ``.nonfinite``, ``.metric_batches_failed``
(counters); ``.connected``, ``.pending_execution``, ``.spilled_rows``,
``.pending_metrics`` (gauges); ``.retention_deleted`` (label ``table``, counter).
"""

from __future__ import annotations

import contextlib
import math
import random
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import attrs
import trio

from agbotkit.abc import Component, ComponentContext
from agbotkit.bus.subscription import Subscription
from agbotkit.bus.topic import Overflow
from agbotkit.config.checks import greater_than
from agbotkit.db.convert import PositionThrottle, RecordMaker, position_record
from agbotkit.db.database import DatabaseConfig
from agbotkit.db.records import EXECUTION_TABLES
from agbotkit.errors import StorageError
from agbotkit.model.feeds import RawFrame
from agbotkit.model.metrics import Metric, MetricType
from agbotkit.model.orders import Fill, OrderOutcome, PositionSnapshot
from agbotkit.model.risk import OrderDecision
from agbotkit.storage.spill import SpillFile
from agbotkit.storage.writer import BatchWriter
from agbotkit.topics import FILLS, METRICS, ORDER_DECISIONS, ORDER_OUTCOMES, POSITIONS, RAW_FRAMES

__all__ = ["RetentionConfig", "Storage", "StorageConfig"]

OWN_PREFIX = "agbotkit.storage."
E = TypeVar("E")
_DAY_MS = 86_400_000
#: Seconds between two "dropping metrics" warnings.
WARN_INTERVAL_S = 30.0


@attrs.frozen
class RetentionConfig:
    """How long rows are kept, in days (fractions allowed).

    Attributes:
        metrics_days: the ``metrics`` table.
        execution_days: ``orders``, ``fills`` and ``positions``.
        frames_days: ``market_frames``.
    """

    metrics_days: float = attrs.field(default=90.0, validator=greater_than(0))
    execution_days: float = attrs.field(default=365.0, validator=greater_than(0))
    frames_days: float = attrs.field(default=30.0, validator=greater_than(0))

    def keep_days(self) -> dict[str, float]:
        """Days kept per table."""
        days = {"metrics": self.metrics_days, "market_frames": self.frames_days}
        days.update(dict.fromkeys(EXECUTION_TABLES, self.execution_days))
        return days


@attrs.frozen
class StorageConfig(DatabaseConfig):
    """Options of ``storage`` (the database options of :class:`DatabaseConfig`, and these).

    Attributes:
        auto_upgrade: apply pending schema migrations at start (else a schema behind this
            agbotkit stops the component, naming ``agbotkit db upgrade``). A schema newer
            than this agbotkit knows is always refused.
        venue: written on every order and fill row.
        batch_size: rows per write.
        flush_interval_s: the longest a row waits for its batch to fill.
        metrics_buffer: samples the bus subscription holds while a batch is written; past
            it the oldest are dropped and counted.
        metric_prefixes: only store metrics whose name starts with one of these (all when
            empty).
        record_frames: also store every raw market-data frame (``market_frames``).
        frames_buffer: frames held while a batch is written (drop-oldest, counted).
        execution_memory_rows: execution rows held in memory while the database is away;
            past it they go to the spill file.
        spill_file: the spill file (default ``<component name>.spill.jsonl`` beside the
            stack file).
        positions_interval_s: the least time between two stored snapshots of an unchanged
            position.
        retention: days kept per kind of row.
        retention_interval_s: how often old rows are deleted (and partitions prepared).
        reconnect_initial_s: first pause after the database could not be reached.
        reconnect_max_s: the longest pause between attempts.
        drain_timeout_s: how long a stop may spend writing what is pending.
        metrics_interval_s: how often the own metrics are published.
    """

    auto_upgrade: bool = True
    venue: str = "polymarket"
    batch_size: int = attrs.field(default=10_000, validator=greater_than(0))
    flush_interval_s: float = attrs.field(default=1.0, validator=greater_than(0))
    metrics_buffer: int = attrs.field(default=100_000, validator=greater_than(0))
    metric_prefixes: tuple[str, ...] = ()
    record_frames: bool = False
    frames_buffer: int = attrs.field(default=50_000, validator=greater_than(0))
    execution_memory_rows: int = attrs.field(default=10_000, validator=greater_than(0))
    spill_file: Path | None = None
    positions_interval_s: float = attrs.field(default=60.0, validator=greater_than(0))
    retention: RetentionConfig = attrs.field(factory=RetentionConfig)
    retention_interval_s: float = attrs.field(default=3600.0, validator=greater_than(0))
    reconnect_initial_s: float = attrs.field(default=0.5, validator=greater_than(0))
    reconnect_max_s: float = attrs.field(default=30.0, validator=greater_than(0))
    drain_timeout_s: float = attrs.field(default=10.0, validator=greater_than(0))
    metrics_interval_s: float = attrs.field(default=5.0, validator=greater_than(0))


class Storage(Component[StorageConfig]):
    """Stores metrics, orders, fills, positions and frames; see the module docstring."""

    Config = StorageConfig

    def __init__(self, config: StorageConfig, context: ComponentContext) -> None:
        super().__init__(config, context)
        spill_path = config.spill_file or context.stack_dir / f"{context.name}.spill.jsonl"
        self.backend = config.open(context.stack_dir, f"components.{context.name}")
        self.writer = BatchWriter(
            self.backend,
            SpillFile(spill_path),
            batch_size=config.batch_size,
            memory_rows=config.execution_memory_rows,
            auto_upgrade=config.auto_upgrade,
            log=context.logger,
        )
        self.records = RecordMaker(config.venue, context.now_ms)
        self.positions = PositionThrottle(int(config.positions_interval_s * 1000))
        self.nonfinite = 0
        self._frames_overflow = 0
        self.retention_deleted: dict[str, int] = {}
        self._metrics_sub: Subscription[Metric] | None = None
        self._frames_sub: Subscription[RawFrame] | None = None
        self._last_drop_warning = -math.inf
        self._warned_drops = 0

    @property
    def metrics_dropped(self) -> int:
        """Samples the bus subscription dropped because writing fell behind."""
        return self._metrics_sub.dropped if self._metrics_sub is not None else 0

    @property
    def frames_dropped(self) -> int:
        """Frames dropped because writing fell behind."""
        bus_drops = self._frames_sub.dropped if self._frames_sub is not None else 0
        return self._frames_overflow + bus_drops

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        config, bus = self.config, self.context.bus
        self.context.logger.info("storing to %s", self.backend.description)
        with contextlib.ExitStack() as subscriptions:
            metrics = subscriptions.enter_context(
                bus.subscribe(METRICS, buffer=config.metrics_buffer, overflow=Overflow.DROP_OLDEST)
            )
            self._metrics_sub = metrics
            if config.record_frames:
                self._frames_sub = subscriptions.enter_context(
                    bus.subscribe(
                        RAW_FRAMES, buffer=config.frames_buffer, overflow=Overflow.DROP_OLDEST
                    )
                )
            # Lossless topics: their publishers wait for room, so these are drained at once.
            execution = _ExecutionSubscriptions(
                decisions=subscriptions.enter_context(
                    bus.subscribe(ORDER_DECISIONS, buffer=10_000)
                ),
                outcomes=subscriptions.enter_context(bus.subscribe(ORDER_OUTCOMES, buffer=10_000)),
                fills=subscriptions.enter_context(bus.subscribe(FILLS, buffer=10_000)),
                positions=subscriptions.enter_context(bus.subscribe(POSITIONS, buffer=10_000)),
            )
            try:
                await self._first_flush()  # last run's spill file; the schema check
                async with trio.open_nursery() as nursery:
                    if self._frames_sub is not None:
                        nursery.start_soon(self._collect_frames, self._frames_sub)
                    nursery.start_soon(self._collect, execution.decisions, self._decision)
                    nursery.start_soon(self._collect, execution.outcomes, self._outcome)
                    nursery.start_soon(self._collect, execution.fills, self._fill)
                    nursery.start_soon(self._collect, execution.positions, self._position)
                    nursery.start_soon(self._flush_loop)
                    nursery.start_soon(self._retention_loop)
                    nursery.start_soon(self._publish_own_metrics)
                    task_status.started()
                    await self._collect_metrics(metrics)  # returns when the bus closes
                    nursery.cancel_scope.cancel()
            finally:
                with self.context.draining(config.drain_timeout_s):
                    self._drain_subscriptions(execution)
                    await self._final_flush()
                    await trio.to_thread.run_sync(self.backend.close)

    # -- start and stop --------------------------------------------------------------------

    async def _first_flush(self) -> None:
        """Check the schema and write last run's spill file; a database that does not
        answer within ``connect_timeout_s`` is retried by the flush loop instead."""
        with trio.move_on_after(self.config.connect_timeout_s * 2):
            if await self.writer.flush():
                await self._apply_retention_settings()
                return
        self.context.logger.warning(
            "database %s not reachable at start: buffering (metrics %d, execution rows in "
            "memory %d, then in %s)",
            self.backend.description,
            self.config.metrics_buffer,
            self.config.execution_memory_rows,
            self.writer.spill.path,
        )

    async def _final_flush(self) -> None:
        """Write everything accepted; what cannot be written is spilled (execution) or
        counted as lost (metrics, frames)."""
        flushed = False
        try:
            flushed = await self.writer.flush(everything=True)
        except Exception as exc:  # whatever failed, the execution rows go to disk below
            self.context.logger.error("final flush failed: %s", exc)
        if not flushed:
            metrics_lost, frames_lost = self.writer.abandon()
            self.context.logger.error(
                "stopped with the database unreachable: %d metrics and %d frames lost; "
                "%d execution rows kept in %s for the next start",
                metrics_lost,
                frames_lost,
                self.writer.spill.rows,
                self.writer.spill.path,
            )

    def _drain_subscriptions(self, execution: _ExecutionSubscriptions) -> None:
        """Take what the bus still holds for us (no waiting: the stack is stopping)."""
        for decision in _drain(execution.decisions):
            self._decision(decision)
        for outcome in _drain(execution.outcomes):
            self._outcome(outcome)
        for fill in _drain(execution.fills):
            self._fill(fill)
        for position in _drain(execution.positions):
            self._position(position)
        if self._metrics_sub is not None:
            for metric in _drain(self._metrics_sub):
                self._accept_metric(metric)
        if self._frames_sub is not None:
            for frame in _drain(self._frames_sub):
                self.writer.add_frame(frame, stopping=True)

    # -- collecting: bus -> batches --------------------------------------------------------

    async def _collect_metrics(self, samples: Subscription[Metric]) -> None:
        writer = self.writer
        while True:
            while not writer.has_room():  # both batches full: the subscription drops oldest
                await writer.room.wait()
            try:
                batch = await samples.receive_batch(writer.metrics_room())
            except (trio.EndOfChannel, trio.ClosedResourceError):
                return
            for metric in batch:
                self._accept_metric(metric)

    def _accept_metric(self, metric: Metric) -> None:
        prefixes = self.config.metric_prefixes
        if prefixes and not metric.name.startswith(prefixes):
            return
        value = metric.value
        if value - value != 0.0:  # NaN or infinite: no database column takes both alike
            self.nonfinite += 1
            return
        self.writer.add_metric(metric)

    async def _collect_frames(self, frames: Subscription[RawFrame]) -> None:
        async for frame in frames:
            if not self.writer.add_frame(frame):
                self._frames_overflow += 1

    async def _collect(self, events: Subscription[E], accept: Callable[[E], None]) -> None:
        async for event in events:
            accept(event)

    def _decision(self, event: OrderDecision) -> None:
        self.writer.add_execution([self.records.decision(event)])

    def _outcome(self, event: OrderOutcome) -> None:
        self.writer.add_execution([self.records.outcome(event)])

    def _fill(self, event: Fill) -> None:
        self.writer.add_execution([self.records.fill(event)])

    def _position(self, event: PositionSnapshot) -> None:
        record = position_record(event)
        if self.positions.keep(record):
            self.writer.add_execution([record])

    # -- writing ---------------------------------------------------------------------------

    async def _flush_loop(self) -> None:
        config, writer = self.config, self.writer
        pause = config.reconnect_initial_s
        while True:
            with trio.move_on_after(config.flush_interval_s):
                await writer.work.wait()
            if await writer.flush():
                if pause != config.reconnect_initial_s:
                    await self._apply_retention_settings()
                pause = config.reconnect_initial_s
                continue
            self._warn_drops()
            await trio.sleep(pause * random.uniform(0.8, 1.2))
            pause = min(pause * 2, config.reconnect_max_s)

    async def _retention_loop(self) -> None:
        while True:
            await trio.sleep(self.config.retention_interval_s)
            await self.apply_retention()

    async def apply_retention(self) -> bool:
        """Delete rows older than the retention settings and prepare coming partitions.

        Returns:
            ``False`` when the database could not be reached (tried again next interval).
        """
        if not self.writer.schema_ready:
            return False
        now = self.context.now_ms()
        cutoffs = {
            table: now - int(days * _DAY_MS)
            for table, days in self.config.retention.keep_days().items()
        }
        try:
            await self.writer.call(self.backend.maintain, now)
            report = await self.writer.call(self.backend.apply_retention, cutoffs)
        except StorageError as exc:
            self.context.logger.warning("retention skipped: %s", exc)
            return False
        for table, rows in report.rows_deleted.items():
            self.retention_deleted[table] = self.retention_deleted.get(table, 0) + rows
        if any(report.rows_deleted.values()):
            self.context.logger.info(
                "retention: deleted %s (%d partitions dropped)",
                ", ".join(f"{n} {t}" for t, n in report.rows_deleted.items() if n),
                report.partitions_dropped,
            )
        return True

    async def _apply_retention_settings(self) -> None:
        try:
            keep = self.config.retention.keep_days()
            await self.writer.call(self.backend.configure_retention, keep)
        except StorageError as exc:
            self.context.logger.warning("could not set the database's retention policies: %s", exc)

    # -- own metrics -----------------------------------------------------------------------

    def _warn_drops(self) -> None:
        dropped = self.metrics_dropped
        now = trio.current_time()
        if dropped > self._warned_drops and now - self._last_drop_warning >= WARN_INTERVAL_S:
            self.context.logger.warning(
                "database unreachable or slow: %d metrics dropped so far (orders and fills are "
                "kept: %d waiting)",
                dropped,
                self.writer.pending_execution,
            )
            self._warned_drops, self._last_drop_warning = dropped, now

    async def _publish_own_metrics(self) -> None:
        while True:
            self.publish_own_metrics()
            await trio.sleep(self.config.metrics_interval_s)

    def publish_own_metrics(self) -> None:
        """Publish the counters and gauges of the module docstring once."""
        writer = self.writer
        counters: list[tuple[str, float, dict[str, str]]] = [
            ("rows_written", writer.counts.metrics, {"table": "metrics"}),
            ("rows_written", writer.counts.frames, {"table": "market_frames"}),
            ("rows_written", writer.counts.execution, {"table": "execution"}),
            ("metrics_dropped", self.metrics_dropped, {}),
            ("frames_dropped", self.frames_dropped, {}),
            ("nonfinite", self.nonfinite, {}),
            ("metric_batches_failed", writer.counts.metric_batches_failed, {}),
        ]
        counters += [
            ("retention_deleted", rows, {"table": table})
            for table, rows in self.retention_deleted.items()
        ]
        gauges: list[tuple[str, float, dict[str, str]]] = [
            ("connected", 1.0 if writer.connected else 0.0, {}),
            ("pending_execution", writer.pending_execution, {}),
            ("spilled_rows", writer.spill.rows, {}),
            ("pending_metrics", writer.pending_metrics, {}),
        ]
        for kind, samples in ((MetricType.COUNTER, counters), (MetricType.GAUGE, gauges)):
            for name, value, labels in samples:
                labels["component"] = self.name
                self.context.metric(OWN_PREFIX + name, value, kind, labels)


@attrs.frozen
class _ExecutionSubscriptions:
    decisions: Subscription[OrderDecision]
    outcomes: Subscription[OrderOutcome]
    fills: Subscription[Fill]
    positions: Subscription[PositionSnapshot]


def _drain(subscription: Subscription[E]) -> list[E]:
    taken = []
    while True:
        try:
            taken.append(subscription.receive_nowait())
        except (trio.WouldBlock, trio.EndOfChannel, trio.ClosedResourceError):
            return taken
