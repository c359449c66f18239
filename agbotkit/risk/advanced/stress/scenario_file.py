"""Scenarios from YAML text: validated :class:`Scenario` values, or a ConfigError naming
file, line and field.

A scenario file (formats and meanings: ``docs/risk/STRESS_TESTING.md``)::

    scenarios:
      - name: btc_winter
        description: BTC -35 %, ETH -45 %, other markets lose half a log-odd
        reference:
          move: -0.35
          per_symbol: {ETH: -0.45}
          volatility: 0.8
          unlinked_logit: -0.5
        liquidity:
          spread_factor: 3

Parsing text does no I/O; to read a file, let the config layer do it:
``parse_scenarios(YamlDocument.from_file(path))``. Every problem is reported at once, e.g.
``stress.yaml:9: scenarios[1].liquidity.depth_factor: expected a value between 0.0 and
1.0, got 2.0``.
"""

from __future__ import annotations

from collections.abc import Mapping

from agbotkit.config.converter import structure
from agbotkit.config.document import YamlDocument
from agbotkit.errors import ConfigError, ConfigIssue
from agbotkit.risk.advanced.stress.scenarios import Scenario

__all__ = ["parse_scenarios", "parse_scenarios_yaml"]

_TOP_LEVEL_KEYS = ("scenarios",)


def parse_scenarios_yaml(
    text: str, file: str = "<string>", *, environ: Mapping[str, str] | None = None
) -> tuple[Scenario, ...]:
    """Validate scenario-file text (YAML, or JSON, which is YAML).

    Args:
        text: the file's text.
        file: the name error messages give for it.
        environ: what ``${VAR}`` references in the text are read from; default: none
            (this module reads no process state), so a reference is an error.

    Raises:
        ConfigError: syntax errors and invalid scenarios, each with file, line and field.
    """
    return parse_scenarios(YamlDocument(text, file, environ={} if environ is None else environ))


def parse_scenarios(document: YamlDocument) -> tuple[Scenario, ...]:
    """Validate a parsed scenario document into scenarios, in file order.

    Raises:
        ConfigError: listing every problem (unknown key, bad or missing field, duplicate
            name), each with file, line and field path.
    """
    data = document.data
    if not isinstance(data, dict):
        raise ConfigError(
            [document.issue((), "a scenario file must be a mapping with 'scenarios:'")]
        )
    issues: list[ConfigIssue] = [
        document.issue((key,), f"unknown section (allowed: {', '.join(_TOP_LEVEL_KEYS)})")
        for key in data
        if key not in _TOP_LEVEL_KEYS
    ]
    entries = data.get("scenarios")
    if not isinstance(entries, list) or not entries:
        issues.append(document.issue(("scenarios",), "expected a non-empty list of scenarios"))
        raise ConfigError(issues)
    scenarios: list[Scenario] = []
    first_line: dict[str, int | None] = {}
    for index, entry in enumerate(entries):
        path = ("scenarios", index)
        # Names are compared as written, so a duplicate is reported even next to an
        # entry that is invalid for other reasons.
        name = entry.get("name") if isinstance(entry, dict) else None
        if isinstance(name, str) and name in first_line:
            message = f"scenario {name!r} is defined twice (first at line {first_line[name]})"
            issues.append(document.issue((*path, "name"), message))
        elif isinstance(name, str):
            first_line[name] = document.line_of((*path, "name"))
        try:
            scenarios.append(structure(document, Scenario, path))
        except ConfigError as exc:
            issues.extend(exc.issues)
    if issues:
        issues.sort(key=lambda issue: issue.line if issue.line is not None else 0)
        raise ConfigError(issues)
    return tuple(scenarios)
