"""A throwaway PostgreSQL server for the distributed-optimisation tests (skipped when the
server binaries are missing, failed instead in CI, where a skip would hide the path)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agbotkit.testing.postgres import ThrowawayPostgres, find_postgres_binaries, require_postgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ThrowawayPostgres]:
    """One PostgreSQL cluster for the session; tests take databases of their own."""
    with ThrowawayPostgres(require_postgres(find_postgres_binaries())) as server:
        yield server
