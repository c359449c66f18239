"""Every example stack passes ``agbotkit check`` (CI runs the same)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

#: The ``run_cli`` fixture (conftest.py): argv -> (exit code, stdout, stderr).
RunCli = Callable[..., tuple[int, str, str]]

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
STACKS = sorted({*EXAMPLES.rglob("*.yaml"), *EXAMPLES.rglob("*.yml")})


def test_there_are_examples() -> None:
    assert EXAMPLES / "hello.yaml" in STACKS


@pytest.mark.parametrize("stack", STACKS, ids=lambda path: str(path.relative_to(EXAMPLES)))
def test_example_passes_check(run_cli: RunCli, stack: Path) -> None:
    code, out, err = run_cli("check", str(stack))
    assert (code, err) == (0, "")
    assert out.startswith(f"{stack}: ok: ")
