"""Fixtures of the execution tests."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from agbotkit.testing.venue import ScriptedExchange


@pytest.fixture
def exchange(request: pytest.FixtureRequest) -> Iterator[ScriptedExchange]:
    """A fresh scripted exchange named after the test (``exchange.name``)."""
    name = re.sub(r"\W", "_", request.node.name)
    ScriptedExchange.forget(name)
    found = ScriptedExchange.named(name)
    yield found
    ScriptedExchange.forget(name)
