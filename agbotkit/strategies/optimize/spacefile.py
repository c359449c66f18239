"""A search space in a YAML file (``agbotkit optimize --space FILE``).

::

    params:
      spread: {low: 0.01, high: 0.05, step: 0.01}   # a stepped float range
      levels: {low: 1, high: 5}                      # an integer range
      alpha: {low: 0.001, high: 1.0, log: true}      # a log-scale range
      mode: {choices: [fast, slow]}                  # choices (a list works too)
      size: 10                                       # a fixed value
      skew: "0.0:1.0:0.25"                           # the command line's SPEC text

Errors name the file, the line and the parameter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agbotkit.config.converter import issues_for
from agbotkit.config.document import YamlDocument
from agbotkit.errors import ConfigError, ConfigIssue
from agbotkit.strategies.optimize.space import (
    Choice,
    ParamSpec,
    SearchSpace,
    make_range,
    parse_param,
)

__all__ = ["load_space"]

_RANGE_KEYS = {"low", "high", "step", "log"}


def load_space(path: str | Path) -> SearchSpace:
    """The search space in the YAML file ``path``.

    Raises:
        ConfigError: the file is missing, not YAML, or a parameter is malformed.
    """
    document = YamlDocument.from_file(path)
    data = document.data
    if not isinstance(data, dict) or not isinstance(data.get("params"), dict):
        raise issues_for(document, (), "expected a mapping with a 'params' mapping")
    extra = sorted(set(data) - {"params"})
    if extra:
        raise issues_for(document, (extra[0],), "unknown key (allowed: params)")
    specs = []
    for name, value in data["params"].items():
        try:
            specs.append(_spec(str(name), value))
        except ConfigError as exc:
            message = exc.issues[0].message
            raise issues_for(document, ("params", name), message) from None
    try:
        return SearchSpace(specs)
    except ConfigError as exc:  # pragma: no cover - YAML keys are unique already
        raise issues_for(document, ("params",), str(exc)) from None


def _spec(name: str, value: Any) -> ParamSpec:
    if isinstance(value, str):
        return parse_param(name, value)
    if isinstance(value, list):
        return Choice(name, value)
    if not isinstance(value, dict):
        return Choice(name, [value])
    if set(value) == {"choices"}:
        choices = value["choices"]
        if not isinstance(choices, list) or not choices:
            raise ConfigError([_issue(name, "choices: expected a non-empty list")])
        return Choice(name, choices)
    unknown = sorted(set(value) - _RANGE_KEYS)
    if unknown or not {"low", "high"} <= set(value):
        raise ConfigError(
            [_issue(name, "expected {low, high[, step][, log]}, {choices: [...]} or a value")]
        )
    numbers = [value[k] for k in ("low", "high", "step") if value.get(k) is not None]
    if any(isinstance(n, bool) or not isinstance(n, int | float) for n in numbers):
        raise ConfigError([_issue(name, "low, high and step must be numbers")])
    return make_range(
        name, value["low"], value["high"], step=value.get("step"), log=bool(value.get("log"))
    )


def _issue(name: str, message: str) -> ConfigIssue:
    return ConfigIssue("<space>", None, f"params.{name}", message)
