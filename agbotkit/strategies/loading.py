"""Finding a strategy by its entry-point name and validating its parameters.

The ``strategy`` component, the backtester and the optimiser all start from the same two
things, a name in the ``agbotkit.strategies`` entry-point group and a mapping of
parameters, and must refuse the same mistakes with the same messages: this module is that
one place. Parameters are structured into the strategy's own ``Config`` with agbotkit's one
cattrs converter (extra keys refused, ``"10"`` is not a number), each problem at its field
path.
"""

from __future__ import annotations

import importlib.metadata as metadata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agbotkit.abc import Problem
from agbotkit.config.converter import structure_options
from agbotkit.errors import ConfigError, ConfigIssue, PluginError
from agbotkit.plugins import PluginRegistry
from agbotkit.strategies.api import Strategy

__all__ = ["STRATEGY_GROUP", "load_strategy", "params_or_raise", "structure_params"]

#: The entry-point group strategies register under.
STRATEGY_GROUP = "agbotkit.strategies"


def load_strategy(name: str, registry: PluginRegistry | None = None) -> type[Strategy[Any]]:
    """The strategy class registered as ``name``, or at ``module:Class`` (a strategy
    being written, before it is packaged with an entry point).

    Raises:
        PluginError: no such strategy, its import failed, or it is not a Strategy subclass.
    """
    if ":" in name:
        return _checked(name, _import(name))
    registry = registry if registry is not None else PluginRegistry()
    try:
        cls = registry.load(STRATEGY_GROUP, name)
    except PluginError as exc:
        if name in registry.names(STRATEGY_GROUP):
            raise
        installed = ", ".join(registry.names(STRATEGY_GROUP)) or "none"
        raise PluginError(
            STRATEGY_GROUP, name, f"unknown strategy {name!r} (installed strategies: {installed})"
        ) from exc
    return _checked(name, cls)


def _import(reference: str) -> Any:
    try:
        return metadata.EntryPoint(reference, reference, STRATEGY_GROUP).load()
    except Exception as exc:  # any import-time error of the strategy's code
        raise PluginError(
            STRATEGY_GROUP, reference, f"failed to import: {type(exc).__name__}: {exc}"
        ) from exc


def _checked(name: str, cls: Any) -> type[Strategy[Any]]:
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise PluginError(STRATEGY_GROUP, name, f"{name!r} is not a Strategy subclass")
    return cls


def structure_params(
    cls: type[Strategy[Any]], params: Mapping[str, Any], *, base_dir: Path
) -> tuple[Any, list[Problem]]:
    """``params`` structured into ``cls.Config``: the value, or ``None`` and every problem
    at its path within ``params`` (``("spread",)``)."""
    config, found = structure_options(cls.Config, dict(params), base_dir=base_dir)
    return config, [Problem(tuple(where), message) for where, message in found]


def params_or_raise(
    cls: type[Strategy[Any]],
    params: Mapping[str, Any],
    *,
    base_dir: Path,
    where: Sequence[str | int] = ("params",),
    file: str = "<params>",
) -> Any:
    """:func:`structure_params`, raising a :class:`ConfigError` that lists every problem
    at ``where`` + its field (``components.mm.params.spread``).

    Raises:
        ConfigError: a parameter is missing, extra or invalid.
    """
    config, problems = structure_params(cls, params, base_dir=base_dir)
    if problems:
        raise ConfigError(
            [
                ConfigIssue(file, None, ".".join(map(str, (*where, *p.field))), p.message)
                for p in problems
            ]
        )
    return config
