"""Policy files: YAML or JSON text -> validated policies, or a ConfigError naming file:line.

The file-reading side of the risk engine (which does no I/O itself)::

    engine = engine_from_file("policies.yaml", kill_state=load_kill_state(STATE))
    reload_policy_file(engine, "policies.yaml")  # all or nothing: ConfigError keeps the old

A policy file::

    policies:
      - type: PositionLimit        # an entry-point name in agbotkit.risk_policies
        max_size: 1000         # the rest is the policy's Config
      - type: PositionLimit
        market_id: "0xabc"
        max_size: 200
      - type: KillSwitch
        max_daily_loss_usd: 500

Every problem is reported, each with file, line and field path, e.g.
``policies.yaml:7: policies[2].max_size: expected a value >= 0, got -5.0``. JSON files
get the same messages: JSON is YAML, so the line numbers carry over.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from agbotkit.config.converter import structure
from agbotkit.config.document import FieldPath, YamlDocument, format_path
from agbotkit.errors import ConfigError, ConfigIssue, PluginError
from agbotkit.model.risk import KillState
from agbotkit.plugins import PluginRegistry
from agbotkit.risk.engine import RiskEngine, find_duplicates
from agbotkit.risk.policy import PortfolioView, RiskPolicy

__all__ = [
    "POLICY_GROUP",
    "engine_from_file",
    "load_policy_file",
    "parse_policies",
    "parse_policies_json",
    "parse_policies_yaml",
    "reload_policy_file",
]

#: The entry-point group a policy file's ``type:`` names.
POLICY_GROUP = "agbotkit.risk_policies"

_TOP_LEVEL_KEYS = ("policies",)
_registry: PluginRegistry | None = None


def _default_registry() -> PluginRegistry:
    # One lazily built registry per process: scanning the installed entry points is slow.
    global _registry
    if _registry is None:
        _registry = PluginRegistry()
    return _registry


def load_policy_file(
    path: str | Path,
    *,
    registry: PluginRegistry | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[RiskPolicy[Any], ...]:
    """Read and validate the policy file at ``path`` (``.json`` is parsed as JSON first).

    Raises:
        ConfigError: unreadable file, syntax error or invalid policies, each with file,
            line and field.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            [ConfigIssue(str(path), None, "", f"cannot read: {exc.strerror}")]
        ) from None
    base_dir = path.resolve().parent
    if path.suffix.lower() == ".json":
        _check_json(text, str(path))
    document = YamlDocument(text, str(path), base_dir=base_dir, environ=environ)
    return parse_policies(document, registry=registry)


def engine_from_file(
    path: str | Path,
    *,
    registry: PluginRegistry | None = None,
    environ: Mapping[str, str] | None = None,
    kill_state: KillState | None = None,
    clock: Callable[[], int] | None = None,
    view: PortfolioView | None = None,
) -> RiskEngine:
    """An engine for the policy file at ``path`` (``.json``, else YAML).

    Args:
        path: the policy file.
        registry: where policy types are looked up; default: the installed entry points.
        environ: the environment ``${VAR}`` references are read from; default: the process's.
        kill_state: a persisted kill-switch state to start from (see :class:`RiskEngine`).
        clock: the engine's clock, Unix epoch milliseconds; ``None``: the wall clock.
        view: the portfolio view the policies are bound to (see :class:`RiskEngine`).

    Raises:
        ConfigError: with file, line and field of every problem.
    """
    policies = load_policy_file(path, registry=registry, environ=environ)
    return RiskEngine(policies, kill_state=kill_state, clock=clock, view=view)


def reload_policy_file(
    engine: RiskEngine,
    path: str | Path,
    *,
    registry: PluginRegistry | None = None,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Replace ``engine``'s policies with those of the file at ``path`` (the kill switch
    keeps its state).

    Raises:
        ConfigError: the file is invalid; the old policies stay in force.
    """
    engine.replace_policies(load_policy_file(path, registry=registry, environ=environ))


def parse_policies_yaml(
    text: str, file: str = "<string>", *, registry: PluginRegistry | None = None
) -> tuple[RiskPolicy[Any], ...]:
    """Validate policy-file text in YAML (or JSON, which is YAML)."""
    return parse_policies(YamlDocument(text, file), registry=registry)


def parse_policies_json(
    text: str, file: str = "<string>", *, registry: PluginRegistry | None = None
) -> tuple[RiskPolicy[Any], ...]:
    """Validate policy-file text that must be JSON (a JSON syntax error says so)."""
    _check_json(text, file)
    return parse_policies(YamlDocument(text, file), registry=registry)


def _check_json(text: str, file: str) -> None:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            [
                ConfigIssue(
                    file, exc.lineno, "", f"JSON syntax error: {exc.msg} (column {exc.colno})"
                )
            ]
        ) from None


def parse_policies(
    document: YamlDocument, *, registry: PluginRegistry | None = None
) -> tuple[RiskPolicy[Any], ...]:
    """Validate a parsed policy document into policies, in file order.

    Raises:
        ConfigError: listing every problem (unknown type, bad or missing field, unknown
            key, duplicate entry), each with file, line and field path.
    """
    registry = registry if registry is not None else _default_registry()
    data = document.data
    if not isinstance(data, dict):
        raise ConfigError([document.issue((), "a policy file must be a mapping with 'policies:'")])
    issues = [
        document.issue((key,), f"unknown section (allowed: {', '.join(_TOP_LEVEL_KEYS)})")
        for key in data
        if key not in _TOP_LEVEL_KEYS
    ]
    entries = data.get("policies")
    if not isinstance(entries, list):
        issues.append(
            document.issue(("policies",), "expected a list of policies, each with 'type:'")
        )
        raise ConfigError(issues)
    policies: list[tuple[int, RiskPolicy[Any]]] = []
    for index, entry in enumerate(entries):
        try:
            policies.append((index, _policy(document, registry, index, entry)))
        except ConfigError as exc:
            issues.extend(exc.issues)
    for index, earlier, message in find_duplicates(policies):
        where = document.line_of(("policies", earlier))
        issues.append(document.issue(("policies", index), f"{message} (first at line {where})"))
    if issues:
        # In file order, as a user reads and fixes them (duplicates are found last).
        issues.sort(key=lambda issue: issue.line if issue.line is not None else 0)
        raise ConfigError(issues)
    return tuple(policy for _, policy in policies)


def _policy(
    document: YamlDocument, registry: PluginRegistry, index: int, entry: Any
) -> RiskPolicy[Any]:
    path = ("policies", index)
    installed = ", ".join(registry.names(POLICY_GROUP)) or "none"
    if not isinstance(entry, dict):
        raise ConfigError([document.issue(path, "expected a mapping with at least 'type:'")])
    type_name = entry.get("type")
    if type_name is None:
        message = f"required field is missing (installed policies: {installed})"
        raise ConfigError([document.issue((*path, "type"), message)])
    if not isinstance(type_name, str):
        message = f"expected a policy name, got {type_name!r} (installed policies: {installed})"
        raise ConfigError([document.issue((*path, "type"), message)])
    try:
        cls = registry.load(POLICY_GROUP, type_name)
    except PluginError as exc:
        if type_name in registry.names(POLICY_GROUP):  # installed, but failed to import
            raise ConfigError([document.issue((*path, "type"), str(exc))]) from None
        message = f"unknown policy type {type_name!r} (installed policies: {installed})"
        raise ConfigError([document.issue((*path, "type"), message)]) from None
    if not (isinstance(cls, type) and issubclass(cls, RiskPolicy)):
        message = f"{type_name!r} is not a RiskPolicy subclass ({cls!r})"
        raise ConfigError([document.issue((*path, "type"), message)])
    options = {key: value for key, value in entry.items() if key != "type"}
    renamed: dict[str, str] = {}  # field -> the alias the file used for it
    for alias, field in cls.aliases.items():
        if alias not in options:
            continue
        if field in options:
            message = f"{alias} is another name for {field}: give one of them, not both"
            raise ConfigError([document.issue((*path, alias), message)])
        options[field] = options.pop(alias)
        renamed[field] = alias
    try:
        config = structure(document, cls.Config, path, data=options)
    except ConfigError as exc:
        if not renamed:
            raise
        raise ConfigError(
            [_as_written(document, path, issue, renamed) for issue in exc.issues]
        ) from None
    return cls(config, name=type_name)


def _as_written(
    document: YamlDocument, path: FieldPath, issue: ConfigIssue, renamed: Mapping[str, str]
) -> ConfigIssue:
    """``issue`` about a field the file gave under an alias, told with that alias."""
    for field, alias in renamed.items():
        if issue.path == format_path((*path, field)):
            return document.issue((*path, alias), issue.message)
    return issue
