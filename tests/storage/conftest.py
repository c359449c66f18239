"""Storage fixtures: every backend test runs against SQLite, a throwaway PostgreSQL, and
PostgreSQL with TimescaleDB when the server has the extension (else it skips, saying why)."""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agbotkit.db.backend import StorageBackend
from agbotkit.db.connect import TimescaleMode, open_backend
from agbotkit.db.url import parse_storage_url
from agbotkit.testing.postgres import ThrowawayPostgres, find_postgres_binaries, require_postgres

_DATABASE_NUMBERS = itertools.count(1)

#: ``make_url()`` -> the URL of a new, empty database of the backend under test.
MakeUrl = Callable[[], str]
#: ``open_db(url)`` -> a backend on ``url`` in the mode under test (closed after the test).
OpenDb = Callable[[str], StorageBackend]

TIMESCALE_MISSING = (
    "the TimescaleDB extension is not available on this PostgreSQL server "
    "(not in Debian's packages): hypertable paths untested here"
)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ThrowawayPostgres]:
    """One PostgreSQL cluster for the whole session; tests take databases of their own."""
    binaries = require_postgres(find_postgres_binaries())
    with ThrowawayPostgres(binaries) as server:
        yield server


@pytest.fixture(scope="session")
def timescale_available(postgres_server: ThrowawayPostgres) -> bool:
    """Whether the session's server can create the timescaledb extension."""
    import psycopg

    with psycopg.connect(postgres_server.url()) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_available_extensions WHERE name = 'timescaledb'"
        ).fetchone()
    return bool(row and row[0])


@pytest.fixture(params=["sqlite", "postgresql", "timescaledb"])
def backend_kind(request: pytest.FixtureRequest) -> str:
    """The backend under test. ``postgresql`` is native partitioning (TimescaleDB off)."""
    kind: str = request.param
    if kind == "timescaledb" and not request.getfixturevalue("timescale_available"):
        pytest.skip(TIMESCALE_MISSING)
    return kind


@pytest.fixture
def timescale_mode(backend_kind: str) -> TimescaleMode:
    """The ``timescaledb`` option matching the backend under test."""
    return "on" if backend_kind == "timescaledb" else "off"


@pytest.fixture
def make_url(backend_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> MakeUrl:
    """A factory of new, empty databases of the backend under test."""

    def make() -> str:
        number = next(_DATABASE_NUMBERS)
        if backend_kind == "sqlite":
            return f"sqlite:///{tmp_path}/db{number}.sqlite"
        server: ThrowawayPostgres = request.getfixturevalue("postgres_server")
        return server.create_database(f"agbotkit_test_{number}")

    return make


@pytest.fixture
def storage_url(make_url: MakeUrl) -> str:
    """The URL of a new, empty database of the backend under test."""
    return make_url()


@pytest.fixture
def open_db(timescale_mode: TimescaleMode) -> Iterator[OpenDb]:
    """Open backends in the mode under test; all are closed after the test."""
    opened: list[StorageBackend] = []

    def open_(url: str) -> StorageBackend:
        backend = open_backend(parse_storage_url(url), timescaledb=timescale_mode)
        opened.append(backend)
        return backend

    try:
        yield open_
    finally:
        for backend in opened:
            backend.close()


@pytest.fixture
def backend(storage_url: str, open_db: OpenDb) -> StorageBackend:
    """An open backend on a new, empty database (no schema yet)."""
    return open_db(storage_url)


class Outage:
    """A database that can be taken away and brought back: SQLite locked by another
    connection, or a PostgreSQL server of its own killed and restarted."""

    def __init__(self, url: str, begin: Callable[[], None], end: Callable[[], None]) -> None:
        self.url, self.begin, self.end = url, begin, end


@pytest.fixture
def outage(backend_kind: str, tmp_path: Path) -> Any:
    """An :class:`Outage` of the backend under test (PostgreSQL: a server of its own)."""
    if backend_kind == "sqlite":
        import sqlite3

        path = tmp_path / "outage.sqlite"
        blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

        def lock() -> None:
            blocker.execute("BEGIN EXCLUSIVE")

        def unlock() -> None:
            blocker.execute("COMMIT")

        yield Outage(f"sqlite:///{path}", lock, unlock)
        blocker.close()
        return
    with ThrowawayPostgres(require_postgres(find_postgres_binaries())) as server:
        url = server.create_database("outage")
        yield Outage(url, lambda: server.stop(immediate=True), server.start)


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """``path`` cannot be written for the block: immutable (``chattr +i``) under root, whom
    file modes do not stop, else mode 0444. Skips where neither is possible."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot make {path} read-only as root (chattr +i): {done.stderr!r}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)
