"""Shared builders for the portfolio-risk tests: a view fed a seeded random walk of marks."""

from __future__ import annotations

import numpy as np

from agbotkit.risk.pricehistory import PriceHistory
from agbotkit.risk.riskview import PortfolioRisk

INTERVAL_S = 60.0


def walk(tokens: int, samples: int, seed: int) -> np.ndarray:
    """``samples`` x ``tokens`` correlated marks inside (0.05, 0.95)."""
    rng = np.random.default_rng(seed)
    mixing = rng.normal(0, 0.004, (tokens, tokens))
    steps = rng.normal(0, 1, (samples, tokens)) @ mixing
    return np.clip(0.5 + np.cumsum(steps, axis=0), 0.05, 0.95)


def fed_view(
    prices: np.ndarray, *, window: int = 200, min_observations: int = 10
) -> tuple[PortfolioRisk, list[str]]:
    """A view whose history sampled every row of ``prices`` (token ``t<j>`` per column)."""
    view = PortfolioRisk(
        PriceHistory(interval_s=INTERVAL_S, window=window, min_observations=min_observations)
    )
    tokens = [f"t{j}" for j in range(prices.shape[1])]
    for row in prices:
        for token, price in zip(tokens, row, strict=True):
            view.mark(token, float(price))
        view.sample()
    return view, tokens


def reference_covariance(prices: np.ndarray, window: int) -> np.ndarray:
    """The daily covariance of the last ``window`` changes, by numpy (ddof = 1)."""
    changes = np.diff(prices, axis=0)[-window:]
    return np.atleast_2d(np.cov(changes, rowvar=False, ddof=1)) * (86_400.0 / INTERVAL_S)
