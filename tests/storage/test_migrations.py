"""Schema migrations on every backend, and the migration scripts themselves.

What the database holds is checked through its own catalog (``sqlite_master``,
``information_schema``) on a connection of the test's own, not through the backend.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Callable, Sequence
from importlib import resources

import pytest

from agbotkit.db.backend import StorageBackend
from agbotkit.db.migrations import (
    DIALECTS,
    VERSION_TABLE,
    Migration,
    check_schema,
    downgrade,
    latest_version,
    load_migrations,
    schema_status,
    upgrade,
)
from agbotkit.db.records import TABLES
from agbotkit.db.url import parse_storage_url
from agbotkit.errors import SchemaVersionError, StorageError
from agbotkit.model.metrics import Metric

T0 = 1_767_225_600_000 + 3_600_000  # 2026-01-01T01:00Z


def raw_rows(url: str, sql: str) -> list[tuple[object, ...]]:
    """Run ``sql`` on a connection of our own (committed) and return its rows, if any."""
    parsed = parse_storage_url(url)
    if parsed.scheme == "sqlite":
        assert parsed.path is not None
        with contextlib.closing(sqlite3.connect(parsed.path, isolation_level=None)) as conn:
            return conn.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(parsed.url, autocommit=True) as pg:
        cursor = pg.execute(sql)
        return cursor.fetchall() if cursor.description else []


def tables(url: str) -> set[str]:
    """Every table of the database's own schema (partitions and bookkeeping included)."""
    if parse_storage_url(url).scheme == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
    else:
        sql = (
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    return {str(name) for (name,) in raw_rows(url, sql)}


def versions(backend: StorageBackend) -> list[int]:
    return [m.version for m in load_migrations(backend.dialect)]


def test_upgrade_creates_the_schema(backend: StorageBackend, storage_url: str) -> None:
    before = schema_status(backend)
    assert (before.current, before.too_new) == (0, False)
    assert [m.version for m in before.pending] == versions(backend)
    assert backend.applied_versions() == []

    applied = upgrade(backend)

    assert [m.version for m in applied] == versions(backend)
    after = schema_status(backend)
    assert after.current == after.latest == len(applied)
    assert after.pending == ()
    assert backend.applied_versions() == versions(backend)
    assert set(TABLES) <= tables(storage_url)
    assert upgrade(backend) == []  # already there
    assert check_schema(backend, auto_upgrade=False) == []


def test_downgrade_to_zero_removes_every_table(backend: StorageBackend, storage_url: str) -> None:
    upgrade(backend)
    backend.maintain(T0)  # partitions too, where there are any
    backend.write_metrics([Metric.gauge("m", 1.0, T0)])

    undone = downgrade(backend, to=0)

    assert [m.version for m in undone] == list(reversed(versions(backend)))
    assert backend.applied_versions() == []
    assert schema_status(backend).current == 0
    left = tables(storage_url)
    # Nothing but (at most) the bookkeeping table, and that one empty.
    assert left <= {VERSION_TABLE}, left
    if left:
        assert raw_rows(storage_url, f"SELECT count(*) FROM {VERSION_TABLE}") == [(0,)]

    upgrade(backend)
    backend.maintain(T0)
    assert backend.write_metrics([Metric.gauge("m", 2.0, T0 + 1)]) == 1
    assert backend.count_rows("metrics") == 1


def test_downgrade_goes_one_step_by_default(backend: StorageBackend) -> None:
    upgrade(backend)
    latest = versions(backend)[-1]
    assert [m.version for m in downgrade(backend)] == [latest]
    assert backend.applied_versions() == versions(backend)[:-1]
    assert schema_status(backend).current == latest - 1


def test_upgrade_and_downgrade_refuse_unknown_targets(backend: StorageBackend) -> None:
    latest = latest_version(backend.dialect)
    for bad in (latest + 1, -1):
        with pytest.raises(StorageError, match=f"no schema version {bad}"):
            upgrade(backend, to=bad)
    assert backend.applied_versions() == []
    with pytest.raises(StorageError, match="cannot downgrade to version 1"):
        downgrade(backend, to=1)

    upgrade(backend, to=latest)
    with pytest.raises(StorageError, match="use downgrade"):
        upgrade(backend, to=0)
    with pytest.raises(StorageError, match=f"cannot downgrade to version {latest + 1}"):
        downgrade(backend, to=latest + 1)
    assert backend.applied_versions() == versions(backend)


def test_a_schema_newer_than_known_is_refused(backend: StorageBackend, storage_url: str) -> None:
    upgrade(backend)
    latest = latest_version(backend.dialect)
    raw_rows(
        storage_url,
        f"INSERT INTO {VERSION_TABLE} (version, name, dialect, applied_at_ms) "
        f"VALUES ({latest + 1}, 'from_the_future', '{backend.dialect}', 0)",
    )
    assert backend.applied_versions() == [*versions(backend), latest + 1]
    assert schema_status(backend).too_new

    attempts: list[Callable[[], Sequence[Migration]]] = [
        lambda: check_schema(backend, auto_upgrade=True),
        lambda: check_schema(backend, auto_upgrade=False),
        lambda: upgrade(backend),
        lambda: downgrade(backend),
        lambda: downgrade(backend, to=0),
    ]
    for attempt in attempts:
        with pytest.raises(SchemaVersionError, match="newer than") as caught:
            attempt()
        assert (caught.value.found, caught.value.known) == (latest + 1, latest)
    assert set(TABLES) <= tables(storage_url)  # nothing was undone


def test_check_schema_without_auto_upgrade_names_the_command(backend: StorageBackend) -> None:
    with pytest.raises(SchemaVersionError, match="agbotkit db upgrade") as caught:
        check_schema(backend, auto_upgrade=False)
    assert (caught.value.found, caught.value.known) == (0, latest_version(backend.dialect))
    assert backend.applied_versions() == []

    assert [m.version for m in check_schema(backend, auto_upgrade=True)] == versions(backend)
    assert check_schema(backend, auto_upgrade=False) == []


PROBE = "agbotkit_probe"
# Valid on every dialect; the INSERT fails when it runs, after the CREATE did.
BROKEN_UP = f"CREATE TABLE {PROBE} (x INTEGER);\nINSERT INTO agbotkit_no_such_table VALUES (1);\n"


def test_a_failing_first_migration_leaves_nothing(
    backend: StorageBackend, storage_url: str
) -> None:
    broken = Migration(1, "broken", up=BROKEN_UP, down=f"DROP TABLE {PROBE};")
    with pytest.raises(StorageError) as caught:
        backend.apply_migration(broken, "up")
    assert caught.value.__cause__ is not None  # the driver's error, chained
    assert backend.applied_versions() == []
    assert PROBE not in tables(storage_url)


def test_a_failing_migration_is_rolled_back_whole(
    backend: StorageBackend, storage_url: str
) -> None:
    upgrade(backend)
    applied = backend.applied_versions()
    version = latest_version(backend.dialect) + 1

    with pytest.raises(StorageError):
        backend.apply_migration(Migration(version, "broken", BROKEN_UP, "SELECT 1;"), "up")
    assert backend.applied_versions() == applied
    assert PROBE not in tables(storage_url)

    # A down script failing halfway keeps its migration, whole, too.
    probe = Migration(
        version,
        "probe",
        up=f"CREATE TABLE {PROBE} (x INTEGER);",
        down=f"DROP TABLE {PROBE};\nINSERT INTO agbotkit_no_such_table VALUES (1);\n",
    )
    backend.apply_migration(probe, "up")
    assert backend.applied_versions() == [*applied, version]
    with pytest.raises(StorageError):
        backend.apply_migration(probe, "down")
    assert backend.applied_versions() == [*applied, version]
    assert PROBE in tables(storage_url)
    assert backend.count_rows("metrics") == 0  # the schema is still usable


# -- the scripts ------------------------------------------------------------------------


def has_scripts(dialect: str) -> bool:
    folder = resources.files("agbotkit.db") / "sql" / dialect
    return folder.is_dir() and any(e.name.endswith(".sql") for e in folder.iterdir())


@pytest.mark.parametrize("dialect", DIALECTS)
def test_load_migrations(dialect: str) -> None:
    if not has_scripts(dialect):
        pytest.skip(f"no migration scripts for {dialect} yet")
    migrations = load_migrations(dialect)
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert migrations[0].label == "0001_initial"
    for m in migrations:
        assert re.fullmatch(r"[a-z0-9_]+", m.name)
        assert m.up.strip()
        assert m.down.strip()
    assert latest_version(dialect) == len(migrations)


def test_every_dialect_has_the_same_versions() -> None:
    labels = {d: [m.label for m in load_migrations(d)] for d in DIALECTS if has_scripts(d)}
    assert "sqlite" in labels
    assert len({tuple(v) for v in labels.values()}) == 1, labels


def test_load_migrations_refuses_an_unknown_dialect() -> None:
    with pytest.raises(StorageError, match="no migrations for dialect 'oracle'"):
        load_migrations("oracle")
