"""Which dialect ``timescaledb: auto | on`` picks, from what the server says.

TimescaleDB is not installed here, so the "available but not preloaded" answer is given at
the edge: the :class:`TimescaleSupport` the catalog query returns, and the error PostgreSQL
raises. The query itself runs against the real throwaway server.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import psycopg
import pytest

from agbotkit.db.postgres.schema import (
    TimescaleSupport,
    choose_dialect,
    loads_timescaledb,
    preload_error,
    timescale_support,
)
from agbotkit.errors import StorageError
from agbotkit.testing.postgres import (
    PostgresBinaries,
    ThrowawayPostgres,
    timescaledb_library,
)

WHERE = "postgresql://bot@db:5432/agbotkit"
NOT_PRELOADED = TimescaleSupport(available=True, created=False, preloaded=False)


def test_auto_falls_back_to_native_partitioning_with_one_warning_when_not_preloaded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    assert choose_dialect("auto", NOT_PRELOADED, WHERE) == "postgresql"
    (warning,) = caplog.records
    assert warning.levelname == "WARNING"
    assert "shared_preload_libraries = 'timescaledb'" in warning.message
    assert "native partitioning" in warning.message


def test_on_without_the_preload_fails_saying_what_to_set() -> None:
    with pytest.raises(StorageError, match="shared_preload_libraries = 'timescaledb'"):
        choose_dialect("on", NOT_PRELOADED, WHERE)


@pytest.mark.parametrize(
    "support",
    [
        TimescaleSupport(available=True, created=False, preloaded=True),
        TimescaleSupport(available=True, created=True, preloaded=None),
        # Hidden setting (not a superuser): tried; a failure then names the fix.
        TimescaleSupport(available=True, created=False, preloaded=None),
    ],
)
def test_a_working_extension_is_used_by_auto_and_on(
    support: TimescaleSupport, caplog: pytest.LogCaptureFixture
) -> None:
    assert choose_dialect("auto", support, WHERE) == "timescaledb"
    assert choose_dialect("on", support, WHERE) == "timescaledb"
    assert not caplog.records


def test_without_the_extension_auto_is_native_quietly_and_on_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    missing = TimescaleSupport(available=False, created=False, preloaded=False)
    assert choose_dialect("auto", missing, WHERE) == "postgresql"
    assert not caplog.records
    with pytest.raises(StorageError, match="does not have the TimescaleDB extension"):
        choose_dialect("on", missing, WHERE)


def test_the_preload_error_postgresql_returns_names_the_setting() -> None:
    answer = psycopg.errors.FeatureNotSupported('extension "timescaledb" must be preloaded')
    error = preload_error(answer)
    assert 'extension "timescaledb" must be preloaded' in str(error)
    assert "shared_preload_libraries = 'timescaledb'" in str(error)


def test_the_server_answers_the_support_query(
    postgres_server: ThrowawayPostgres, timescale_available: bool
) -> None:
    with psycopg.connect(postgres_server.url()) as conn:
        support = timescale_support(conn)
    # The test server preloads the library whenever the installation has it.
    assert support == TimescaleSupport(
        available=timescale_available, created=False, preloaded=timescale_available
    )


@pytest.mark.parametrize(
    ("libraries", "preloaded"),
    [
        ("", False),
        ("pg_stat_statements", False),
        ("pg_stat_statements, timescaledb", True),
        ('"timescaledb-2.14.2"', True),
        ("$libdir/timescaledb", True),
        ("timescaledb_toolkit", False),
    ],
)
def test_the_preload_setting_is_read_in_its_forms(libraries: str, preloaded: bool) -> None:
    assert loads_timescaledb(libraries) is preloaded


def test_the_library_is_found_behind_a_symlinked_initdb(tmp_path: Path) -> None:
    real = tmp_path / "usr/lib/postgresql/17"
    (real / "bin").mkdir(parents=True)
    (real / "lib").mkdir()
    for tool in ("initdb", "pg_ctl"):
        (real / "bin" / tool).write_text("")
    links = tmp_path / "usr/bin"
    links.mkdir()
    os.symlink(real / "bin/initdb", links / "initdb")
    binaries = PostgresBinaries(links / "initdb", links / "pg_ctl")
    assert timescaledb_library(binaries) is None
    (real / "lib/timescaledb.so").write_text("")
    assert timescaledb_library(binaries) == real / "lib/timescaledb.so"
