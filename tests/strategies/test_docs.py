"""The strategy contract is documented: every hook and every context member has a
docstring and is walked through in docs/strategies.md; every option of the ``strategy``
component is in its table there."""

from __future__ import annotations

import inspect
from pathlib import Path

import attrs
import pytest

from agbotkit.strategies.api import Strategy, StrategyContext
from agbotkit.strategies.component import StrategyComponentConfig
from agbotkit.strategies.metrics import METRIC_FILLS, METRIC_ORDERS, METRIC_PNL, METRIC_SIGNALS

GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "strategies.md").read_text()

HOOKS = sorted(n for n in vars(Strategy) if n.startswith("on_"))
CONTEXT = sorted(
    n for n, m in inspect.getmembers(StrategyContext) if not n.startswith("_") and callable(m)
)


def test_there_are_hooks_and_context_methods() -> None:
    assert "on_book" in HOOKS
    assert "submit_order" in CONTEXT


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_is_documented(name: str) -> None:
    assert inspect.getdoc(getattr(Strategy, name))
    assert f"`{name}(" in GUIDE


@pytest.mark.parametrize("name", CONTEXT)
def test_every_context_member_is_documented(name: str) -> None:
    assert inspect.getdoc(getattr(StrategyContext, name))
    assert f"`{name}(" in GUIDE or f"{name}(" in GUIDE


@pytest.mark.parametrize("name", [f.name for f in attrs.fields(StrategyComponentConfig)])
def test_every_option_is_in_the_guide(name: str) -> None:
    assert f"| `{name}` |" in GUIDE


@pytest.mark.parametrize("name", [METRIC_PNL, METRIC_SIGNALS, METRIC_ORDERS, METRIC_FILLS])
def test_every_metric_is_in_the_guide(name: str) -> None:
    assert f"`{name}`" in GUIDE
