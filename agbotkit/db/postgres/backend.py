"""The PostgreSQL backend: native daily partitions, or TimescaleDB hypertables.

Synchronous psycopg 3 on one connection (psycopg's async API does not run under trio; the
storage component calls these methods from worker threads, one at a time). The connection
opens on first use and reopens on the next call after the server went away
(:mod:`agbotkit.db.postgres.connection`).

The dialect decides the migration scripts and the upkeep: it is read from the bookkeeping
table when the schema exists, else chosen by the ``timescaledb`` option: ``on`` requires
the extension, ``auto`` uses it when the server has it, ``off`` never does. On the
``postgresql`` dialect every write first makes sure the daily partitions of the days it
touches exist (:mod:`agbotkit.db.postgres.partitions`); on ``timescaledb`` the extension
makes chunks itself. Metrics go in by binary ``COPY`` (:mod:`agbotkit.db.postgres.binary_copy`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar

import psycopg
from psycopg import errors

from agbotkit.db.backend import ExecutionBatch, RetentionReport
from agbotkit.db.migrations import Direction, Migration
from agbotkit.db.postgres import metrics as pg_metrics
from agbotkit.db.postgres import queries as pg_queries
from agbotkit.db.postgres import schema as pg_schema
from agbotkit.db.postgres import upkeep as pg_upkeep
from agbotkit.db.postgres import writes as pg_writes
from agbotkit.db.postgres.binary_copy import MetricCopyEncoder
from agbotkit.db.postgres.connection import PgConnection
from agbotkit.db.postgres.partitions import Partitions, touched_days
from agbotkit.db.records import (
    TABLES,
    ExecutionQuery,
    FillRecord,
    MetricsQuery,
    OrderRecord,
    PositionRecord,
    Series,
)
from agbotkit.db.rows import EXECUTION
from agbotkit.db.url import StorageUrl
from agbotkit.errors import StorageError
from agbotkit.model.feeds import RawFrame
from agbotkit.model.metrics import Metric

__all__ = ["PostgresBackend"]

LOGGER = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


class PostgresBackend:
    """A PostgreSQL database, reached through one lazily opened connection.

    Args:
        url: a ``postgresql://`` URL.
        password: a password from a secret (env or file), if any; never shown.
        timescaledb: ``auto`` (hypertables when the server has the extension), ``on``
            (required: :class:`~agbotkit.errors.StorageError` without it) or ``off``
            (native partitioning). A schema already created keeps its dialect.
        connect_timeout_s: bound on one connection attempt.
    """

    def __init__(
        self,
        url: StorageUrl,
        *,
        password: str | None = None,
        timescaledb: Literal["auto", "on", "off"] = "auto",
        connect_timeout_s: float = 5.0,
    ) -> None:
        if url.scheme != "postgresql":
            raise StorageError(f"not a PostgreSQL URL: {url.redacted()}")
        self._mode = timescaledb
        self._db = PgConnection(
            url, password=password, connect_timeout_s=connect_timeout_s, on_connect=self._reset
        )
        self._dialect: str | None = None
        self._partitions = Partitions()
        self._encoder = MetricCopyEncoder()

    def __repr__(self) -> str:
        return f"PostgresBackend({self._db.redacted!r}, timescaledb={self._mode!r})"

    @property
    def description(self) -> str:
        """The redacted URL and the dialect (once known: it takes a connection)."""
        dialect = self._dialect or f"dialect not known yet, timescaledb={self._mode}"
        return f"{self._db.redacted} ({dialect})"

    @property
    def conninfo(self) -> str:
        """The libpq connection string, password included: never log it."""
        return self._db.conninfo

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def ping(self) -> None:
        """Check the server answers (reconnecting if needed).

        Raises:
            StorageUnavailableError: it does not.
        """
        with self._db.use("ping") as conn:
            conn.execute("SELECT 1")

    def _reset(self, conn: psycopg.Connection[Any]) -> None:
        # A new connection may reach a server restored from a backup or migrated by another
        # process meanwhile: what was cached about its schema may be stale.
        del conn
        self._dialect = None
        self._partitions.forget()

    # -- dialect and migrations -------------------------------------------------------------

    @property
    def dialect(self) -> str:
        """``postgresql`` or ``timescaledb``: see the module docstring.

        Raises:
            StorageError: ``timescaledb="on"`` and the server lacks the extension.
            StorageUnavailableError: the server cannot be reached.
        """
        with self._db.use("read the dialect") as conn:
            return self._dialect_of(conn)

    def _read(
        self,
        doing: str,
        read: Callable[Concatenate[psycopg.Connection[Any], P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """``read(conn, *args, **kwargs)`` on the connection (``doing`` names it in errors)."""
        with self._db.use(doing) as conn:
            return read(conn, *args, **kwargs)

    def _dialect_of(self, conn: psycopg.Connection[Any]) -> str:
        if self._dialect is None:
            self._dialect = pg_schema.detect_dialect(conn, self._mode, self._db.redacted)
        return self._dialect

    def applied_versions(self) -> list[int]:
        """The schema versions applied, ascending (empty when there is no schema)."""
        return self._read("read the schema version", pg_schema.applied_versions)

    def apply_migration(self, migration: Migration, direction: Direction) -> None:
        """Run one migration script and its bookkeeping in one transaction."""
        with self._db.use(f"migration {migration.label} {direction}") as conn:
            dialect = self._dialect_of(conn)
            try:
                pg_schema.apply_migration(conn, migration, direction, dialect)
            finally:
                # Tables came or went: whatever was cached about them is stale.
                self._reset(conn)
            # The bookkeeping now names the dialect (up), or may name none (down to 0).
            self._dialect = dialect if direction == "up" else None
        LOGGER.info("%s: migration %s %s applied", self._db.redacted, migration.label, direction)

    # -- writes -----------------------------------------------------------------------------

    def write_metrics(self, metrics: Sequence[Metric]) -> int:
        """Insert metric samples by binary ``COPY``, in one transaction."""
        if not metrics:
            return 0
        days = touched_days([m.timestamp_ms for m in metrics])

        def copy(conn: psycopg.Connection[Any], native: bool) -> None:
            pg_writes.copy_metrics(conn, self._encoder, metrics, days, native)

        self._write("write metrics", {"metrics": days}, copy)
        return len(metrics)

    def write_frames(self, frames: Sequence[RawFrame]) -> int:
        """Insert raw frames into ``market_frames``, in one transaction."""
        if not frames:
            return 0
        days = touched_days([f.received_ms for f in frames])
        self._write(
            "write frames",
            {"market_frames": days},
            lambda conn, native: pg_writes.copy_frames(conn, frames),
        )
        return len(frames)

    def write_execution(self, batch: ExecutionBatch) -> int:
        """Insert orders, fills and positions in one transaction, skipping rows stored
        already; return the rows newly written."""
        if not len(batch):
            return 0
        written = 0

        def insert(conn: psycopg.Connection[Any], native: bool) -> None:
            nonlocal written
            written = pg_writes.insert_execution(conn, batch)

        days = {
            table.name: touched_days([r.timestamp_ms for r in batch.records(table)])
            for table in EXECUTION
        }
        self._write("write execution rows", days, insert)
        return written

    def _write(
        self,
        doing: str,
        days: Mapping[str, Iterable[int]],
        write: Callable[[psycopg.Connection[Any], bool], None],
    ) -> None:
        """Run ``write(conn, native)`` in one transaction; on native partitioning, first
        make sure the partitions of ``days`` (table -> UTC days) exist."""
        with self._db.use(doing) as conn:
            native = self._dialect_of(conn) == "postgresql"
            for attempt in (1, 2):
                if native:
                    for table, table_days in days.items():
                        self._partitions.ensure(conn, table, table_days)
                try:
                    with conn.transaction():
                        write(conn, native)
                    return
                except (errors.CheckViolation, errors.UndefinedTable):
                    # A partition we knew of is gone (another process's retention dropped
                    # it): "no partition of relation found for row", or the partition
                    # written to directly does not exist. Look again, once.
                    if not native or attempt == 2:
                        raise
                    self._partitions.forget(days)

    # -- upkeep -----------------------------------------------------------------------------

    def maintain(self, now_ms: int) -> None:
        """On the ``postgresql`` dialect, create the partitions of today and the next 3 days
        (UTC) of every table; nothing on ``timescaledb``."""
        with self._db.use("create partitions") as conn:
            if self._dialect_of(conn) == "postgresql":
                created = self._partitions.maintain(conn, TABLES, now_ms)
                if created:
                    LOGGER.info("%s: created %d partitions", self._db.redacted, created)

    def configure_retention(self, keep_days: Mapping[str, float]) -> None:
        """On ``timescaledb``, (re)set each table's retention policy; nothing elsewhere."""
        pg_upkeep.check_tables(keep_days)
        with self._db.use("configure retention") as conn:
            if self._dialect_of(conn) == "timescaledb":
                pg_upkeep.configure_retention(conn, keep_days)

    def apply_retention(self, cutoffs_ms: Mapping[str, int]) -> RetentionReport:
        """Delete exactly the rows with ``timestamp < cutoff`` of each table, whole
        partitions or chunks first."""
        pg_upkeep.check_tables(cutoffs_ms)
        with self._db.use("apply retention") as conn:
            dialect = self._dialect_of(conn)
            return pg_upkeep.apply_retention(conn, dialect, self._partitions, cutoffs_ms)

    # -- queries ----------------------------------------------------------------------------

    def query_metrics(self, query: MetricsQuery) -> list[Series]:
        """Series sorted by name then labels, points oldest first (see MetricsQuery)."""
        return self._read("query metrics", pg_metrics.query_metrics, query)

    def metric_names(self, start_ms: int | None = None, end_ms: int | None = None) -> list[str]:
        """The distinct metric names stored (within the range when given), sorted."""
        return self._read("list metric names", pg_metrics.metric_names, start_ms, end_ms)

    def query_orders(self, query: ExecutionQuery) -> list[OrderRecord]:
        """Order rows matching ``query``, oldest first (ties by ``event_id``)."""
        return self._read("query orders", pg_queries.query_orders, query)

    def query_fills(self, query: ExecutionQuery) -> list[FillRecord]:
        """Fill rows matching ``query``, oldest first (ties by ``id``)."""
        return self._read("query fills", pg_queries.query_fills, query)

    def query_positions(self, query: ExecutionQuery) -> list[PositionRecord]:
        """Position snapshots matching ``query`` (market, token_id), oldest first."""
        return self._read("query positions", pg_queries.query_positions, query)

    def latest_positions(self, source: str) -> list[PositionRecord]:
        """The newest snapshot of each token ``source`` held, by token id."""
        return self._read("read positions", pg_queries.latest_positions, source)

    def query_frames(
        self, start_ms: int, end_ms: int, feed: str | None = None, limit: int = 100_000
    ) -> list[RawFrame]:
        """Raw frames received in ``[start_ms, end_ms]``, oldest first."""
        with self._db.use("query frames") as conn:
            native = self._dialect_of(conn) == "postgresql"
            return pg_queries.query_frames(conn, start_ms, end_ms, feed, limit, by_ctid=native)

    def count_rows(self, table: str) -> int:
        """How many rows ``table`` holds."""
        pg_upkeep.check_tables([table])
        return self._read(f"count {table}", pg_queries.count_rows, table)
