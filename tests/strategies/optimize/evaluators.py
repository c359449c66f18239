"""Deterministic evaluators for the optimiser's tests: known optima, no backtest.

Module-level values, so spawned worker processes can unpickle them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from agbotkit.strategies.optimize.evaluate import Window
from agbotkit.strategies.optimize.objectives import TrialMetrics


@attrs.frozen
class Bowl:
    """PnL ``-(x - best_x)^2 - (n - best_n)^2``: the optimum is ``(best_x, best_n)``.

    With ``drift`` the optimum of ``x`` moves with the window's start (``best_x + drift *
    start_ms``), so parameters tuned on one window lose on the next: overfitting on cue.
    """

    best_x: float = 0.3
    best_n: int = 4
    drift: float = 0.0

    def __call__(self, params: Mapping[str, Any], window: Window) -> TrialMetrics:
        best_x = self.best_x + self.drift * (window.start_ms or 0)
        pnl = -((params["x"] - best_x) ** 2) - (params.get("n", self.best_n) - self.best_n) ** 2
        return TrialMetrics(
            pnl_usd=pnl, sharpe=pnl * 2, max_drawdown_usd=abs(params["x"]), fills=1, orders=2
        )


@attrs.frozen
class Failing:
    """Fails every trial whose ``x`` is above ``limit`` (the others score ``x``)."""

    limit: float = 0.5

    def __call__(self, params: Mapping[str, Any], window: Window) -> TrialMetrics:
        if params["x"] > self.limit:
            raise RuntimeError(f"x {params['x']} too large")
        return TrialMetrics(pnl_usd=params["x"], sharpe=0.0, max_drawdown_usd=0.0)
