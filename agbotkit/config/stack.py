"""Loading a stack file: settings, component entries and their order."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from agbotkit.config.converter import structure
from agbotkit.config.document import YamlDocument
from agbotkit.config.schema import COMPONENT_KEYS, ComponentSpec, StackSettings
from agbotkit.errors import ConfigError, ConfigIssue

__all__ = ["StackFile", "load_stack", "parse_stack"]

_TOP_LEVEL_KEYS = ("stack", "components")


@attrs.frozen
class StackFile:
    """A validated stack file (component options are still raw; see the supervisor's plan).

    Attributes:
        document: the parsed YAML, for line numbers of later errors.
        settings: the ``stack:`` section.
        components: the entries in start order (every ``needs`` before its dependant).
    """

    document: YamlDocument
    settings: StackSettings
    components: tuple[ComponentSpec, ...]


def load_stack(path: str | Path, *, environ: Mapping[str, str] | None = None) -> StackFile:
    """Read and validate the stack file at ``path``.

    Raises:
        ConfigError: naming file, line and field for every problem found.
    """
    return parse_stack(YamlDocument.from_file(path, environ=environ))


def parse_stack(document: YamlDocument, *, issues: list[ConfigIssue] | None = None) -> StackFile:
    """Validate an already parsed stack document.

    Args:
        document: the parsed stack file.
        issues: when given, problems are appended here and the stack is returned with the
            components that are valid (so that a caller can go on and report every problem
            of the file in one run); otherwise they are raised.

    Raises:
        ConfigError: every problem found, when ``issues`` is not given; or when the file is
            not a mapping at all.
    """
    data = document.data
    if not isinstance(data, dict):
        raise ConfigError([document.issue((), "a stack file must be a mapping with 'components:'")])
    collect = issues is not None
    issues = issues if issues is not None else []
    for key in data:
        if key not in _TOP_LEVEL_KEYS:
            issues.append(
                document.issue((key,), f"unknown section (allowed: {', '.join(_TOP_LEVEL_KEYS)})")
            )
    settings = StackSettings()
    if data.get("stack") is not None:
        try:
            settings = structure(document, StackSettings, ("stack",))
        except ConfigError as exc:
            issues.extend(exc.issues)
    components: list[ComponentSpec] = []
    entries = data.get("components")
    names: set[str] = set(entries) if isinstance(entries, dict) else set()
    if not isinstance(entries, dict) or not entries:
        issues.append(
            document.issue(
                ("components",),
                "expected a mapping of component name to its settings, with at least one component",
            )
        )
    else:
        for name, entry in entries.items():
            try:
                components.append(_component(document, name, entry))
            except ConfigError as exc:
                issues.extend(exc.issues)
    try:
        components = _start_order(document, components, names)
    except ConfigError as exc:
        issues.extend(exc.issues)  # the components stay in file order, for their own checks
    if issues and not collect:
        raise ConfigError(issues)
    return StackFile(document, settings, tuple(components))


def _component(document: YamlDocument, name: str, entry: Any) -> ComponentSpec:
    path = ("components", name)
    if not isinstance(entry, dict):
        raise ConfigError([document.issue(path, "expected a mapping with at least 'kind:'")])
    own = {key: value for key, value in entry.items() if key in COMPONENT_KEYS}
    options = {key: value for key, value in entry.items() if key not in COMPONENT_KEYS}
    spec = structure(document, ComponentSpec, path, data={"name": name, **own})
    return attrs.evolve(spec, options=options)


def _start_order(
    document: YamlDocument, specs: list[ComponentSpec], names: set[str]
) -> list[ComponentSpec]:
    """Order ``specs`` so every component comes after what it needs (stable otherwise).

    ``names`` are every component the file declares, valid or not: a need of one whose
    entry is invalid is not reported again (its own problem is).
    """
    by_name = {spec.name: spec for spec in specs}
    issues = [
        document.issue(("components", spec.name, "needs", i), f"unknown component {need!r}")
        for spec in specs
        for i, need in enumerate(spec.needs)
        if need not in names
    ]
    if issues:
        raise ConfigError(issues)
    ordered: list[ComponentSpec] = []
    state: dict[str, str] = {}

    def visit(spec: ComponentSpec, chain: tuple[str, ...]) -> None:
        if state.get(spec.name) == "done":
            return
        if state.get(spec.name) == "visiting":
            cycle = " -> ".join((*chain[chain.index(spec.name) :], spec.name))
            raise ConfigError(
                [document.issue(("components", spec.name, "needs"), f"dependency cycle: {cycle}")]
            )
        state[spec.name] = "visiting"
        for need in spec.needs:
            if need in by_name:
                visit(by_name[need], (*chain, spec.name))
        state[spec.name] = "done"
        ordered.append(spec)

    for spec in specs:
        visit(spec, ())
    return ordered
