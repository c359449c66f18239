"""Build stack plans from YAML text with extra, unregistered component classes."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agbotkit.config.document import YamlDocument
from agbotkit.config.stack import parse_stack
from agbotkit.plugins import PluginRegistry
from agbotkit.supervisor.plan import StackPlan, plan_stack

__all__ = ["plan_from_yaml"]


def plan_from_yaml(
    text: str,
    components: Mapping[str, type[Any]] | None = None,
    *,
    file: str = "stack.yaml",
    base_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> StackPlan:
    """Plan the stack in ``text`` (dedented), with ``components`` added as plugin kinds.

    The installed plugins are discovered as usual; ``components`` come on top, so a test
    can run its own component classes under the real supervisor.
    """
    registry = PluginRegistry()
    for kind, cls in (components or {}).items():
        registry.register("agbotkit.components", kind, cls, distribution="<test>")
    document = YamlDocument(textwrap.dedent(text), file, base_dir=base_dir, environ=environ)
    return plan_stack(parse_stack(document), registry)
