"""Fixtures shared by agbotkit's tests."""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agbotkit.cli import main

#: ``run_cli("check", "stack.yaml")`` -> (exit code, stdout, stderr).
RunCli = Callable[..., tuple[int, str, str]]


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
