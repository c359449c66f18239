"""``MaxOrderSize``: the largest single order, in shares and/or in USD (fat-finger guard)."""

from __future__ import annotations

import attrs

from agbotkit.config.checks import FieldValueError, greater_than
from agbotkit.model.risk import TOLERANCE, RiskContext
from agbotkit.risk.policy import RiskPolicy, ScopedConfig, format_number, format_usd

__all__ = ["MaxOrderSize", "MaxOrderSizeConfig"]


@attrs.frozen(kw_only=True)
class MaxOrderSizeConfig(ScopedConfig):
    """Options of ``MaxOrderSize``; give ``max_size``, ``max_notional_usd`` or both.

    Attributes:
        max_size: the largest order, in shares (buy or sell). At the limit is allowed.
        max_notional_usd: the largest order value, ``|size| * price``, in USD.
        market_id: apply to this market only (overrides the global entry).
        token_id: apply to this token only.
    """

    max_size: float | None = attrs.field(default=None, validator=greater_than(0))
    max_notional_usd: float | None = attrs.field(default=None, validator=greater_than(0))

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        if self.max_size is None and self.max_notional_usd is None:
            raise FieldValueError("max_size", "give max_size, max_notional_usd or both")


class MaxOrderSize(RiskPolicy[MaxOrderSizeConfig]):
    """Denies an order larger than ``max_size`` shares or worth more than ``max_notional_usd``.

    Applies to every order, reducing ones included: a fat finger is as bad on the way out.
    The notional is valued at the order's price, else the mid; with neither, an order
    under a ``max_notional_usd`` limit is denied (it cannot be checked).
    """

    Config = MaxOrderSizeConfig

    def __init__(self, config: MaxOrderSizeConfig, *, name: str | None = None) -> None:
        super().__init__(config, name=name)
        self._max_size = config.max_size
        self._max_notional = config.max_notional_usd
        self._suffix = "" if self.scope_text == "global" else f" ({self.scope_text})"

    def check(self, context: RiskContext) -> str | None:
        size = abs(context.proposed_size)
        reasons: list[str] = []
        max_size = self._max_size
        if max_size is not None and size > max_size + TOLERANCE:
            reasons.append(
                f"order size {format_number(size)} exceeds max_size {format_number(max_size)}"
            )
        max_notional = self._max_notional
        if max_notional is not None:
            price = context.price if context.price is not None else context.mid
            if price is None:
                reasons.append("the order has no price or mid to check max_notional_usd")
            elif size * price > max_notional + TOLERANCE:
                reasons.append(
                    f"order value {format_usd(size * price)} exceeds max_notional_usd "
                    f"{format_usd(max_notional)}"
                )
        return "; ".join(reasons) + self._suffix if reasons else None
