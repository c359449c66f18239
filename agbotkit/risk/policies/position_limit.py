"""``PositionLimit``: the largest absolute position, in shares, per market, token or global."""

from __future__ import annotations

import attrs

from agbotkit.config.checks import at_least
from agbotkit.model.risk import TOLERANCE, RiskContext
from agbotkit.risk.policy import RiskPolicy, ScopedConfig, format_number

__all__ = ["PositionLimit", "PositionLimitConfig"]


@attrs.frozen(kw_only=True)
class PositionLimitConfig(ScopedConfig):
    """Options of ``PositionLimit``.

    Attributes:
        max_size: the largest absolute position allowed after the order, in shares, long
            or short. At the limit is allowed. A policy file may call it ``max_position``
            (its alias).
        market_id: apply to this market only (overrides the global entry).
        token_id: apply to this token only (overrides the market's and the global entry).
    """

    max_size: float = attrs.field(validator=at_least(0))


class PositionLimit(RiskPolicy[PositionLimitConfig]):
    """Denies an order that would take ``|current_position + proposed_size|`` above the limit.

    An order that only reduces the position is always allowed, even while the position is
    above the limit (after the limit was lowered, say): a lower limit must not trap the
    desk in its position. Flipping from long to short is not a reduction: the new position
    is checked like any other.
    """

    Config = PositionLimitConfig
    aliases = {"max_position": "max_size"}

    def __init__(self, config: PositionLimitConfig, *, name: str | None = None) -> None:
        super().__init__(config, name=name)
        self._limit = config.max_size + TOLERANCE
        self._suffix = "" if self.scope_text == "global" else f" ({self.scope_text})"

    def check(self, context: RiskContext) -> str | None:
        new = context.current_position + context.proposed_size
        if -self._limit <= new <= self._limit or context.reduces_position:
            return None
        return (
            f"position {format_number(new)} would exceed max_size "
            f"{format_number(self.config.max_size)}{self._suffix}"
        )
