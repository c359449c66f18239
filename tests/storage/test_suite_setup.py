"""The storage suite's own set-up: a missing PostgreSQL skips locally, fails in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from agbotkit.testing.postgres import POSTGRES_MISSING, PostgresBinaries, require_postgres


@pytest.mark.parametrize("environ", [{}, {"CI": ""}, {"CI": "false"}, {"CI": "0"}])
def test_without_postgresql_the_tests_skip_saying_why(environ: dict[str, str]) -> None:
    with pytest.raises(pytest.skip.Exception, match="initdb, pg_ctl"):
        require_postgres(None, environ)


@pytest.mark.parametrize("value", ["true", "1", "yes", "True"])
def test_in_ci_a_missing_postgresql_fails_the_run(value: str) -> None:
    with pytest.raises(pytest.fail.Exception) as failed:
        require_postgres(None, {"CI": value})
    assert POSTGRES_MISSING in str(failed.value)
    assert "CI is set" in str(failed.value)


def test_found_binaries_are_used_in_ci_and_out() -> None:
    binaries = PostgresBinaries(Path("/pg/bin/initdb"), Path("/pg/bin/pg_ctl"))
    assert require_postgres(binaries, {"CI": "true"}) is binaries
    assert require_postgres(binaries, {}) is binaries
