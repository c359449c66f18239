"""A throwaway PostgreSQL server for the distributed-optimisation tests (skipped when the
server binaries are missing, failed instead in CI, where a skip would hide the path)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from agbotkit.testing.postgres import POSTGRES_MISSING, ThrowawayPostgres, find_postgres_binaries


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ThrowawayPostgres]:
    """One PostgreSQL cluster for the session; tests take databases of their own."""
    binaries = find_postgres_binaries()
    if binaries is None:
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"{POSTGRES_MISSING} (CI is set: PostgreSQL is required there)")
        pytest.skip(POSTGRES_MISSING)
    with ThrowawayPostgres(binaries) as server:
        yield server
