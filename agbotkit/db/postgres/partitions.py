"""Daily range partitions of the PostgreSQL tables (native partitioning, no TimescaleDB).

Every table of the ``postgresql`` dialect is ``PARTITION BY RANGE (timestamp)`` with one
partition per UTC day, named ``<table>_pYYYYMMDD`` (``metrics_p20261123`` holds
``[2026-11-23T00:00Z, 2026-11-24T00:00Z)``). There is no default partition: a row of a day
without a partition is refused, so the backend creates the partitions a write needs before
writing (:meth:`Partitions.ensure`), and :meth:`Partitions.maintain` creates the coming
days' ahead of time. Retention drops whole partitions, which is far cheaper than deleting
their rows one by one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from psycopg import errors, sql

from agbotkit.errors import StorageError

__all__ = ["DAY_MS", "Partitions", "day_of", "partition_name", "touched_days"]

LOGGER = logging.getLogger(__name__)

DAY_MS = 86_400_000
_UNIX_EPOCH = date(1970, 1, 1)
_LAST_DAY = (date.max - _UNIX_EPOCH).days  # 9999-12-31
_NAME = re.compile(r"^(?P<table>[a-z_]+)_p(?P<day>\d{8})$")
# How many days ahead maintain() creates, today included.
_AHEAD_DAYS = 4
# A batch spanning more days than this gets partitions only for the days it holds a row of.
_SPARSE_DAYS = 7


def day_of(timestamp_ms: int) -> int:
    """The UTC day (days since 1970-01-01) holding ``timestamp_ms``."""
    return timestamp_ms // DAY_MS


def touched_days(timestamps_ms: Sequence[int]) -> Collection[int]:
    """The UTC days holding ``timestamps_ms``: every day from the first to the last, unless
    they are more than a week apart (then only the days that hold one)."""
    if not timestamps_ms:
        return ()
    first, last = day_of(min(timestamps_ms)), day_of(max(timestamps_ms))
    if last - first < _SPARSE_DAYS:
        # A batch usually spans a day or two: two C-speed passes, no set of days.
        return range(first, last + 1)
    return {timestamp // DAY_MS for timestamp in timestamps_ms}


def _date(day: int) -> date:
    try:
        return _UNIX_EPOCH + timedelta(days=day)
    except OverflowError:
        raise StorageError(
            f"timestamp out of range: day {day} after 1970-01-01 is not in years 1-9999"
        ) from None


def partition_name(table: str, day: int) -> str:
    """``metrics_p20261123``: the partition of ``table`` holding UTC day ``day``."""
    when = _date(day)
    return f"{table}_p{when.year:04d}{when.month:02d}{when.day:02d}"


def _day_from_name(name: str) -> tuple[str, int] | None:
    match = _NAME.match(name)
    if match is None:
        return None
    digits = match["day"]
    try:
        when = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None
    return match["table"], (when - _UNIX_EPOCH).days


def _bound(day: int) -> sql.Composable:
    if day == _LAST_DAY + 1:
        # 10000-01-01 is past Python's dates: the last day's partition is open-ended.
        return sql.SQL("MAXVALUE")
    # An explicit UTC offset: the session's TimeZone must not move the bounds.
    return sql.Literal(datetime.combine(_date(day), datetime.min.time(), UTC).isoformat())


class Partitions:
    """The daily partitions of one database, with a cache of those known to exist.

    Not thread-safe: it belongs to one backend, used by one thread at a time.
    """

    def __init__(self) -> None:
        self._known: dict[str, set[int]] = {}

    def forget(self, tables: Iterable[str] | None = None) -> None:
        """Drop what is known of ``tables`` (default: all), after a migration, a reconnect
        or a partition found missing."""
        if tables is None:
            self._known.clear()
        for table in tables or ():
            self._known.pop(table, None)

    def ensure(self, conn: psycopg.Connection[Any], table: str, days: Iterable[int]) -> int:
        """Make sure ``table`` has a partition for each of ``days``; return how many were
        created. Each is created in a transaction of its own (``conn`` is autocommit), so a
        failed write does not take the partition back, and a partition another process
        created meanwhile is not an error."""
        known = self._known.get(table)
        wanted = set(days)
        if known is not None and wanted <= known:
            return 0
        if known is None:
            known = self._known[table] = set(self.existing(conn, table))
        created = 0
        for day in sorted(wanted - known):
            created += self._create(conn, table, day)
            known.add(day)
        return created

    def existing(self, conn: psycopg.Connection[Any], table: str) -> dict[int, str]:
        """The daily partitions of ``table`` now in the database: day -> partition name."""
        rows = conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s)",
            (table,),
        ).fetchall()
        found: dict[int, str] = {}
        for (name,) in rows:
            parsed = _day_from_name(name)
            if parsed is not None and parsed[0] == table:
                found[parsed[1]] = name
        return found

    def maintain(self, conn: psycopg.Connection[Any], tables: Iterable[str], now_ms: int) -> int:
        """Create the partitions of today and the next 3 days (UTC) of every table."""
        today = day_of(now_ms)
        days = range(today, today + _AHEAD_DAYS)
        return sum(self.ensure(conn, table, days) for table in tables)

    def drop_before(
        self, conn: psycopg.Connection[Any], table: str, cutoff_ms: int
    ) -> tuple[int, int]:
        """Drop every partition of ``table`` whose upper bound is at or before
        ``cutoff_ms``, counting its rows first.

        Returns:
            (partitions dropped, rows they held).
        """
        dropped = rows = 0
        for day, name in sorted(self.existing(conn, table).items()):
            if (day + 1) * DAY_MS > cutoff_ms:
                continue
            with conn.transaction():
                count = conn.execute(
                    sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))
                ).fetchone()
                conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(name)))
            rows += count[0] if count else 0
            dropped += 1
            self._known.get(table, set()).discard(day)
            LOGGER.info("dropped partition %s (%d rows)", name, count[0] if count else 0)
        return dropped, rows

    def _create(self, conn: psycopg.Connection[Any], table: str, day: int) -> int:
        statement = sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} PARTITION OF {} FOR VALUES FROM ({}) TO ({})"
        ).format(
            sql.Identifier(partition_name(table, day)),
            sql.Identifier(table),
            _bound(day),
            _bound(day + 1),
        )
        try:
            conn.execute(statement)
        except (errors.DuplicateTable, errors.UniqueViolation):
            # Another process created it between our look and our CREATE: it exists.
            return 0
        LOGGER.debug("created partition %s", partition_name(table, day))
        return 1
