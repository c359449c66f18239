"""``GreeksLimit``: the largest absolute portfolio delta, gamma and vega.

The portfolio's Greeks are the shares held times each token's per-share Greeks, summed
(cached by the risk component; an order of ``dq`` shares adds ``dq`` times its token's
per-share Greeks, so a check is O(1)). Per-share Greeks, in QuantLib's units:

* a token linked to an underlying (the risk component's ``underlyings`` option: symbol,
  strike, expiry, direction) is a cash-or-nothing digital option paying 1 USD: a YES share
  of "BTC above K at T" is a digital call on the RTDS reference price. Its Greeks come from
  the reference price and the volatility implied by the token's mid: delta in USD per 1 USD
  of the underlying, gamma per 1 USD², vega per 1.00 (100 %) of volatility;
* any other token is exposed to its own probability only: delta 1 per share (USD per 1.00
  of probability), gamma and vega 0.

The sums therefore add units of different kinds when a portfolio mixes underlyings or
linked and unlinked tokens: the limits suit a book on one underlying, or a book of unlinked
markets (where ``max_delta`` is the net shares, YES and NO alike counted positive).

An order is denied when a Greek would end above its limit in absolute value and further from
zero than now: an order that brings a Greek toward zero is allowed even above the limit.
Fail closed: an order in a linked token whose Greeks are not known yet (no reference price
or no mid), or while such tokens are held, is denied unless it only reduces a position.
The policy needs the risk component's portfolio view; without one it denies every order.
"""

from __future__ import annotations

import attrs

from agbotkit.config.checks import FieldValueError, at_least
from agbotkit.model.risk import TOLERANCE, RiskContext
from agbotkit.risk.policy import PortfolioView, RiskPolicy, format_number

__all__ = ["GreeksLimit", "GreeksLimitConfig"]


@attrs.frozen(kw_only=True)
class GreeksLimitConfig:
    """Options of ``GreeksLimit`` (one entry, for the whole portfolio); give at least one.

    Attributes:
        max_delta: the largest absolute portfolio delta after the order.
        max_gamma: the largest absolute portfolio gamma.
        max_vega: the largest absolute portfolio vega (per 1.00 of volatility).
    """

    max_delta: float | None = attrs.field(default=None, validator=at_least(0))
    max_gamma: float | None = attrs.field(default=None, validator=at_least(0))
    max_vega: float | None = attrs.field(default=None, validator=at_least(0))

    def __attrs_post_init__(self) -> None:
        if self.max_delta is None and self.max_gamma is None and self.max_vega is None:
            raise FieldValueError("max_delta", "give max_delta, max_gamma or max_vega")


def _breach(name: str, before: float, after: float, limit: float | None) -> str | None:
    if limit is None or abs(after) <= limit + TOLERANCE or abs(after) <= abs(before):
        return None
    return (
        f"portfolio {name} {format_number(after)} would exceed max_{name} "
        f"{format_number(limit)} (now {format_number(before)})"
    )


class GreeksLimit(RiskPolicy[GreeksLimitConfig]):
    """Denies an order that would take a portfolio Greek past its limit (see the module)."""

    Config = GreeksLimitConfig

    def __init__(self, config: GreeksLimitConfig, *, name: str | None = None) -> None:
        super().__init__(config, name=name)
        self._view: PortfolioView | None = None

    def bind(self, view: PortfolioView) -> None:
        self._view = view

    def check(self, context: RiskContext) -> str | None:
        view = self._view
        if view is None:
            return "no portfolio view: GreeksLimit needs the risk component's books"
        per_share = view.greeks(context.token_id)
        unknown = view.unknown_greeks
        if per_share is None or unknown:
            if context.reduces_position:
                return None
            tokens = unknown if per_share is not None else (context.token_id, *unknown)
            return f"Greeks unknown (no reference price or mid yet) for {', '.join(tokens)}"
        totals = view.portfolio_greeks
        size = context.proposed_size
        config = self.config
        reasons = [
            reason
            for reason in (
                _breach("delta", totals.delta, totals.delta + size * per_share.delta, config.max_delta),
                _breach("gamma", totals.gamma, totals.gamma + size * per_share.gamma, config.max_gamma),
                _breach("vega", totals.vega, totals.vega + size * per_share.vega, config.max_vega),
            )
            if reason is not None
        ]  # fmt: skip
        return "; ".join(reasons) if reasons else None
