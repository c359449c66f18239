"""The curated public surface: ``from agbotkit import ...`` gives what the docs use.

Meta-tests: ``__all__`` is exactly the public names the package binds; every one of them is
documented, in its own docstring and in docs/api.md; the docs import only public names.
"""

from __future__ import annotations

import inspect
import re
import types
from pathlib import Path

import pytest

import agbotkit

ROOT = Path(__file__).resolve().parent.parent
API_DOC = ROOT / "docs" / "api.md"


def _bound_public_names() -> set[str]:
    return {
        name
        for name, value in vars(agbotkit).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }


def test_all_is_exactly_the_public_names() -> None:
    assert sorted(agbotkit.__all__) == sorted(_bound_public_names() | {"__version__"})
    assert len(agbotkit.__all__) == len(set(agbotkit.__all__))


def test_the_names_a_plugin_author_needs_are_there() -> None:
    # What minibot, the example plugin and docs/plugins.md import.
    for name in (
        "Component",
        "ComponentContext",
        "RiskPolicy",
        "OrderIntent",
        "Fill",
        "Topic",
        "Overflow",
        "ORDER_INTENTS",
        "BookTop",
        "MarketInfo",
        "greater_than",
        # What the example plugin's strategy and docs/strategies.md import.
        "Strategy",
        "StrategyContext",
        "BookView",
        "OrderRejection",
        "StrategyMetadata",
        "NoParams",
    ):
        assert name in agbotkit.__all__, name


@pytest.mark.parametrize("name", sorted(set(agbotkit.__all__) - {"__version__"}))
def test_every_public_name_is_documented(name: str) -> None:
    value = getattr(agbotkit, name)
    if isinstance(value, agbotkit.Topic):
        assert value.doc.strip(), f"topic {name} has no doc"
    elif inspect.isclass(value) or inspect.isfunction(value):
        own = value.__dict__.get("__doc__") if inspect.isclass(value) else value.__doc__
        assert own is not None, f"{name} has no docstring of its own"
        assert own.strip(), f"{name} has an empty docstring"
    listed = re.findall(r"^\| `([A-Za-z_][A-Za-z0-9_]*)` \|", API_DOC.read_text(), re.M)
    assert name in listed, f"{name} is not in docs/api.md"


def test_api_doc_lists_nothing_that_is_not_public() -> None:
    listed = re.findall(r"^\| `([A-Za-z_][A-Za-z0-9_]*)` \|", API_DOC.read_text(), re.M)
    assert set(listed) <= set(agbotkit.__all__)
    assert len(listed) == len(set(listed))


def test_public_names_are_the_defining_modules_objects() -> None:
    # The root re-exports, it defines nothing: each name is the object its module has.
    for name in set(agbotkit.__all__) - {"__version__"}:
        value = getattr(agbotkit, name)
        module = getattr(value, "__module__", None)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert module is not None, name
            assert module.startswith("agbotkit."), name


def test_docs_import_only_public_names_from_the_root() -> None:
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for match in re.finditer(r"from agbotkit import ([^`\n]+)", doc.read_text()):
            for name in re.split(r"[,\s()]+", match.group(1)):
                if name and name != "...":
                    assert name in agbotkit.__all__, f"{doc.name}: {name}"


def test_the_testing_helpers_are_named_in_the_api_doc() -> None:
    import agbotkit.testing

    intro = API_DOC.read_text().split("\n## ", 1)[0]
    for name in agbotkit.testing.__all__:
        assert f"`{name}`" in intro, name
