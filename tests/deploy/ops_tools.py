"""Command-line tools the monitoring and operations tests run: found, or the test skips
saying why (in CI, where noxfile.py installs them, a missing one fails instead)."""

from __future__ import annotations

import shutil

import pytest

from agbotkit.testing.postgres import in_ci


def require_tool(name: str, where: str) -> str:
    """The path of ``name``, or skip (fail in CI) saying ``where`` it comes from."""
    found = shutil.which(name)
    if found is not None:
        return found
    message = f"{name} is missing (it comes from {where}; `nox -s tests` installs it)"
    if in_ci():
        pytest.fail(f"{message}; CI is set, so it is required")
    pytest.skip(message)
