"""The storage writer's guarantees for orders and fills, on a real SQLite file: journal
first while the database cannot take rows, a bounded memory, and loud failures (never a
silent drop) when the database refuses rows or the journal cannot be written."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from agbotkit.db.connect import open_backend
from agbotkit.db.records import ExecutionQuery, FillRecord
from agbotkit.db.sqlite.backend import SqliteBackend
from agbotkit.db.url import parse_storage_url
from agbotkit.errors import StorageError
from agbotkit.storage.spill import SpillFile
from agbotkit.storage.writer import BatchWriter

ALL_TIME = ExecutionQuery(start_ms=0, end_ms=2**62)


def fill(number: int) -> FillRecord:
    return FillRecord(
        id=f"fill-{number}",
        timestamp_ms=1_763_900_000_000 + number,
        order_id=f"order-{number}",
        venue="polymarket",
        market="0xm",
        token_id="tok",
        side="BUY",
        price=Decimal("0.42"),
        size=Decimal(number),
        fee=Decimal(0),
    )


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store.sqlite"


@pytest.fixture
def backend(db_path: Path) -> Iterator[SqliteBackend]:
    backend = open_backend(parse_storage_url(f"sqlite:///{db_path}"), connect_timeout_s=0.1)
    assert isinstance(backend, SqliteBackend)
    yield backend
    backend.close()


def make_writer(backend: SqliteBackend, spill: Path, memory_rows: int = 50) -> BatchWriter:
    return BatchWriter(
        backend, SpillFile(spill), batch_size=100, memory_rows=memory_rows, auto_upgrade=True
    )


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Another connection holds the write lock: the writer's database is unavailable."""
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as blocker:
        blocker.execute("BEGIN EXCLUSIVE")
        yield
        blocker.execute("COMMIT")


def stored_fills(backend: SqliteBackend) -> list[int]:
    return sorted(int(f.id.split("-")[1]) for f in backend.query_fills(ALL_TIME))


async def test_while_the_database_answers_memory_holds_at_most_memory_rows(
    backend: SqliteBackend, tmp_path: Path
) -> None:
    writer = make_writer(backend, tmp_path / "spill.jsonl", memory_rows=50)
    assert await writer.flush()  # connected, schema made; nothing flushes below
    for number in range(1, 301):
        writer.add_execution([fill(number)])
        assert len(writer.execution) <= 50  # the rest is in the journal, not also here
        assert len(writer.execution) + writer.spill.rows == number
    assert writer.spill.rows >= 250
    assert await writer.flush()
    assert stored_fills(backend) == list(range(1, 301))
    assert writer.pending_execution == 0
    assert not writer.spill.path.exists()


async def test_while_the_database_is_away_each_row_is_journaled_as_it_arrives(
    backend: SqliteBackend, db_path: Path, tmp_path: Path
) -> None:
    writer = make_writer(backend, tmp_path / "spill.jsonl", memory_rows=10_000)
    assert await writer.flush()
    writer.add_execution([fill(1)])  # the database answers: waits in memory
    with locked(db_path):
        assert not await writer.flush()
        # What waited in memory went to disk when the write failed...
        assert (len(writer.execution), writer.spill.rows) == (0, 1)
        for number in range(2, 21):
            writer.add_execution([fill(number)])
            # ...and every later row is on disk before add_execution returns.
            assert (len(writer.execution), writer.spill.rows) == (0, number)
        assert [r.id for r in SpillFile(writer.spill.path).load()] == [
            f"fill-{n}" for n in range(1, 21)
        ]
    assert await writer.flush()
    assert stored_fills(backend) == list(range(1, 21))
    assert not writer.spill.path.exists()


async def test_the_journal_is_written_in_parts_while_rows_keep_arriving(
    backend: SqliteBackend, tmp_path: Path
) -> None:
    spill = SpillFile(tmp_path / "spill.jsonl")
    spill.append([fill(n) for n in range(1, 6)])
    assert spill.load(1, 3) == [fill(2), fill(3)]
    assert spill.load(3) == [fill(4), fill(5)]
    writer = make_writer(backend, spill.path)
    assert await writer.flush()
    assert stored_fills(backend) == [1, 2, 3, 4, 5]


def refuse_fills(path: Path) -> None:
    """The database refuses every fill (not an outage: a constraint of its own)."""
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute(
            "CREATE TRIGGER refuse_fills BEFORE INSERT ON fills "
            "BEGIN SELECT RAISE(ABORT, 'fills refused by a test trigger'); END"
        )


def accept_fills(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("DROP TRIGGER refuse_fills")


async def test_rows_the_database_refuses_are_journaled_once_and_the_flush_raises(
    backend: SqliteBackend, db_path: Path, tmp_path: Path
) -> None:
    writer = make_writer(backend, tmp_path / "spill.jsonl")
    assert await writer.flush()
    refuse_fills(db_path)
    writer.add_execution([fill(n) for n in range(1, 11)])
    with pytest.raises(StorageError, match="fills refused by a test trigger"):
        await writer.flush()
    assert len(writer.execution) == 0
    assert [r.id for r in SpillFile(writer.spill.path).load()] == [
        f"fill-{n}" for n in range(1, 11)
    ]
    # Refused again from the journal (as at a stop): still raised, still kept once.
    with pytest.raises(StorageError, match="fills refused"):
        await writer.flush(everything=True)
    writer.abandon()
    assert SpillFile(writer.spill.path).rows == 10
    accept_fills(db_path)
    restarted = make_writer(backend, writer.spill.path)
    assert await restarted.flush()
    assert stored_fills(backend) == list(range(1, 11))


def unwritable(tmp_path: Path) -> Path:
    """A spill path no one can write, root included: its folder is a file."""
    (tmp_path / "not-a-folder").write_text("")
    return tmp_path / "not-a-folder" / "spill.jsonl"


async def test_an_unwritable_journal_during_an_outage_fails_at_once_saying_so(
    backend: SqliteBackend, db_path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    writer = make_writer(backend, unwritable(tmp_path))
    assert await writer.flush()
    writer.add_execution([fill(1)])
    with locked(db_path):
        # The outage is found by the write: the row cannot go to the journal.
        with pytest.raises(StorageError, match="cannot write the spill file") as raised:
            await writer.flush()
        assert "1 execution rows are only in memory" in str(raised.value)
        # A row arriving during the outage fails at once, too.
        with pytest.raises(StorageError, match="cannot write the spill file") as raised:
            writer.add_execution([fill(2)])
        assert "2 execution rows are only in memory" in str(raised.value)
    levels = [r.levelname for r in caplog.records if "cannot write the spill" in r.message]
    assert levels == ["CRITICAL", "CRITICAL"]
    assert len(writer.execution) == 2  # not dropped: written once the database answers
    assert await writer.flush()
    assert stored_fills(backend) == [1, 2]


async def test_refused_rows_with_an_unwritable_journal_fail_saying_so(
    backend: SqliteBackend, db_path: Path, tmp_path: Path
) -> None:
    writer = make_writer(backend, unwritable(tmp_path))
    assert await writer.flush()
    refuse_fills(db_path)
    writer.add_execution([fill(1), fill(2)])
    with pytest.raises(StorageError, match="cannot write the spill file") as raised:
        await writer.flush()
    assert "2 execution rows are only in memory" in str(raised.value)
    assert len(writer.execution) == 2
