"""What an optimisation maximises, computed from a backtest's result.

Every objective is maximised:

* ``sharpe``: the Sharpe ratio of the equity curve's returns (the performance report of
  :mod:`agbotkit.risk.advanced.performance`; 0 when the run was too short to have one);
* ``pnl``: the total PnL in USD (final equity minus initial equity);
* ``drawdown_penalised``: ``pnl - weight * max_drawdown_usd``, where the max drawdown is
  the largest fall of the equity curve from a previous peak, in USD (``weight``, the
  lambda, defaults to 1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import attrs

__all__ = [
    "OBJECTIVES",
    "BacktestLike",
    "Objective",
    "TrialMetrics",
    "json_number",
    "max_drawdown_usd",
    "metrics_of",
]

#: The objective names ``--objective`` accepts.
OBJECTIVES = ("sharpe", "pnl", "drawdown_penalised")


class BacktestLike(Protocol):
    """The parts of a backtest result the objectives read."""

    @property
    def equity(self) -> Sequence[tuple[int, float]]: ...

    @property
    def performance(self) -> Any: ...

    @property
    def fills(self) -> Sequence[Any]: ...

    @property
    def orders_submitted(self) -> int: ...

    @property
    def pnl_by_market(self) -> Mapping[str, float]: ...


@attrs.frozen
class TrialMetrics:
    """What one backtest of a trial measured (every objective is computed from these).

    Attributes:
        pnl_usd: total PnL, USD.
        sharpe: the Sharpe ratio (0 without a performance report).
        max_drawdown_usd: the largest peak-to-trough fall of equity, USD (>= 0).
        fills: how many fills.
        orders: how many orders were sent.
    """

    pnl_usd: float
    sharpe: float
    max_drawdown_usd: float
    fills: int = 0
    orders: int = 0

    def to_json(self) -> dict[str, Any]:
        """Plain data (non-finite numbers as strings: JSON has none)."""
        return {key: json_number(value) for key, value in attrs.asdict(self).items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TrialMetrics:
        """The inverse of :meth:`to_json`."""
        return cls(
            pnl_usd=float(data["pnl_usd"]),
            sharpe=float(data["sharpe"]),
            max_drawdown_usd=float(data["max_drawdown_usd"]),
            fills=int(data.get("fills", 0)),
            orders=int(data.get("orders", 0)),
        )


def json_number(value: Any) -> Any:
    """``value``, with a non-finite float as ``"inf"``, ``"-inf"`` or ``"nan"``."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def max_drawdown_usd(equity: Sequence[tuple[int, float]]) -> float:
    """The largest fall of ``equity`` below an earlier peak, USD (0 for a rising curve)."""
    peak = -math.inf
    worst = 0.0
    for _, value in equity:
        peak = max(peak, value)
        worst = max(worst, peak - value)
    return worst


def metrics_of(result: BacktestLike) -> TrialMetrics:
    """The :class:`TrialMetrics` of a backtest result."""
    equity = result.equity
    if equity:
        pnl = float(equity[-1][1] - equity[0][1])
    else:
        pnl = float(sum(result.pnl_by_market.values()))
    performance = result.performance
    sharpe = float(performance.sharpe_ratio) if performance is not None else 0.0
    return TrialMetrics(
        pnl_usd=pnl,
        sharpe=sharpe,
        max_drawdown_usd=max_drawdown_usd(equity),
        fills=len(result.fills),
        orders=int(result.orders_submitted),
    )


@attrs.frozen
class Objective:
    """An objective: which number of a trial's :class:`TrialMetrics` is maximised.

    Attributes:
        name: one of :data:`OBJECTIVES`.
        drawdown_weight: lambda of ``drawdown_penalised`` (USD of PnL per USD of drawdown).
    """

    name: str = attrs.field(validator=attrs.validators.in_(OBJECTIVES))
    drawdown_weight: float = attrs.field(default=1.0, validator=attrs.validators.ge(0.0))

    def value(self, metrics: TrialMetrics) -> float:
        """The objective's value for ``metrics`` (higher is better)."""
        if self.name == "sharpe":
            return metrics.sharpe
        if self.name == "pnl":
            return metrics.pnl_usd
        return metrics.pnl_usd - self.drawdown_weight * metrics.max_drawdown_usd

    def describe(self) -> str:
        """The objective in words, e.g. ``pnl - 0.5 x max drawdown``."""
        if self.name == "drawdown_penalised":
            return f"pnl - {self.drawdown_weight:g} x max drawdown (USD)"
        return "Sharpe ratio" if self.name == "sharpe" else "PnL (USD)"
