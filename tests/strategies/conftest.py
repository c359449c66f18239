"""Shared by the strategy tests."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Some tests run ``agbotkit.cli.main``, which points the root logger at the captured
    stderr of the moment; put the logging set-up back so later tests do not log into a
    closed capture file (as the ``run_cli`` fixture does)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
