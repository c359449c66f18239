"""The policies in force, in words, retained on ``RISK_LIMITS`` for whoever must state them
(the execution component logs them when it starts trading live)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from agbotkit.abc import ComponentContext
from agbotkit.model.risk import RiskLimits
from agbotkit.risk.engine import RiskEngine
from agbotkit.risk.policy import RiskPolicy
from agbotkit.topics import RISK_LIMITS

__all__ = ["describe_policy", "publish_limits"]

_SCOPE_FIELDS = {"market_id", "token_id"}


def describe_policy(policy: RiskPolicy[Any]) -> str:
    """``PositionLimit (global): max_size=100``: type, scope and the options given."""
    config = policy.config
    options: dict[str, Any] = attrs.asdict(config, recurse=False) if attrs.has(type(config)) else {}
    shown = ", ".join(
        f"{name}={value}"
        for name, value in options.items()
        if name not in _SCOPE_FIELDS and value is not None
    )
    return f"{policy.name} ({policy.scope_text}): {shown or 'no options'}"


def publish_limits(engine: RiskEngine, policy_file: Path, context: ComponentContext) -> None:
    """Retain the engine's policies on ``RISK_LIMITS`` under the component's name."""
    limits = RiskLimits(
        component=context.name,
        policy_file=str(policy_file),
        policies=tuple(describe_policy(policy) for policy in engine.policies),
    )
    context.bus.publish_retained(RISK_LIMITS, context.name, limits)
