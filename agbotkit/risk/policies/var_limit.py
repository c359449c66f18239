"""``VarLimit``: the largest Value at Risk of the whole portfolio, in USD.

The figure is a parametric (normal), zero-mean VaR of the portfolio's P&L over
``time_horizon_days``, at ``confidence_level``::

    VaR = z * sqrt(h * w' S w)        z = -N^-1(tail),  tail = 1 - confidence (exact)

with ``w`` the shares held per token and ``S`` the covariance of the tokens' daily per-share
price changes, estimated by the risk component from its sampled marks (see
:mod:`agbotkit.risk.pricehistory`; multi-day horizons scale sigma by the square root of
time). The portfolio's variance is cached by the component, so an order of ``dq`` shares of
token ``i`` is judged in O(1)::

    w' S w  ->  w' S w + 2 dq (S w)_i + dq^2 S_ii

Only ``method: parametric`` is accepted here: it is the one VaR whose change under one order
is exact in O(1). A historical VaR needs a new quantile of the whole P&L window per order
(O(window)) and a Monte Carlo VaR thousands of paths; both are published as metrics by the
risk component (``risk.var_95{method=...}``) instead. The mean is left out (zero-mean): a
drift estimated over a short window of marks is mostly noise, and a positive one would lower
the limit's bite.

Warm-up: a token is *cold* until the component has ``min_price_observations`` price changes
of it. With ``fallback_volatility`` set, cold tokens count as independent of everything,
each with that daily standard deviation of its price per share; without it, the policy
fails closed: an order in a cold token is denied, and while cold tokens are held every order
is denied except those that only reduce a position.

An order that lowers the VaR is always allowed, even above the limit (a lowered limit must
not trap the desk). The policy needs the risk component's portfolio view
(:meth:`~agbotkit.risk.policy.RiskPolicy.bind`); without one it denies every order.
"""

from __future__ import annotations

import math
from decimal import Decimal

import attrs
from scipy.special import ndtri

from agbotkit.config.checks import FieldValueError, greater_than, one_of, report
from agbotkit.model.risk import TOLERANCE, RiskContext
from agbotkit.risk.advanced.var import tail_probability
from agbotkit.risk.policy import PortfolioView, RiskPolicy, format_usd

__all__ = ["VarLimit", "VarLimitConfig", "normal_quantile"]

#: The VaR methods this policy can check incrementally (see the module).
INCREMENTAL_METHODS = ("parametric",)


def normal_quantile(confidence_level: float) -> float:
    """``z`` with ``P(Z > z) = 1 - confidence_level`` for a standard normal ``Z``.

    The tail probability is the VaR engine's, exact (0.95 -> 0.05), never a binary
    ``1 - 0.95``.
    """
    return float(-ndtri(tail_probability(confidence_level)))


def _open_unit(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0 < value < 1:
        message = f"expected a confidence strictly between 0 and 1, got {value!r}"
        report(instance, FieldValueError(attribute.name, message))


@attrs.frozen(kw_only=True)
class VarLimitConfig:
    """Options of ``VarLimit`` (one entry, for the whole portfolio).

    Attributes:
        max_var_usd: the largest VaR allowed after the order, USD. At the limit is allowed.
        confidence_level: the VaR's confidence, strictly between 0 and 1 (0.95: the loss
            exceeded on one day in twenty).
        time_horizon_days: the horizon, in days (sigma scales with its square root).
        method: ``parametric``, the only method checked per order (see the module).
        fallback_volatility: the daily standard deviation of a cold token's price, per
            share (0.05: five cents a day); omit to deny orders that need a cold token.
    """

    max_var_usd: float = attrs.field(validator=greater_than(0))
    confidence_level: float = attrs.field(default=0.95, validator=_open_unit)
    time_horizon_days: float = attrs.field(default=1.0, validator=greater_than(0))
    method: str = attrs.field(default="parametric", validator=one_of(*INCREMENTAL_METHODS))
    fallback_volatility: float | None = attrs.field(default=None, validator=greater_than(0))


class VarLimit(RiskPolicy[VarLimitConfig]):
    """Denies an order that would take the portfolio's VaR above ``max_var_usd``.

    See the module for the figure, the warm-up and the incremental update. Unlinked and
    linked tokens are treated alike: VaR comes from the tokens' own price moves.
    """

    Config = VarLimitConfig

    def __init__(self, config: VarLimitConfig, *, name: str | None = None) -> None:
        super().__init__(config, name=name)
        self._view: PortfolioView | None = None
        self.z = normal_quantile(config.confidence_level)
        # Compare variances, not VaRs: no square root on the allow path.
        self._scale = self.z * math.sqrt(config.time_horizon_days)
        self._limit_variance = ((config.max_var_usd + TOLERANCE) / self._scale) ** 2
        fallback = config.fallback_volatility
        self._fallback_variance = None if fallback is None else fallback * fallback
        level = f"{float(Decimal(repr(config.confidence_level)) * 100):g}"
        self._label = f"VaR({level}%, {config.time_horizon_days:g} d, {config.method})"

    def bind(self, view: PortfolioView) -> None:
        self._view = view

    def var_usd(self, variance: float) -> float:
        """The VaR of a daily P&L variance (USD²) at this entry's level and horizon."""
        return self._scale * math.sqrt(max(variance, 0.0))

    def check(self, context: RiskContext) -> str | None:
        view = self._view
        if view is None:
            return "no portfolio view: VarLimit needs the risk component's books"
        size = context.proposed_size
        fallback = self._fallback_variance
        cold_square = view.cold_square
        if cold_square and fallback is None:
            if context.reduces_position:
                return None
            return (
                f"VaR unknown: too little price history for tokens held "
                f"({', '.join(view.cold_tokens)}) and no fallback_volatility"
            )
        before = view.variance + (cold_square * fallback if fallback is not None else 0.0)
        terms = view.variance_terms(context.token_id)
        if terms is not None:
            sigma_w, sigma_ii = terms
            added = size * (2.0 * sigma_w + size * sigma_ii)
        elif fallback is not None:
            added = fallback * size * (2.0 * context.current_position + size)
        else:
            return (
                f"VaR unknown: too little price history for token {context.token_id} "
                "and no fallback_volatility"
            )
        after = before + added
        if after <= self._limit_variance or added <= 0:
            return None
        return (
            f"{self._label} {format_usd(self.var_usd(after))} would exceed max_var_usd "
            f"{format_usd(self.config.max_var_usd)} (now {format_usd(self.var_usd(before))})"
        )
