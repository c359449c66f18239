"""Component lifecycle values published by the supervisor."""

from __future__ import annotations

import enum

import attrs

__all__ = ["ComponentState", "ComponentStateChanged"]


class ComponentState(enum.StrEnum):
    """Where a component is in its life."""

    STARTING = "starting"
    READY = "ready"
    RESTARTING = "restarting"
    STOPPING = "stopping"
    STOPPED = "stopped"
    FAILED = "failed"


@attrs.frozen(slots=True)
class ComponentStateChanged:
    """A component moved to a new state.

    Attributes:
        component: the component's name in the stack.
        kind: its entry-point name.
        state: the new state.
        timestamp_ms: when, Unix epoch milliseconds.
        restarts: restarts so far in this run of the stack.
        reason: why (the error for ``failed`` and ``restarting``), else empty.
        degraded: for ``ready``, what the component reported it cannot do although it runs
            (e.g. ``RTDS rejected the subscription …``); empty when healthy.
    """

    component: str
    kind: str
    state: ComponentState
    timestamp_ms: int
    restarts: int = 0
    reason: str = ""
    degraded: str = ""
