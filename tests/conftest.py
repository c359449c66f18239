"""Fixtures shared by agbotkit's tests."""

from __future__ import annotations

import importlib
import logging
import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import pytest

from agbotkit.cli import main
from agbotkit.logs import CONSOLE_HANDLER

# ``pytester`` runs small pytest sessions inside a test (tests/test_missing_requirements.py).
pytest_plugins = ["pytester"]

#: ``run_cli("check", "stack.yaml")`` -> (exit code, stdout, stderr).
RunCli = Callable[..., tuple[int, str, str]]

#: Debian's Chromium, which the browser tests drive through Playwright.
CHROMIUM = Path("/usr/bin/chromium")


def missing(reason: str) -> NoReturn:
    """Skip the test, saying why; in CI (``CI`` set) fail it instead, so that a CI machine
    without the browser cannot pass while running none of the browser tests."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: required there)", pytrace=False)
    pytest.skip(reason)


def _leaves(group: BaseExceptionGroup[BaseException]) -> Iterator[BaseException]:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            yield from _leaves(exc)
        else:
            yield exc


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Report a Trio test's skip (or xfail) with its own reason and line.

    pytest-trio 0.8.0 catches the exception group that a skip inside a Trio test or fixture
    ends up in and raises a bare ``pytest.skip()`` (``pytest.xfail()``) in its place, so
    ``-rs`` printed only "Skipped". The original is in the group, the new exception's
    ``__context__``: it is what the report is made from.
    """
    outcome = call.excinfo.value if call.excinfo is not None else None
    if isinstance(outcome, (pytest.skip.Exception, pytest.xfail.Exception)) and isinstance(
        outcome.__context__, BaseExceptionGroup
    ):
        leaves = list(_leaves(outcome.__context__))
        if len(leaves) == 1 and isinstance(leaves[0], type(outcome)):
            call.excinfo = pytest.ExceptionInfo.from_exception(leaves[0])
    return (yield)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's Chromium executable for the browser tests (skip or, in CI, fail without)."""
    if not CHROMIUM.exists():
        missing(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) "
            "to run the browser tests"
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def sync_api() -> ModuleType:
    """``playwright.sync_api`` (skip or, in CI, fail without it)."""
    try:
        return importlib.import_module("playwright.sync_api")
    except ImportError as exc:
        missing(f"playwright is not installed ({exc}): pip install '.[test]'")


@pytest.fixture(autouse=True)
def no_console_handler_left() -> Iterator[None]:
    """A test that runs ``main()`` leaves its stderr handler on the root logger, pointing at
    that test's captured stderr, which is closed afterwards: later tests would log into it.
    Take it off (and put the root level back) after every test."""
    level = logging.getLogger().level
    yield
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if h.get_name() != CONSOLE_HANDLER]
    root.setLevel(level)


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Iterator[RunCli]:
    """Run the ``agbotkit`` command in this process and capture what it prints.

    ``main()`` points the root logger at the (captured) stderr of the moment; the logging
    set-up is put back afterwards so later tests do not log into a closed capture file.
    """
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    try:
        yield run
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[..., Path]:
    """``write_yaml(text, name="stack.yaml")``: write dedented ``text`` under ``tmp_path``."""

    def write(text: str, name: str = "stack.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write
