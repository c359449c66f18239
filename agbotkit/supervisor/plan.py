"""Turning a stack file into a plan: each entry's plugin class and validated options.

``agbotkit check`` stops here; ``agbotkit run`` hands the plan to the supervisor. So
everything ``run`` would refuse because of the files (and what each component's
:meth:`~agbotkit.abc.Component.preflight` finds: a policy file that does not validate, a
missing database driver, an unprotected public dashboard) is found by ``check``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from agbotkit.abc import Component
from agbotkit.config.converter import structure
from agbotkit.config.document import YamlDocument
from agbotkit.config.schema import ComponentSpec
from agbotkit.config.stack import StackFile, parse_stack
from agbotkit.errors import ConfigError, ConfigIssue, PluginError
from agbotkit.plugins import PluginRegistry

__all__ = ["PlannedComponent", "StackPlan", "plan_file", "plan_stack"]

COMPONENTS_GROUP = "agbotkit.components"


@attrs.frozen
class PlannedComponent:
    """A stack entry ready to be started.

    Attributes:
        spec: the entry from the stack file.
        component_class: the plugin class its ``kind`` names.
        config: its options, structured into ``component_class.Config``.
        start_timeout_s: how long it has to report ready.
    """

    spec: ComponentSpec
    component_class: type[Component[Any]]
    config: Any
    start_timeout_s: float

    @property
    def name(self) -> str:
        """The component's name in the stack."""
        return self.spec.name


@attrs.frozen
class StackPlan:
    """A fully validated stack: settings plus components in start order."""

    stack: StackFile
    components: tuple[PlannedComponent, ...]

    @property
    def stack_dir(self) -> Path:
        """The folder of the stack file."""
        return self.stack.document.base_dir


def plan_file(
    path: str | Path, registry: PluginRegistry | None = None, *, preflight: bool = True
) -> StackPlan:
    """Load, validate and plan the stack file at ``path``.

    Every problem of the file is reported at once: the stack's own settings, each
    component's kind and options, and what each component's preflight finds.

    Args:
        path: the stack file.
        registry: where component kinds are looked up.
        preflight: run each component's preflight. Commands that only read the stack's
            settings (``agbotkit risk kill``, ``orders cancel-all``, ``db``, ``keys
            derive``) skip it: a kill switch must work from a shell that lacks the bot's
            credentials.

    Raises:
        ConfigError: every problem in the file or in any component's options.
    """
    issues: list[ConfigIssue] = []
    stack = parse_stack(YamlDocument.from_file(path), issues=issues)
    return plan_stack(stack, registry or PluginRegistry(), issues=issues, preflight=preflight)


def plan_stack(
    stack: StackFile,
    registry: PluginRegistry,
    *,
    issues: list[ConfigIssue] | None = None,
    preflight: bool = True,
) -> StackPlan:
    """Resolve every entry's ``kind``, validate its options and run its preflight.

    Args:
        stack: the parsed stack file.
        registry: where component kinds are looked up.
        issues: problems already found in the file, reported with these.
        preflight: run each component's preflight (see :func:`plan_file`).

    Raises:
        ConfigError: every problem found, ``issues`` included, in file order.
    """
    document = stack.document
    issues = list(issues or ())
    planned: list[PlannedComponent] = []
    for spec in stack.components:
        path = ("components", spec.name)
        try:
            cls = registry.load(COMPONENTS_GROUP, spec.kind)
        except PluginError as exc:
            issues.append(document.issue((*path, "kind"), _plugin_message(exc, registry)))
            continue
        if not (isinstance(cls, type) and issubclass(cls, Component)):
            issues.append(
                document.issue(
                    (*path, "kind"),
                    f"plugin {spec.kind!r} is not a subclass of agbotkit.abc.Component",
                )
            )
            continue
        try:
            config = structure(document, cls.Config, path, data=spec.options)
        except ConfigError as exc:
            issues.extend(exc.issues)
            continue
        problems = cls.preflight(config, document.base_dir) if preflight else ()
        issues.extend(document.issue((*path, *p.field), p.message) for p in problems)
        timeout = spec.start_timeout_s or stack.settings.start_timeout_s
        planned.append(PlannedComponent(spec, cls, config, timeout))
    if issues:
        issues.sort(key=lambda issue: (issue.file, issue.line or 0))
        raise ConfigError(issues)
    return StackPlan(stack, tuple(planned))


def _plugin_message(exc: PluginError, registry: PluginRegistry) -> str:
    if "no such plugin" in str(exc):
        known = ", ".join(registry.names(COMPONENTS_GROUP)) or "none installed"
        return f"unknown component kind {exc.name!r} (installed: {known})"
    return str(exc)
