"""What a storage backend (SQLite, PostgreSQL) provides: the contract both implement.

Backends are synchronous (the drivers are): the storage component and the dashboard call
them from worker threads with ``trio.to_thread.run_sync``, one call at a time per backend
object (a caller that wants concurrency opens several). Each write is one transaction:
all of it is stored or none of it.

Errors: a database that cannot be reached (down, restarting, locked) raises
:class:`~agbotkit.errors.StorageUnavailableError`, and the caller retries the same call
later; the backend reconnects by itself on the next call. Anything else the database
refuses raises :class:`~agbotkit.errors.StorageError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeVar

import attrs

from agbotkit.db.migrations import MigrationTarget
from agbotkit.db.records import (
    ExecutionQuery,
    FillRecord,
    MetricsQuery,
    OrderRecord,
    PositionRecord,
    Series,
)
from agbotkit.db.rows import Table
from agbotkit.model.feeds import RawFrame
from agbotkit.model.metrics import Metric

__all__ = ["ExecutionBatch", "RetentionReport", "StorageBackend"]

R = TypeVar("R")


@attrs.frozen
class ExecutionBatch:
    """Execution rows written together, in one transaction, idempotently."""

    orders: Sequence[OrderRecord] = ()
    fills: Sequence[FillRecord] = ()
    positions: Sequence[PositionRecord] = ()

    def __len__(self) -> int:
        return len(self.orders) + len(self.fills) + len(self.positions)

    def records(self, table: Table[R]) -> Sequence[R]:
        """The batch's rows of ``table`` (:data:`~agbotkit.db.rows.ORDERS`, ``FILLS`` or
        ``POSITIONS``)."""
        by_table: dict[str, Sequence[Any]] = {
            "orders": self.orders,
            "fills": self.fills,
            "positions": self.positions,
        }
        return by_table[table.name]


@attrs.frozen
class RetentionReport:
    """What a retention pass removed.

    Attributes:
        rows_deleted: rows removed per table (rows of dropped partitions or chunks
            included when the backend can count them cheaply, else only deleted rows).
        partitions_dropped: whole partitions or chunks dropped.
    """

    rows_deleted: Mapping[str, int]
    partitions_dropped: int = 0


class StorageBackend(MigrationTarget, Protocol):
    """One connection's worth of a database; see the module docstring."""

    @property
    def description(self) -> str:
        """What it is connected to, for logs: the redacted URL and the dialect."""

    def close(self) -> None:
        """Close the connection(s); the object is not used afterwards."""

    def ping(self) -> None:
        """Check the database answers (reconnecting if needed).

        Raises:
            StorageUnavailableError: it does not.
        """

    # -- writes ---------------------------------------------------------------------------

    def write_metrics(self, metrics: Sequence[Metric]) -> int:
        """Insert metric samples (finite values only); return the rows written."""

    def write_frames(self, frames: Sequence[RawFrame]) -> int:
        """Insert raw market-data frames into ``market_frames``; return the rows written."""

    def write_execution(self, batch: ExecutionBatch) -> int:
        """Insert orders, fills and positions; rows already stored (same ``event_id`` /
        ``id`` / snapshot key) are skipped. Return the rows newly written."""

    # -- upkeep ---------------------------------------------------------------------------

    def maintain(self, now_ms: int) -> None:
        """Periodic upkeep: on partitioned PostgreSQL, create the coming days' partitions."""

    def configure_retention(self, keep_days: Mapping[str, float]) -> None:
        """Make the database's own retention match ``keep_days`` (table -> days kept).

        On TimescaleDB this (re)sets each hypertable's retention policy; elsewhere retention
        is :meth:`apply_retention`, run by the storage component, and this does nothing.
        """

    def apply_retention(self, cutoffs_ms: Mapping[str, int]) -> RetentionReport:
        """Delete every row of each named table with ``timestamp < cutoff``; exactly those."""

    # -- queries --------------------------------------------------------------------------

    def query_metrics(self, query: MetricsQuery) -> list[Series]:
        """Series sorted by name then labels, points oldest first (see MetricsQuery)."""

    def metric_names(self, start_ms: int | None = None, end_ms: int | None = None) -> list[str]:
        """The distinct metric names stored (within the range when given), sorted."""

    def query_orders(self, query: ExecutionQuery) -> list[OrderRecord]:
        """Order rows matching ``query``, oldest first (ties by ``event_id``)."""

    def query_fills(self, query: ExecutionQuery) -> list[FillRecord]:
        """Fill rows matching ``query``, oldest first (ties by ``id``)."""

    def query_positions(self, query: ExecutionQuery) -> list[PositionRecord]:
        """Position snapshots matching ``query`` (market, token_id), oldest first."""

    def latest_positions(self, source: str) -> list[PositionRecord]:
        """The newest snapshot of each token the component ``source`` held, by token id
        (what a restarted risk component starts from)."""

    def query_frames(
        self, start_ms: int, end_ms: int, feed: str | None = None, limit: int = 100_000
    ) -> list[RawFrame]:
        """Raw frames received in ``[start_ms, end_ms]``, oldest first."""

    def count_rows(self, table: str) -> int:
        """How many rows ``table`` holds (for status and tests)."""
