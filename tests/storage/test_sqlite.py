"""What is particular to SQLite: the file, its locks, WAL, and the URLs naming it."""

from __future__ import annotations

import contextlib
import itertools
import sqlite3
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from agbotkit.db.backend import ExecutionBatch
from agbotkit.db.connect import open_backend
from agbotkit.db.migrations import check_schema, downgrade, upgrade
from agbotkit.db.records import ExecutionQuery, FillRecord, MetricsQuery, OrderRecord
from agbotkit.db.sqlite.backend import SqliteBackend
from agbotkit.db.url import StorageUrl, parse_storage_url
from agbotkit.errors import StorageError, StorageUnavailableError
from agbotkit.model.metrics import Metric

from .conftest import read_only

T0 = 1_767_225_600_000


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "agbotkit.db"


@pytest.fixture
def sqlite_db(db_path: Path) -> Iterator[SqliteBackend]:
    backend = SqliteBackend(parse_storage_url(f"sqlite:///{db_path}"))
    upgrade(backend)
    yield backend
    backend.close()  # Python 3.13 warns about an unclosed connection (an error here)


def raw(path: Path) -> contextlib.closing[sqlite3.Connection]:
    return contextlib.closing(sqlite3.connect(path, isolation_level=None))


def metrics(count: int, name: str = "m") -> list[Metric]:
    return [Metric.gauge(name, float(i), T0 + i, {"n": str(i % 2)}) for i in range(count)]


def test_the_database_is_in_wal_mode(sqlite_db: SqliteBackend, db_path: Path) -> None:
    with raw(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_version_zero_leaves_no_table_at_all(sqlite_db: SqliteBackend, db_path: Path) -> None:
    downgrade(sqlite_db, to=0)
    with raw(db_path) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []
    assert sqlite_db.applied_versions() == []


def test_a_locked_database_is_unavailable_until_released(db_path: Path) -> None:
    backend = SqliteBackend(parse_storage_url(f"sqlite:///{db_path}"), busy_timeout_s=0.2)
    upgrade(backend)
    batch = metrics(100)
    with raw(db_path) as other:
        other.execute("BEGIN EXCLUSIVE")  # another process in the middle of a write
        other.execute("INSERT INTO metrics VALUES (?, 'other', 1.0, '{}')", (T0,))
        started = time.monotonic()
        with pytest.raises(StorageUnavailableError, match="database is locked") as caught:
            backend.write_metrics(batch)
        assert time.monotonic() - started >= 0.15  # it waited for the lock first
        assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
        assert backend.count_rows("metrics") == 0  # WAL: reading goes on meanwhile
        other.execute("COMMIT")

    assert backend.write_metrics(batch) == 100  # the same call, retried
    assert backend.count_rows("metrics") == 101
    series = backend.query_metrics(MetricsQuery("m", T0, T0 + 100))
    assert sorted(t for s in series for t in s.timestamps) == [T0 + i for i in range(100)]
    backend.close()


def test_connecting_is_lazy_and_creates_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "not" / "yet"
    backend = open_backend(parse_storage_url("sqlite:///not/yet/x.db", base_dir=tmp_path))
    assert isinstance(backend, SqliteBackend)
    assert not folder.exists()
    assert backend.applied_versions() == []
    assert (folder / "x.db").is_file()
    assert str(folder / "x.db") in backend.description
    backend.close()


def test_a_file_that_cannot_be_opened_is_unavailable_until_it_can(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be")
    backend = SqliteBackend(parse_storage_url(f"sqlite:///{blocker}/x.db"))
    with pytest.raises(StorageUnavailableError, match=r"x\.db"):
        backend.ping()
    blocker.unlink()
    backend.ping()  # reconnects by itself

    folder_db = tmp_path / "folder.db"
    folder_db.mkdir()
    other = SqliteBackend(parse_storage_url(f"sqlite:///{folder_db}"))
    with pytest.raises(StorageUnavailableError, match="unable to open"):
        other.applied_versions()
    folder_db.rmdir()
    assert other.applied_versions() == []
    backend.close()
    other.close()


@pytest.mark.parametrize("schema", [False, True])
def test_a_read_only_file_is_unavailable_until_it_can_be_written(
    db_path: Path, schema: bool
) -> None:
    with contextlib.closing(SqliteBackend(parse_storage_url(f"sqlite:///{db_path}"))) as setup:
        if schema:
            upgrade(setup)
        else:
            setup.ping()  # an empty database file
    backend = SqliteBackend(parse_storage_url(f"sqlite:///{db_path}"))

    def store() -> int:
        check_schema(backend, auto_upgrade=True)
        return backend.write_metrics(metrics(3))

    with read_only(db_path), pytest.raises(StorageUnavailableError, match="readonly"):
        store()
    assert store() == 3  # reconnects by itself, and can write now
    backend.close()


def test_other_failures_are_storage_errors(db_path: Path) -> None:
    backend = SqliteBackend(parse_storage_url(f"sqlite:///{db_path}"))
    with pytest.raises(StorageError, match="no such table") as caught:
        backend.write_metrics(metrics(3))  # no schema yet
    assert not isinstance(caught.value, StorageUnavailableError)
    upgrade(backend)
    assert backend.write_metrics(metrics(3)) == 3
    backend.close()


def test_a_failing_write_stores_none_of_its_batch(sqlite_db: SqliteBackend) -> None:
    batch = metrics(10)
    batch[7] = Metric.gauge("m", float("nan"), T0 + 7)  # SQLite stores NaN as NULL
    with pytest.raises(StorageError, match="NOT NULL"):
        sqlite_db.write_metrics(batch)
    assert sqlite_db.count_rows("metrics") == 0

    order = OrderRecord(
        event_id="e1",
        id="c1",
        timestamp_ms=T0,
        venue="pm",
        market="m",
        token_id="t",
        side="BUY",
        price=None,
        size=None,
        status="approved",
    )
    fill = FillRecord(
        id="f1",
        timestamp_ms=T0,
        order_id="c1",
        venue="pm",
        market="m",
        token_id="t",
        side="BUY",
        price=None,  # type: ignore[arg-type]  # a caller's bug: it must not become "None"
        size=Decimal(1),
    )
    with pytest.raises(StorageError, match="NOT NULL"):
        sqlite_db.write_execution(ExecutionBatch(orders=[order], fills=[fill]))
    assert sqlite_db.query_orders(ExecutionQuery(start_ms=T0, end_ms=T0)) == []
    assert sqlite_db.write_execution(ExecutionBatch(orders=[order])) == 1


def test_a_second_connection_sees_each_committed_write(
    sqlite_db: SqliteBackend, db_path: Path
) -> None:
    reader = SqliteBackend(parse_storage_url(f"sqlite:///{db_path}"))
    for round_ in range(3):
        sqlite_db.write_metrics(metrics(5, name=f"round{round_}"))
        assert reader.metric_names() == [f"round{r}" for r in range(round_ + 1)]
    reader.close()


def test_an_in_memory_database(tmp_path: Path) -> None:
    backend = SqliteBackend(parse_storage_url("sqlite:///:memory:", base_dir=tmp_path))
    upgrade(backend)
    assert backend.write_metrics(metrics(4)) == 4
    assert backend.count_rows("metrics") == 4
    assert list(tmp_path.iterdir()) == []
    backend.close()


# -- URLs -------------------------------------------------------------------------------


def test_sqlite_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def path_of(url: str, base_dir: Path | None = None) -> Path | None:
        parsed = parse_storage_url(url, base_dir)
        assert parsed.scheme == "sqlite"
        return parsed.path

    assert path_of("sqlite:///data/x.db", tmp_path) == (tmp_path / "data" / "x.db").resolve()
    assert path_of("sqlite:///../x.db", tmp_path / "stack") == (tmp_path / "x.db").resolve()
    assert path_of("sqlite:////srv/agbotkit/x.db", tmp_path) == Path("/srv/agbotkit/x.db")
    assert (
        path_of("SQLITE:///my%20data.db?mode=ro", tmp_path) == (tmp_path / "my data.db").resolve()
    )
    assert path_of("sqlite:///:memory:") == Path(":memory:")
    monkeypatch.chdir(tmp_path)
    assert path_of("sqlite:///agbotkit.db") == (tmp_path / "agbotkit.db").resolve()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert path_of("sqlite:///~/x.db") == (tmp_path / "home" / "x.db").resolve()
    absolute = parse_storage_url("sqlite:////srv/x.db")
    assert absolute.redacted() == "sqlite:////srv/x.db"


def test_postgresql_urls() -> None:
    url = parse_storage_url("postgres://bot@db.example:5433/agbotkit")
    assert (url.scheme, url.url, url.path) == (
        "postgresql",
        "postgresql://bot@db.example:5433/agbotkit",
        None,
    )
    assert url.redacted() == url.url
    assert parse_storage_url("postgresql://localhost/x").url == "postgresql://localhost/x"


def test_redacted_hides_the_password() -> None:
    url = parse_storage_url("postgresql://bot:hunter2%40x@db.example:5433/agbotkit?sslmode=require")
    assert url.redacted() == "postgresql://bot:***@db.example:5433/agbotkit?sslmode=require"
    assert "hunter2" not in url.redacted()
    assert "hunter2" not in repr(url)
    assert "hunter2" in url.url  # what connecting uses


def test_with_password() -> None:
    pytest.importorskip("psycopg")
    url = parse_storage_url("postgresql://bot@db.example/agbotkit")
    assert url.with_password(None) == url.url
    assert "password=s3cret" in url.with_password("s3cret")
    sqlite_url = StorageUrl("sqlite", "sqlite:////x.db", Path("/x.db"))
    assert sqlite_url.with_password("s3cret") == "sqlite:////x.db"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://h/db", "unknown database scheme 'mysql'"),
        ("agbotkit.db", "expected sqlite:///path.db"),
        ("", "expected sqlite:///path.db"),
        ("sqlite://x.db", "a SQLite URL is"),
        ("sqlite:///", "a SQLite URL is"),
        ("postgresql://db.example:5432/", "names its database"),
        ("postgres://db.example", "names its database"),
        ("postgresql://db.example:port/x", "bad PostgreSQL URL"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(StorageError, match=message):
        parse_storage_url(url)


DAY_MS = 86_400_000  # T0 is midnight UTC


def catalog(path: Path) -> list[tuple[str, str, int]]:
    sql = "SELECT metric_name, labels, day - ? FROM metric_series ORDER BY 3, 2"
    with raw(path) as conn:
        return [(name, labels, day) for name, labels, day in conn.execute(sql, (T0 // DAY_MS,))]


def test_the_series_catalog_holds_each_series_day_and_retention_forgets_emptied_days(
    sqlite_db: SqliteBackend, db_path: Path
) -> None:
    cutoff = T0 + 2 * DAY_MS + 12 * 3_600_000  # day 2, noon
    sqlite_db.write_metrics([Metric.gauge("m", 1.0, T0, {"a": "1"})])
    sqlite_db.write_metrics(  # one batch over days 1 and 2
        [Metric.gauge("m", 2.0, T0 + DAY_MS, {"a": "2"}), Metric.gauge("m", 3.0, cutoff)]
    )
    sqlite_db.write_metrics([Metric.gauge("m", 4.0, T0 + 1, {"a": "1"})])  # known already
    failing = [Metric.gauge("m", 5.0, T0, {"a": "3"}), Metric.gauge("m", float("nan"), T0)]
    with pytest.raises(StorageError):
        sqlite_db.write_metrics(failing)  # rolled back with its rows
    assert catalog(db_path) == [("m", '{"a":"1"}', 0), ("m", '{"a":"2"}', 1), ("m", "{}", 2)]

    sqlite_db.apply_retention({"metrics": cutoff})

    assert catalog(db_path) == [("m", "{}", 2)]


def newest_per_bucket(stamps: list[int], start: int, end: int, points: int) -> list[int]:
    newest: dict[int, int] = {}
    for t in stamps:
        if start <= t <= end:
            bucket = (t - start) * points // (end - start + 1)
            newest[bucket] = max(newest.get(bucket, t), t)
    return sorted(newest.values())


@pytest.mark.parametrize("name", ["m", "m*"])
def test_a_name_alone_in_range_or_among_others_gives_the_same_points(
    sqlite_db: SqliteBackend, name: str
) -> None:
    # a=1 every 10 s on days 0 and 1; a=2 in the afternoon of day 1 only, interleaved.
    ones = [T0 + 10_000 * i for i in range(2 * 8640)]
    twos = [T0 + DAY_MS + 43_200_000 + 10_000 * i + 5 for i in range(4320)]
    sqlite_db.write_metrics([Metric.gauge("m", float(t), t, {"a": "1"}) for t in ones])
    sqlite_db.write_metrics([Metric.gauge("m", -1.0, t, {"a": "2", "b": "x"}) for t in twos])
    morning = (T0 + DAY_MS, T0 + DAY_MS + 43_200_000 - 1)  # a=2 has no point here
    ranges = [(T0, T0 + DAY_MS - 1), (T0, T0 + 2 * DAY_MS - 1), morning]
    for (start, end), points, wanted in itertools.product(
        ranges, (None, 100, 100_000), ({}, {"a": "1"})
    ):
        series = sqlite_db.query_metrics(MetricsQuery(name, start, end, wanted, points))
        expected = [t for t in ones if start <= t <= end]
        if points is not None:
            expected = newest_per_bucket(expected, start, end, points)
        assert series[0].labels == (("a", "1"),)
        assert series[0].timestamps == expected
        assert series[0].values == [float(t) for t in expected]
        if start <= twos[0] <= end and not wanted:  # the other series, labels checked
            assert [s.labels for s in series[1:]] == [(("a", "2"), ("b", "x"))]
            assert series[1].values == [-1.0] * len(series[1].timestamps)
        else:  # filtered out, or no point in range (but in the catalog): none
            assert len(series) == 1
