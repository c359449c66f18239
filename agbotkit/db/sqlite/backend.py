"""The SQLite backend: one file beside the stack, nothing to install.

One connection, opened on first use, in WAL mode with ``synchronous=NORMAL``: a commit
survives a crash of the process (not necessarily a power cut), and readers (the dashboard,
the CLI) never block the writer. The connection is in autocommit mode and every write is
one explicit ``BEGIN IMMEDIATE ... COMMIT``: taking the write lock up front makes a busy
database wait ``busy_timeout_s`` at the start instead of failing halfway.

A database another process holds locked for longer than ``busy_timeout_s``, or a file that
cannot be opened, read or written (read-only, full disk), raises :class:`~agbotkit.errors.StorageUnavailableError` (retry
later); anything else SQLite refuses raises :class:`~agbotkit.errors.StorageError`.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from agbotkit.db.backend import ExecutionBatch, RetentionReport
from agbotkit.db.migrations import Direction, Migration
from agbotkit.db.records import (
    ExecutionQuery,
    FillRecord,
    MetricsQuery,
    OrderRecord,
    PositionRecord,
    Series,
)
from agbotkit.db.sqlite import metrics as sqlite_metrics
from agbotkit.db.sqlite import queries as sqlite_queries
from agbotkit.db.sqlite import writes as sqlite_writes
from agbotkit.db.url import StorageUrl
from agbotkit.errors import StorageError, StorageUnavailableError
from agbotkit.model.feeds import RawFrame
from agbotkit.model.metrics import Metric

__all__ = ["SqliteBackend"]

LOGGER = logging.getLogger(__name__)

T = TypeVar("T")

#: Primary result codes meaning "the database cannot be used right now": locked by another
#: connection, the file cannot be opened, the disk failed a read or write or is full, the
#: file or its folder is read-only or not permitted (the writer keeps its rows and retries
#: once there is room or write access again).
_UNAVAILABLE = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_PERM,
    }
)
#: Of those, the ones after which the connection itself is fine (the lock was someone else's).
_TRANSIENT = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})

_PRAGMAS = (
    # 16 KiB pages (the default is 4 KiB): about a fifth more metrics written per second, as
    # each page holds more rows and index entries. Only a new, empty file takes it (and only
    # before WAL is on); an existing file keeps the page size it has.
    "PRAGMA page_size = 16384",
    "PRAGMA journal_mode = WAL",
    # Durable across a crash of the process; only a power cut can lose the last commits.
    "PRAGMA synchronous = NORMAL",
    # An 8 MiB page cache per connection (the default is 2 MiB) and in-memory temporary
    # b-trees keep the sorts of GROUP BY and ORDER BY off the disk. The cache fills as the
    # file grows and then stays: it is what a long run's memory grows by at first (32 MiB
    # per connection made an hour's soak grow by a third; 8 MiB measured as fast here).
    "PRAGMA cache_size = -8192",
    "PRAGMA temp_store = MEMORY",
    # Copy the WAL into the database every 4,000 pages (64 MiB) instead of every 1,000: a
    # page rewritten by many commits is copied once, and each copy ends with an fsync.
    # Measured: 6% more metrics written per second, steadily. Then truncate the WAL back to
    # 64 MiB instead of keeping its peak size.
    "PRAGMA wal_autocheckpoint = 4000",
    "PRAGMA journal_size_limit = 67108864",
)


class SqliteBackend:
    """A :class:`~agbotkit.db.backend.StorageBackend` on one SQLite file.

    Args:
        url: a ``sqlite`` URL (its path is absolute, or ``:memory:``).
        busy_timeout_s: how long a call waits for another connection's write lock before
            raising :class:`~agbotkit.errors.StorageUnavailableError`.
    """

    def __init__(self, url: StorageUrl, *, busy_timeout_s: float = 5.0) -> None:
        if url.scheme != "sqlite" or url.path is None:
            raise StorageError(f"not a SQLite URL: {url.redacted()}")
        self._url = url
        self._path = url.path
        self._busy_timeout_s = busy_timeout_s
        self._conn: sqlite3.Connection | None = None

    @property
    def dialect(self) -> str:
        """Always ``sqlite``."""
        return "sqlite"

    @property
    def description(self) -> str:
        """The database file, for logs."""
        return f"{self._url.redacted()} (sqlite)"

    # -- connection and errors ------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        if str(self._path) != ":memory:":
            try:
                self._path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageUnavailableError(
                    f"cannot create the folder of {self._url.redacted()}: {exc}"
                ) from exc
        # timeout is SQLite's busy timeout. check_same_thread=False: the caller runs each call
        # in some worker thread, one call at a time. isolation_level=None: no implicit
        # transactions, ours are explicit.
        conn = sqlite3.connect(
            self._path,
            timeout=self._busy_timeout_s,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            for pragma in _PRAGMAS:
                conn.execute(pragma)
        except sqlite3.Error:
            conn.close()
            raise
        LOGGER.debug("opened %s", self.description)
        self._conn = conn
        return conn

    def _run(self, what: str, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work(connection)``, with SQLite's errors turned into storage errors."""
        try:
            return work(self._connection())
        except sqlite3.Error as exc:
            raise self._failed(what, exc) from exc

    def _write(
        self, what: str, work: Callable[[sqlite3.Connection], T], *, begin: bool = True
    ) -> T:
        """``work(connection)`` in one write transaction (begun by ``work`` itself when not
        ``begin``), rolled back if anything fails."""

        def transaction(conn: sqlite3.Connection) -> T:
            if begin:
                conn.execute("BEGIN IMMEDIATE")
            try:
                result = work(conn)
                conn.execute("COMMIT")
            except BaseException:
                self._rollback(conn)
                raise
            return result

        return self._run(what, transaction)

    def _rollback(self, conn: sqlite3.Connection) -> None:
        if not conn.in_transaction:
            return
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            # The connection is in no state to continue; the next call opens a new one.
            LOGGER.warning("rollback failed on %s; reconnecting", self.description, exc_info=True)
            self._drop()

    def _failed(self, what: str, exc: sqlite3.Error) -> StorageError:
        # Errors the sqlite3 module raises itself (a closed connection, a bad parameter)
        # carry no SQLite code; the extended codes keep the primary one in the low byte.
        code = (getattr(exc, "sqlite_errorcode", None) or sqlite3.SQLITE_ERROR) & 0xFF
        message = f"{what} on {self._url.redacted()} failed: {exc}"
        if code not in _UNAVAILABLE:
            return StorageError(message)
        if code not in _TRANSIENT:
            self._drop()
        return StorageUnavailableError(message)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error:
                LOGGER.debug("closing %s failed", self.description, exc_info=True)

    def close(self) -> None:
        """Close the connection (a later call would open a new one)."""
        self._drop()

    def ping(self) -> None:
        """Check the file can be opened and read.

        Raises:
            StorageUnavailableError: it cannot.
        """
        self._run("ping", lambda conn: conn.execute("SELECT count(*) FROM sqlite_master"))

    # -- migrations -----------------------------------------------------------------------

    def applied_versions(self) -> list[int]:
        """The schema versions applied, ascending (empty without the version table)."""
        return self._run("reading the schema version", sqlite_writes.applied_versions)

    def apply_migration(self, migration: Migration, direction: Direction) -> None:
        """Run one migration script and record it, in one transaction.

        Raises:
            StorageError: the script failed (nothing of it stays).
        """
        what = f"migration {migration.label} {direction}"
        # The script begins the transaction itself (see sqlite_writes.migrate).
        self._write(what, lambda c: sqlite_writes.migrate(c, migration, direction), begin=False)
        LOGGER.info("applied %s on %s", what, self.description)

    # -- writes ---------------------------------------------------------------------------

    def write_metrics(self, metrics: Sequence[Metric]) -> int:
        """Insert metric samples in one transaction; return the rows written."""
        if not metrics:
            return 0
        return self._write("writing metrics", lambda c: sqlite_writes.insert_metrics(c, metrics))

    def write_frames(self, frames: Sequence[RawFrame]) -> int:
        """Insert raw frames in one transaction; return the rows written."""
        if not frames:
            return 0
        return self._write("writing frames", lambda c: sqlite_writes.insert_frames(c, frames))

    def write_execution(self, batch: ExecutionBatch) -> int:
        """Insert orders, fills and positions in one transaction, skipping rows already
        stored; return the rows newly written."""
        if not len(batch):
            return 0
        return self._write(
            "writing orders, fills and positions",
            lambda c: sqlite_writes.insert_execution(c, batch),
        )

    # -- upkeep ---------------------------------------------------------------------------

    def maintain(self, now_ms: int) -> None:
        """Nothing to do: SQLite tables are not partitioned."""

    def configure_retention(self, keep_days: Mapping[str, float]) -> None:
        """Nothing to do: retention is :meth:`apply_retention`."""

    def apply_retention(self, cutoffs_ms: Mapping[str, int]) -> RetentionReport:
        """Delete the rows of each table with ``timestamp < cutoff``, in one transaction."""
        for table in cutoffs_ms:
            sqlite_writes.check_table(table)
        deleted = self._write(
            "applying retention", lambda c: sqlite_writes.delete_before(c, cutoffs_ms)
        )
        return RetentionReport(deleted)

    # -- queries --------------------------------------------------------------------------

    def query_metrics(self, query: MetricsQuery) -> list[Series]:
        """Series sorted by name then labels, points oldest first (see MetricsQuery)."""
        return self._run("querying metrics", lambda c: sqlite_metrics.query_metrics(c, query))

    def metric_names(self, start_ms: int | None = None, end_ms: int | None = None) -> list[str]:
        """The distinct metric names stored (within the range when given), sorted."""
        return self._run(
            "listing metric names", lambda c: sqlite_metrics.metric_names(c, start_ms, end_ms)
        )

    def query_orders(self, query: ExecutionQuery) -> list[OrderRecord]:
        """Order rows matching ``query``, oldest first (ties by ``event_id``)."""
        return self._run("querying orders", lambda c: sqlite_queries.query_orders(c, query))

    def query_fills(self, query: ExecutionQuery) -> list[FillRecord]:
        """Fill rows matching ``query``, oldest first (ties by ``id``)."""
        return self._run("querying fills", lambda c: sqlite_queries.query_fills(c, query))

    def query_positions(self, query: ExecutionQuery) -> list[PositionRecord]:
        """Position snapshots matching ``query`` (market, token_id), oldest first."""
        return self._run("querying positions", lambda c: sqlite_queries.query_positions(c, query))

    def latest_positions(self, source: str) -> list[PositionRecord]:
        """The newest snapshot of each token ``source`` held, by token id."""
        return self._run("reading positions", lambda c: sqlite_queries.latest_positions(c, source))

    def query_frames(
        self, start_ms: int, end_ms: int, feed: str | None = None, limit: int = 100_000
    ) -> list[RawFrame]:
        """Raw frames received in ``[start_ms, end_ms]``, oldest first."""
        return self._run(
            "querying frames",
            lambda c: sqlite_queries.query_frames(c, start_ms, end_ms, feed, limit),
        )

    def count_rows(self, table: str) -> int:
        """How many rows ``table`` (one of ``records.TABLES``) holds."""
        sqlite_writes.check_table(table)
        count: int = self._run(
            f"counting {table}", lambda c: c.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        )
        return count
