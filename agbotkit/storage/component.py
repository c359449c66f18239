"""``storage``: writes the bus's metrics and execution events to SQLite or PostgreSQL.

What it stores, from which topics:

* ``METRICS`` -> ``metrics`` (finite values; ``metric_prefixes`` narrows it);
* ``ORDER_DECISIONS`` (the risk component's ``approved``/``denied``) and ``ORDER_UPDATES``
  (every status change of every order) -> ``orders``, one row per event;
  ``ORDER_OUTCOMES`` is not stored (the same facts arrive as status changes);
* ``FILLS`` -> ``fills`` (a trade the venue reports again is stored once);
  ``POSITIONS`` -> ``positions`` (after each change of holdings, and
  at most one unchanged snapshot per token per ``positions_interval_s``);
* ``RAW_FRAMES`` -> ``market_frames`` when ``record_frames`` is on.

(The subscriptions and what each message becomes: :mod:`agbotkit.storage.ingest`.)

It never slows the trading path. Rows are written in batches (``batch_size`` rows, or what
waited ``flush_interval_s``) from a worker thread. When the database is slower than the
feed, metrics and frames are dropped, oldest first, and counted; orders, fills and
positions are never dropped: while the database cannot take them, each is written to the
fsync'd spill file (:mod:`agbotkit.storage.spill`) as it arrives, so a crash during an
outage loses none; while it is only slower than the feed they wait in memory, up to
``execution_memory_rows``, and the rest goes to the spill file. Rows the database refuses
for another reason are kept in the spill file and the component stops with the error;
a spill file that cannot be written stops it at once, saying so. A database that goes away is retried with jittered
exponential backoff, and what waited is written once it answers. A stop writes everything
accepted within ``drain_timeout_s``; execution rows it could not write stay in the spill
file for the next start.

Own metrics (label ``component``): ``agbotkit.storage.rows_written`` (label ``table``),
``.metrics_dropped``, ``.frames_dropped``, ``.nonfinite``, ``.metric_batches_failed``
(counters); ``.connected``, ``.pending_execution``, ``.spilled_rows``,
``.pending_metrics`` (gauges); ``.retention_deleted`` (label ``table``, counter).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import attrs
import trio

from agbotkit.abc import Component, ComponentContext, Problem
from agbotkit.config.checks import greater_than
from agbotkit.db.convert import PositionThrottle, RecordMaker
from agbotkit.db.database import DatabaseConfig
from agbotkit.db.records import EXECUTION_TABLES
from agbotkit.errors import StorageError
from agbotkit.model.metrics import MetricType
from agbotkit.storage.ingest import Ingest
from agbotkit.storage.spill import SpillFile
from agbotkit.storage.writer import BatchWriter
from agbotkit.toolkit.backoff import Backoff
from agbotkit.toolkit.tasks import run_every

__all__ = ["RetentionConfig", "Storage", "StorageConfig"]

OWN_PREFIX = "agbotkit.storage."
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
        venue: written on the order and fill rows whose event names no venue.
        batch_size: rows per write.
        flush_interval_s: the longest a row waits for its batch to fill.
        metrics_buffer: samples the bus subscription holds while a batch is written; past
            it the oldest are dropped and counted.
        metric_prefixes: only store metrics whose name starts with one of these (all when
            empty).
        record_frames: also store every raw market-data frame (``market_frames``).
        frames_buffer: frames held while a batch is written (drop-oldest, counted).
        execution_memory_rows: execution rows held in memory while the database is slower
            than the feed; past it they go to the spill file. (While the database is away,
            every row goes to the spill file at once.)
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

    @classmethod
    def preflight(cls, config: StorageConfig, stack_dir: Path) -> Sequence[Problem]:
        """The database's driver and password must be there (nothing is connected)."""
        return config.problems(stack_dir)

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
        self.ingest = Ingest(
            self.writer,
            RecordMaker(config.venue, context.now_ms),
            PositionThrottle(int(config.positions_interval_s * 1000)),
            config.metric_prefixes,
        )
        self.retention_deleted: dict[str, int] = {}
        # Pauses between attempts while the database is away: 0.8-1.2 times a ceiling that
        # doubles from reconnect_initial_s up to reconnect_max_s.
        self._reconnect = Backoff(
            initial_s=config.reconnect_initial_s, max_s=config.reconnect_max_s, jitter=(0.8, 1.2)
        )
        self._last_drop_warning = -math.inf
        self._warned_drops = 0

    @property
    def nonfinite(self) -> int:
        """NaN or infinite samples skipped."""
        return self.ingest.nonfinite

    @property
    def metrics_dropped(self) -> int:
        """Samples the bus subscription dropped because writing fell behind."""
        return self.ingest.metrics_dropped

    @property
    def frames_dropped(self) -> int:
        """Frames dropped because writing fell behind."""
        return self.ingest.frames_dropped

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        config, ingest = self.config, self.ingest
        self.context.logger.info("storing to %s", self.backend.description)
        frames_buffer = config.frames_buffer if config.record_frames else None
        with ingest.subscribed(
            self.context.bus, metrics_buffer=config.metrics_buffer, frames_buffer=frames_buffer
        ):
            try:
                await self._first_flush()  # last run's spill file; the schema check
                async with trio.open_nursery() as nursery:
                    ingest.start_collecting(nursery)
                    nursery.start_soon(self._flush_loop)
                    nursery.start_soon(self._retention_loop)
                    nursery.start_soon(self._publish_own_metrics)
                    task_status.started()
                    await ingest.collect_metrics()  # returns when the bus closes
                    nursery.cancel_scope.cancel()
            finally:
                with self.context.draining(config.drain_timeout_s):
                    ingest.take_waiting()
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
        self.writer.connected = False  # also when the attempt ran out of time: journal first
        self.context.logger.warning(
            "database %s not reachable at start: buffering (metrics %d in memory, execution "
            "rows in %s) and retrying",
            self.backend.description,
            self.config.metrics_buffer,
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
                "stopped without writing everything: %d metrics and %d frames lost; "
                "%d execution rows kept in %s for the next start",
                metrics_lost,
                frames_lost,
                self.writer.spill.rows,
                self.writer.spill.path,
            )

    # -- writing ---------------------------------------------------------------------------

    async def _flush_loop(self) -> None:
        writer, reconnect = self.writer, self._reconnect
        while True:
            with trio.move_on_after(self.config.flush_interval_s):
                await writer.work.wait()
            if await writer.flush():
                if reconnect.failures:  # back after an outage: the database may be another
                    await self._apply_retention_settings()
                reconnect.reset()
                continue
            self._warn_drops()
            await trio.sleep(reconnect.next_delay())

    async def _retention_loop(self) -> None:
        # Not toolkit.run_every: that calls a plain function, and a pass awaits the database.
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
        self.publish_own_metrics()
        await run_every(self.config.metrics_interval_s, self.publish_own_metrics)

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
