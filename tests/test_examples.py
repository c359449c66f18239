"""Every example stack passes ``agbotkit check`` (CI runs the same)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agbotkit.risk.component import RiskConfig
from agbotkit.supervisor.plan import plan_file

#: The ``run_cli`` fixture (conftest.py): argv -> (exit code, stdout, stderr).
RunCli = Callable[..., tuple[int, str, str]]

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
STACKS = sorted({*EXAMPLES.rglob("*.yaml"), *EXAMPLES.rglob("*.yml")})


@pytest.fixture(autouse=True)
def throwaway_wallet(monkeypatch: pytest.MonkeyPatch) -> None:
    """What `./dev demo -- --fake-clob` sets for examples/demo-polymarket.yaml, whose venue
    is live against a fake CLOB and so needs a key and API credentials to pass its check
    (values of the right shape; nothing here talks to Polymarket)."""
    monkeypatch.setenv("POLYMARKET_PRIVATE_KEY", "11" * 32)
    monkeypatch.setenv("POLYMARKET_API_KEY", "00000000-0000-4000-8000-000000000000")
    monkeypatch.setenv("POLYMARKET_API_SECRET", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=")
    monkeypatch.setenv("POLYMARKET_API_PASSPHRASE", "example-passphrase")


def test_there_are_examples() -> None:
    assert EXAMPLES / "hello.yaml" in STACKS


@pytest.mark.parametrize("stack", STACKS, ids=lambda path: str(path.relative_to(EXAMPLES)))
def test_example_passes_check(run_cli: RunCli, stack: Path) -> None:
    code, out, err = run_cli("check", str(stack))
    assert (code, err) == (0, "")
    assert out.startswith(f"{stack}: ok: ")


@pytest.mark.parametrize("stack", STACKS, ids=lambda path: str(path.relative_to(EXAMPLES)))
def test_example_writes_nothing_into_the_repository(stack: Path) -> None:
    # A file an example writes (kill-switch state, database, recording) goes under a
    # `.agbotkit/` folder, which git ignores, never beside the repository's own files.
    plan = plan_file(stack)
    for component in plan.components:
        config = component.config
        written: list[Path] = []
        if isinstance(config, RiskConfig):
            written.append(config.state_path(component.name, plan.stack_dir))
        for database in (getattr(config, "url", None), getattr(config, "history", None)):
            url = database if isinstance(database, str) else getattr(database, "url", None)
            if isinstance(url, str) and url.startswith("sqlite:///"):
                written.append(plan.stack_dir / url.removeprefix("sqlite:///"))
        for path in written:
            assert ".agbotkit" in path.parts, f"{component.name} writes {path}"
