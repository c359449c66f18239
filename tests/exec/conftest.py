"""Fixtures of the execution tests."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from agbotkit.exec.oms import OrderManager
from agbotkit.testing.venue import ScriptedExchange

from .oms_values import Clock


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
