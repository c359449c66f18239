"""``PriceBand``: deny orders priced outside (0, 1) or too far from the current mid."""

from __future__ import annotations

import attrs

from agbotkit.config.checks import between
from agbotkit.model.risk import TOLERANCE, RiskContext
from agbotkit.risk.policy import RiskPolicy, ScopedConfig, format_number

__all__ = ["PriceBand", "PriceBandConfig"]


@attrs.frozen(kw_only=True)
class PriceBandConfig(ScopedConfig):
    """Options of ``PriceBand``.

    Attributes:
        max_distance: the largest ``|price - mid|`` allowed, in price units (0.05 is five
            cents a share). Omit it to check only that prices lie in (0, 1).
        market_id: apply to this market only (overrides the global entry).
        token_id: apply to this token only.
    """

    max_distance: float | None = attrs.field(default=None, validator=between(0, 1))


class PriceBand(RiskPolicy[PriceBandConfig]):
    """Denies an order priced at or outside 0 and 1, or more than ``max_distance`` from the mid.

    A Polymarket order is priced strictly between 0 and 1 (a share at 0 or 1 is worth
    nothing to trade). Orders without a price are denied, and so are orders without a mid
    when ``max_distance`` is set: the band cannot be checked, and a missing mid (an empty
    book) is exactly when a stray price does most harm. A price exactly at the band's edge
    is allowed.
    """

    Config = PriceBandConfig

    def __init__(self, config: PriceBandConfig, *, name: str | None = None) -> None:
        super().__init__(config, name=name)
        self._max_distance = config.max_distance
        self._suffix = "" if self.scope_text == "global" else f" ({self.scope_text})"

    def check(self, context: RiskContext) -> str | None:
        price = context.price
        if price is None:
            return "the order has no price" + self._suffix
        if not 0.0 < price < 1.0:
            return f"price {format_number(price)} is outside (0, 1){self._suffix}"
        max_distance = self._max_distance
        if max_distance is None:
            return None
        mid = context.mid
        if mid is None:
            return "no mid price to check the band against" + self._suffix
        if abs(price - mid) > max_distance + TOLERANCE:
            return (
                f"price {format_number(price)} is {format_number(abs(price - mid))} from the "
                f"mid {format_number(mid)}, more than max_distance "
                f"{format_number(max_distance)}{self._suffix}"
            )
        return None
