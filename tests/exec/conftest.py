"""Fixtures of the execution tests."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import pytest

from agbotkit.exec.oms import OrderManager
from agbotkit.testing.postgres import ThrowawayPostgres, find_postgres_binaries, require_postgres
from agbotkit.testing.venue import ScriptedExchange

from .oms_values import Clock

_DATABASES = itertools.count(1)


@pytest.fixture
def exchange(request: pytest.FixtureRequest) -> Iterator[ScriptedExchange]:
    """A fresh scripted exchange named after the test (``exchange.name``)."""
    name = re.sub(r"\W", "_", request.node.name)
    ScriptedExchange.forget(name)
    found = ScriptedExchange.named(name)
    yield found
    ScriptedExchange.forget(name)


@pytest.fixture
def clock() -> Clock:
    """A hand-moved clock for the order manager (``clock.ms``)."""
    return Clock()


@pytest.fixture
def oms(clock: Clock) -> OrderManager:
    """An order manager on :func:`clock`."""
    return OrderManager(component="execution", now_ms=clock)


@pytest.fixture(scope="session")
def lease_postgres() -> Iterator[ThrowawayPostgres]:
    """One PostgreSQL cluster for the leader lease tests (skipped, saying why, without
    PostgreSQL; failed in CI)."""
    # Its own cluster: a test stops and restarts it under the leader.
    with ThrowawayPostgres(require_postgres(find_postgres_binaries())) as server:
        yield server


@pytest.fixture
def lease_db(lease_postgres: ThrowawayPostgres, request: pytest.FixtureRequest) -> str:
    """The URL of a new, empty database for one test."""
    name = f"lease_{next(_DATABASES)}_" + re.sub(r"\W", "_", request.node.name).lower()[:40]
    return lease_postgres.create_database(name)
