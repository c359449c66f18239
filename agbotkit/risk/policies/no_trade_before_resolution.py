"""``NoTradeBeforeResolution``: no new positions close to a market's end date."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs

from agbotkit.config.checks import at_least
from agbotkit.model.risk import RiskContext
from agbotkit.risk.policy import RiskPolicy, ScopedConfig

__all__ = ["NoTradeBeforeResolution", "NoTradeBeforeResolutionConfig"]


@attrs.frozen(kw_only=True)
class NoTradeBeforeResolutionConfig(ScopedConfig):
    """Options of ``NoTradeBeforeResolution``.

    Attributes:
        window_s: no new positions during the last ``window_s`` seconds before the
            market's end date, nor after it.
        market_id: apply to this market only (overrides the global entry).
        token_id: apply to this token only.
    """

    window_s: float = attrs.field(validator=at_least(0))


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class NoTradeBeforeResolution(RiskPolicy[NoTradeBeforeResolutionConfig]):
    """Denies orders that open or grow a position from ``end - window_s`` on.

    Orders that only reduce a position stay allowed, so a position can still be closed.
    The cut-off instant itself is inside the window. The order's context must carry
    ``now_ms`` and ``market_end_ms``; without them the order is denied (it cannot be
    checked).
    """

    Config = NoTradeBeforeResolutionConfig

    def __init__(self, config: NoTradeBeforeResolutionConfig, *, name: str | None = None) -> None:
        super().__init__(config, name=name)
        self._window_ms = round(config.window_s * 1000)

    def check(self, context: RiskContext) -> str | None:
        if context.reduces_position:
            return None
        end_ms = context.market_end_ms
        now_ms = context.now_ms
        if end_ms is None:
            return "the market's end date is unknown (market_end_ms)"
        if now_ms is None:
            return "the order has no time (now_ms)"
        if now_ms < end_ms - self._window_ms:
            return None
        left_s = (end_ms - now_ms) / 1000
        when = "ended" if left_s <= 0 else f"ends in {left_s:.0f} s"
        return (
            f"market {context.market_id} {when} (end date {_iso(end_ms)}): no new positions "
            f"in the last window_s {self.config.window_s:g} s"
        )
