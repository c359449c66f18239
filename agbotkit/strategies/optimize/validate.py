"""Checking a search space against the strategy's ``Config`` before any trial runs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from agbotkit.config.converter import structure_options
from agbotkit.errors import ConfigError, ConfigIssue
from agbotkit.strategies.optimize.space import SearchSpace

__all__ = ["check_space"]


def check_space(
    space: SearchSpace,
    config_cls: type,
    base_params: Mapping[str, Any],
    *,
    grid: Mapping[str, list[Any]] | None = None,
    source: str = "--param",
) -> None:
    """Refuse a space whose parameters the strategy does not have or whose values its
    ``Config`` refuses (each bound of a range, each choice, each grid value).

    Args:
        space: the search space.
        config_cls: the strategy's ``Config`` (an attrs class).
        base_params: the stack's parameters (the values of the others).
        grid: the grid's values, when the search is a grid.
        source: where the space came from (``--param`` or the space file), for messages.

    Raises:
        ConfigError: every problem, each at ``params.NAME``.
    """
    fields = [a.name for a in attrs.fields(config_cls)] if attrs.has(config_cls) else []
    _, base_problems = structure_options(config_cls, dict(base_params), base_dir=Path.cwd())
    issues = [
        ConfigIssue(source, None, ".".join(map(str, ("params", *where))), message)
        for where, message in base_problems
    ]
    for spec in space:
        if spec.name not in fields:
            known = ", ".join(fields) or "none"
            issues.append(
                ConfigIssue(
                    source, None, f"params.{spec.name}", f"unknown parameter (known: {known})"
                )
            )
            continue
        values = spec.bounds() if grid is None else list(grid[spec.name])
        for value in _unique(values):
            _, problems = structure_options(
                config_cls, {**base_params, spec.name: value}, base_dir=Path.cwd()
            )
            for where, message in problems:
                if (where, message) in base_problems:
                    continue
                # A validator of the whole Config (no field path) refused this value: the
                # stack's parameters alone passed.
                if tuple(where[:1]) in ((spec.name,), ()):
                    message = f"value {value!r} refused: {message}"
                    where = (spec.name,)
                issues.append(
                    ConfigIssue(source, None, ".".join(map(str, ("params", *where))), message)
                )
    if issues:
        raise ConfigError(_dedupe(issues))


def _unique(values: list[Any]) -> list[Any]:
    seen: list[Any] = []
    for value in values:
        if not any(value == s and type(value) is type(s) for s in seen):
            seen.append(value)
    return seen


def _dedupe(issues: list[ConfigIssue]) -> list[ConfigIssue]:
    out: list[ConfigIssue] = []
    for issue in issues:
        if not any(str(issue) == str(o) for o in out):
            out.append(issue)
    return out
