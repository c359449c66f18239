"""The stack file's own schema (component options are each component's ``Config``)."""

from __future__ import annotations

import enum
from typing import Any, Protocol

import attrs

from agbotkit.config.checks import at_least, greater_than

__all__ = [
    "COMPONENT_KEYS",
    "ComponentSpec",
    "PlannedComponentLike",
    "RestartConfig",
    "RestartPolicy",
    "StackSettings",
]


class RestartPolicy(enum.StrEnum):
    """What the supervisor does when a component fails."""

    NEVER = "never"
    ON_FAILURE = "on-failure"


@attrs.frozen
class RestartConfig:
    """How a failed component is restarted.

    Attributes:
        policy: ``never`` or ``on-failure``.
        max_restarts: restarts allowed within ``window_s``; one more failure stops the stack.
        window_s: the sliding window, in seconds, that ``max_restarts`` counts over.
        backoff_initial_s: delay before the first restart; it doubles on each restart.
        backoff_max_s: the doubling stops here. Each delay is jittered down to half.
    """

    policy: RestartPolicy = RestartPolicy.NEVER
    max_restarts: int = attrs.field(default=5, validator=at_least(0))
    window_s: float = attrs.field(default=60.0, validator=greater_than(0))
    backoff_initial_s: float = attrs.field(default=0.5, validator=at_least(0))
    backoff_max_s: float = attrs.field(default=30.0, validator=at_least(0))


@attrs.frozen
class StackSettings:
    """Settings of the whole stack (the optional ``stack:`` section).

    Attributes:
        name: shown in logs and the dashboard.
        shutdown_grace_s: how long a graceful stop may take before it is forced.
        start_timeout_s: default time a component has to report ready.
        freeze_gc: once every component is ready, move every object that exists to the
            garbage collector's permanent generation (``gc.freeze()``): a stack leaves some
            70,000 long-lived objects that each full collection would scan again (50-100 ms
            pauses on a busy machine). Objects made later are collected as usual. Applied by
            ``agbotkit run``, which owns the process.
    """

    name: str = "agbotkit"
    shutdown_grace_s: float = attrs.field(default=10.0, validator=greater_than(0))
    start_timeout_s: float = attrs.field(default=30.0, validator=greater_than(0))
    freeze_gc: bool = True


@attrs.frozen
class ComponentSpec:
    """One entry of ``components:``; the keys besides these are the component's options.

    Attributes:
        name: unique name (the mapping key), used in logs, metrics and ``needs``.
        kind: entry-point name in the ``agbotkit.components`` group.
        needs: names of components that must be ready before this one starts.
        restart: restart policy.
        critical: when true, this component failing for good stops the whole stack.
        start_timeout_s: time to report ready; defaults to the stack's ``start_timeout_s``.
    """

    name: str
    kind: str
    needs: tuple[str, ...] = ()
    restart: RestartConfig = RestartConfig()
    critical: bool = False
    start_timeout_s: float | None = attrs.field(default=None, validator=greater_than(0))
    options: dict[str, Any] = attrs.field(factory=dict)


#: Keys of a component entry that belong to the supervisor, not to the component.
COMPONENT_KEYS = frozenset({"kind", "needs", "restart", "critical", "start_timeout_s"})


class PlannedComponentLike(Protocol):
    """A component of a planned stack, as the command-line helpers below the supervisor see
    it (the supervisor's ``PlannedComponent`` is one; they do not import the supervisor)."""

    @property
    def name(self) -> str:
        """The component's name in the stack."""

    @property
    def config(self) -> Any:
        """Its validated options."""
