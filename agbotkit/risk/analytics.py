"""The risk component's portfolio analytics: VaR, ES and Greeks, published as metrics.

Every ``analytics_interval_s`` the risk component publishes (gauges, USD unless said):

* ``risk.var_95``, ``risk.var_99`` and ``risk.es_95``, labels ``time_horizon`` (``1d``)
  and ``method`` (``historical``, ``parametric``): the VaR engine
  (:class:`~agbotkit.risk.advanced.var.VarEngine`) run on the return series of the
  portfolio *as held now* over the sampled price history: each interval's P&L of the
  current positions (``changes @ w``), divided by the portfolio's value at the marks. The
  per-interval returns are scaled to a day by ``sqrt(intervals per day)`` (square root of
  time) so the engine's one-day figures apply; the parametric figures are zero-mean (a
  drift scaled from minutes to a day would be noise times hundreds).
* ``risk.portfolio_delta``, ``risk.portfolio_gamma``, ``risk.portfolio_vega`` (per 1.00 of
  volatility), ``risk.portfolio_theta`` (per year) and ``risk.portfolio_rho`` (per 1.00):
  shares held times per-share Greeks (see :mod:`agbotkit.risk.riskview`), in QuantLib's
  units.

VaR is not published while the portfolio holds cold tokens (too little price history), is
worth nothing at its marks, or has fewer than two returns: a figure that leaves positions out
would understate the risk. Synchronous and loop-free: a task of the component calls
:meth:`RiskAnalytics.publish`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from agbotkit.abc import ComponentContext
from agbotkit.model.metrics import MetricType
from agbotkit.risk.advanced.var import VarEngine
from agbotkit.risk.riskview import PortfolioRisk

__all__ = ["GREEK_METRICS", "METRIC_ES_95", "METRIC_VAR_95", "METRIC_VAR_99", "RiskAnalytics"]

#: VaR at 95 %, USD; labels ``time_horizon``, ``method``.
METRIC_VAR_95 = "risk.var_95"
#: VaR at 99 %, USD; labels ``time_horizon``, ``method``.
METRIC_VAR_99 = "risk.var_99"
#: Expected shortfall at 95 %, USD; labels ``time_horizon``, ``method``.
METRIC_ES_95 = "risk.es_95"
#: The portfolio Greeks' metric names, by Greek.
GREEK_METRICS = {
    "delta": "risk.portfolio_delta",
    "gamma": "risk.portfolio_gamma",
    "vega": "risk.portfolio_vega",
    "theta": "risk.portfolio_theta",
    "rho": "risk.portfolio_rho",
}
#: The VaR methods published.
METHODS = ("historical", "parametric")


class RiskAnalytics:
    """Computes and publishes the ``risk.*`` metrics of a portfolio view (see the module).

    Args:
        view: the portfolio view (positions, price history, Greeks).
        context: the component's context, where the metrics go.
        value_usd: the portfolio's value at the marks now, USD.
    """

    def __init__(
        self, view: PortfolioRisk, context: ComponentContext, value_usd: Callable[[], float]
    ) -> None:
        self._view = view
        self._context = context
        self._value_usd = value_usd
        self._engines = (VarEngine(0.95, 1), VarEngine(0.99, 1))

    def returns(self) -> np.ndarray | None:
        """The current portfolio's daily-scaled return series, ``None`` when there is none
        (see the module)."""
        view = self._view
        factor = view.factor
        value = self._value_usd()
        if view.cold_tokens or factor.observations < 2 or not value > 0:
            return None
        weights = np.array([view.positions.get(token, 0.0) for token in factor.tokens])
        pnl = factor.changes @ weights
        result: np.ndarray = pnl / value * math.sqrt(factor.day_scale)
        return result

    def publish(self) -> None:
        """Publish the VaR, ES and Greeks gauges once."""
        metric = self._context.metric
        greeks = self._view.portfolio_greeks
        for greek, name in GREEK_METRICS.items():
            metric(name, float(getattr(greeks, greek)), MetricType.GAUGE, None)
        returns = self.returns()
        if returns is None:
            return
        value = self._value_usd()
        for method in METHODS:
            var95, var99 = (self._run(engine, method, returns, value) for engine in self._engines)
            labels = {"time_horizon": "1d", "method": method}
            metric(METRIC_VAR_95, var95[0], MetricType.GAUGE, labels)
            metric(METRIC_VAR_99, var99[0], MetricType.GAUGE, labels)
            metric(METRIC_ES_95, var95[1], MetricType.GAUGE, labels)

    @staticmethod
    def _run(
        engine: VarEngine, method: str, returns: Sequence[float] | np.ndarray, value: float
    ) -> tuple[float, float]:
        if method == "historical":
            result = engine.historical(returns, value)
        else:
            result = engine.parametric(returns, value, mean_adjusted=False)
        return float(result.var_usd), float(result.es_usd)
