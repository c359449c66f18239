"""``agbotkit risk kill|reset|status``: a stack's kill switch, from a shell.

The commands write the state file of each ``risk`` component of the stack (atomically);
a running component polls that file every ``watch_interval_s`` and applies the change, and
a component started later loads it. So they work whether or not the stack runs.

The caller plans the stack file (:func:`agbotkit.supervisor.plan_file`) and hands its
components in: this module sits below the supervisor and does not import it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import attrs

from agbotkit.config.schema import PlannedComponentLike
from agbotkit.errors import ConfigError, ConfigIssue
from agbotkit.model.risk import NOT_TRIGGERED, KillState
from agbotkit.risk.component import RiskConfig
from agbotkit.risk.killstate import load_kill_state, save_kill_state
from agbotkit.risk.loading import load_policy_file
from agbotkit.risk.policies.kill_switch import KillSwitch
from agbotkit.toolkit.clock import wall_clock_ms

__all__ = ["ACTIONS", "RiskTarget", "kill", "reset", "risk_targets", "run", "status"]

#: The sub-commands.
ACTIONS = ("kill", "reset", "status")


@attrs.frozen
class RiskTarget:
    """One risk component of a stack, as the commands see it.

    Attributes:
        name: the component's name in the stack.
        state_file: its kill state file.
        policy_file: its policy file.
        watch_interval_s: how soon a running component notices a change of the file.
    """

    name: str
    state_file: Path
    policy_file: Path
    watch_interval_s: float


def risk_targets(
    components: Iterable[PlannedComponentLike],
    stack_dir: Path,
    *,
    stack_file: str = "<stack>",
    only: str | None = None,
) -> list[RiskTarget]:
    """The risk components among a planned stack's ``components`` (any ``kind`` whose
    options are :class:`~agbotkit.risk.component.RiskConfig`).

    Args:
        components: the stack plan's components.
        stack_dir: the stack file's folder (default state files live there).
        stack_file: the stack file's name, for errors.
        only: keep the component of this name only.

    Raises:
        ConfigError: the stack has no risk component (called ``only``).
    """
    targets = [
        RiskTarget(
            planned.name,
            planned.config.state_path(planned.name, stack_dir),
            planned.config.policy_file,
            planned.config.watch_interval_s,
        )
        for planned in components
        if isinstance(planned.config, RiskConfig) and only in (None, planned.name)
    ]
    if not targets:
        named = f" called {only!r}" if only is not None else ""
        message = f"the stack has no risk component{named} (a component with kind: risk)"
        raise ConfigError([ConfigIssue(stack_file, None, "components", message)])
    return targets


def run(
    action: str, targets: Sequence[RiskTarget], *, reason: str = "", now_ms: int | None = None
) -> list[str]:
    """Run ``action`` (one of :data:`ACTIONS`) on ``targets``; the lines to print.

    Raises:
        OSError: a state file could not be written.
        ValueError: an unknown action.
    """
    if action == "kill":
        return kill(targets, reason, now_ms=now_ms)
    if action == "reset":
        return reset(targets)
    if action == "status":
        return status(targets)
    raise ValueError(f"unknown action {action!r} (known: {', '.join(ACTIONS)})")


def kill(
    targets: Sequence[RiskTarget], reason: str = "", *, now_ms: int | None = None
) -> list[str]:
    """Trigger the kill switch of every target (a trigger already in place is kept).

    Raises:
        OSError: a state file could not be written.
    """
    stamp = now_ms if now_ms is not None else wall_clock_ms()
    full_reason = "manual (cli)" + (f": {reason}" if reason else "")
    lines = []
    for target in targets:
        current = load_kill_state(target.state_file)
        if current.triggered:
            lines.append(f"{target.name}: already {_describe(current)}; nothing changed")
            continue
        _save(target.state_file, KillState(True, full_reason, stamp))
        lines.append(
            f"{target.name}: kill switch TRIGGERED ({full_reason}); a running stack denies "
            f"every new order within {target.watch_interval_s:g} s"
        )
    return lines


def reset(targets: Sequence[RiskTarget]) -> list[str]:
    """Lift the kill switch of every target.

    Raises:
        OSError: a state file could not be written.
    """
    lines = []
    for target in targets:
        current = load_kill_state(target.state_file)
        # Written even when not triggered: a running component whose own save failed
        # still gets the reset.
        _save(target.state_file, NOT_TRIGGERED)
        if current.triggered:
            lines.append(
                f"{target.name}: kill switch reset; a running stack accepts orders again "
                f"within {target.watch_interval_s:g} s"
            )
        else:
            lines.append(f"{target.name}: kill switch was not triggered")
        if _enabled_in_policy_file(target.policy_file):
            lines.append(
                f"{target.name}: note: {target.policy_file} sets the KillSwitch's enabled: true; "
                "orders stay denied until that is edited"
            )
    return lines


def status(targets: Sequence[RiskTarget]) -> list[str]:
    """One line per target: triggered or not, since when, why, and the state file."""
    lines = []
    for target in targets:
        line = f"{target.name}: {_describe(load_kill_state(target.state_file))}"
        if _enabled_in_policy_file(target.policy_file):
            line += " (and the policy file sets enabled: true: orders are denied)"
        lines.append(f"{line} [state file {target.state_file}]")
    return lines


def _describe(state: KillState) -> str:
    if not state.triggered:
        return "not triggered"
    if state.since_ms is None:
        return f"TRIGGERED: {state.reason}"
    since = datetime.fromtimestamp(state.since_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"TRIGGERED since {since}: {state.reason}"


def _save(path: Path, state: KillState) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    save_kill_state(path, state)


def _enabled_in_policy_file(path: Path) -> bool:
    try:
        policies = load_policy_file(path)
    except ConfigError:
        return False  # the component refuses such a file; its running policies decide
    return any(isinstance(policy, KillSwitch) and policy.config.enabled for policy in policies)
