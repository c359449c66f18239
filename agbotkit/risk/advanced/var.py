"""Value at Risk and Expected Shortfall of a portfolio from its daily returns.

:class:`VarEngine` holds a confidence level and a horizon and computes three ways, each
figure a :class:`VarResult` labelled with its variant (conventions in
``docs/risk/VAR_METHODOLOGY.md``):

- ``historical``: numpy's default (linear) quantile of the returns at the exact tail
  probability; ES is the mean of the returns at or below it; a multi-day horizon scales
  the one-day figures by ``sqrt(h)``.
- ``parametric``: a normal distribution with the sample mean and standard deviation
  (ddof = 1); ``VaR = (z * sigma * sqrt(h) - mu * h) * V`` when mean-adjusted, with
  ``mu = 0`` in the zero-mean variant; ``ES = (sigma * sqrt(h) * phi(z) / alpha - mu * h) * V``.
- ``monte_carlo``: simulated h-day returns (normal or bootstrap), seeded, then the
  historical estimator on the simulation.

Polymarket positions, whose payoffs are 0 or 1 at resolution, go to :meth:`VarEngine.binary`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from agbotkit.risk.advanced.binary import BinaryPosition, binary_var
from agbotkit.risk.advanced.inputs import (
    check_confidence,
    check_horizon,
    check_paths,
    check_returns,
    check_value,
    tail_probability,
)
from agbotkit.risk.advanced.montecarlo import simulate_horizon_returns
from agbotkit.risk.advanced.tails import empirical_tail, normal_tail
from agbotkit.risk.advanced.var_result import HorizonScaling, VarMethod, VarModel, VarResult

__all__ = ["VarEngine", "VarMethod", "VarResult", "tail_probability"]

#: Monte Carlo paths when the caller names none.
DEFAULT_PATHS = 10_000


class VarEngine:
    """VaR and ES at one confidence level and horizon.

    Args:
        confidence_level: e.g. 0.95 or 0.99, in (0, 1).
        time_horizon_days: the horizon in trading days, > 0 (1 for one-day VaR).

    Raises:
        ValueError: if either argument is out of range.
    """

    def __init__(self, confidence_level: float = 0.95, time_horizon_days: float = 1) -> None:
        self.confidence_level = check_confidence(confidence_level)
        self.time_horizon_days = check_horizon(time_horizon_days)
        self.tail_probability = tail_probability(self.confidence_level)

    def __repr__(self) -> str:
        return (
            f"VarEngine(confidence_level={self.confidence_level!r}, "
            f"time_horizon_days={self.time_horizon_days!r})"
        )

    def historical(self, returns: ArrayLike, portfolio_value_usd: float) -> VarResult:
        """Historical VaR and ES: the empirical distribution of past daily returns.

        The one-day VaR is ``-quantile(returns, alpha) * V`` (numpy's linear quantile), the
        one-day ES ``-mean(returns[returns <= quantile]) * V``; both are multiplied by
        ``sqrt(time_horizon_days)`` (``horizon_scaling="sqrt_time"``).

        Args:
            returns: daily simple returns of the portfolio, at least one, all finite.
            portfolio_value_usd: the value they apply to, USD, >= 0.

        Raises:
            ValueError: on empty or non-finite returns or a negative value.
        """
        series = check_returns(returns)
        value = check_value(portfolio_value_usd)
        var, es = empirical_tail(series, self.tail_probability)
        scale = math.sqrt(self.time_horizon_days) * value
        return self._result(
            var * scale,
            es * scale,
            VarMethod.HISTORICAL,
            value,
            mean_adjusted=True,
            model=VarModel.EMPIRICAL,
            scaling=HorizonScaling.SQRT_TIME,
            observations=series.size,
        )

    def parametric(
        self, returns: ArrayLike, portfolio_value_usd: float, *, mean_adjusted: bool = True
    ) -> VarResult:
        """Parametric (normal) VaR and ES.

        ``VaR = -(mu * h - z * sigma * sqrt(h)) * V`` and
        ``ES = (sigma * sqrt(h) * phi(z) / alpha - mu * h) * V``, with the sample mean ``mu``
        (0 when ``mean_adjusted`` is false), the sample standard deviation ``sigma``
        (ddof = 1), ``z = Phi^-1(1 - alpha)`` and ``h = time_horizon_days``.

        Args:
            returns: daily simple returns, at least two, all finite.
            portfolio_value_usd: the value they apply to, USD, >= 0.
            mean_adjusted: count the expected return (``True``) or assume it is zero.

        Raises:
            ValueError: on fewer than two or non-finite returns or a negative value.
        """
        series = check_returns(returns, minimum=2)
        value = check_value(portfolio_value_usd)
        horizon = self.time_horizon_days
        mean = float(np.mean(series)) * horizon if mean_adjusted else 0.0
        std = float(np.std(series, ddof=1)) * math.sqrt(horizon)
        var, es = normal_tail(mean, std, self.tail_probability)
        return self._result(
            var * value,
            es * value,
            VarMethod.PARAMETRIC,
            value,
            mean_adjusted=mean_adjusted,
            model=VarModel.NORMAL,
            scaling=HorizonScaling.SQRT_TIME,
            observations=series.size,
        )

    def monte_carlo(
        self,
        returns: ArrayLike,
        portfolio_value_usd: float,
        *,
        paths: int = DEFAULT_PATHS,
        seed: int | None = 0,
        model: VarModel | str = VarModel.NORMAL,
    ) -> VarResult:
        """Monte Carlo VaR and ES on simulated h-day returns.

        ``model="normal"`` draws ``N(mu * h, sigma**2 * h)`` (sample mean, ddof = 1 standard
        deviation); ``model="bootstrap"`` sums h daily returns resampled from ``returns``.
        The historical estimator then runs on the simulated returns
        (``horizon_scaling="simulated"``).

        Args:
            returns: daily simple returns, all finite (at least two for ``normal``).
            portfolio_value_usd: the value they apply to, USD, >= 0.
            paths: how many h-day returns to simulate, >= 2.
            seed: fixes the draws (the default 0 makes repeated calls agree); ``None``
                draws from fresh entropy.
            model: ``"normal"`` or ``"bootstrap"``.

        Raises:
            ValueError: on bad returns, value, paths or model, or a fractional horizon with
                ``bootstrap``.
        """
        kind = _returns_model(model)
        series = check_returns(returns, minimum=2 if kind is VarModel.NORMAL else 1)
        value = check_value(portfolio_value_usd)
        count = check_paths(paths)
        simulated = simulate_horizon_returns(
            series,
            time_horizon_days=self.time_horizon_days,
            paths=count,
            rng=np.random.default_rng(seed),
            model=kind,
        )
        var, es = empirical_tail(simulated, self.tail_probability)
        return self._result(
            var * value,
            es * value,
            VarMethod.MONTE_CARLO,
            value,
            mean_adjusted=True,
            model=kind,
            scaling=HorizonScaling.SIMULATED,
            observations=series.size,
            paths=count,
            seed=seed,
        )

    def binary(
        self,
        positions: Sequence[BinaryPosition],
        *,
        paths: int = DEFAULT_PATHS,
        seed: int | None = 0,
        correlation: ArrayLike | None = None,
        antithetic: bool = True,
    ) -> VarResult:
        """Monte Carlo VaR and ES of Polymarket positions (see :func:`binary.binary_var`):
        logit-space moves before resolution, 0/1 payoffs at resolution, exactly one winner
        per neg-risk event. ``time_horizon_days`` is in calendar days here."""
        return binary_var(
            positions,
            confidence_level=self.confidence_level,
            time_horizon_days=self.time_horizon_days,
            paths=paths,
            seed=seed,
            correlation=correlation,
            antithetic=antithetic,
        )

    def _result(
        self,
        var_usd: float,
        es_usd: float,
        method: VarMethod,
        value: float,
        *,
        mean_adjusted: bool,
        model: VarModel,
        scaling: HorizonScaling,
        observations: int,
        paths: int | None = None,
        seed: int | None = None,
    ) -> VarResult:
        return VarResult(
            var_usd=var_usd,
            es_usd=es_usd,
            method=method,
            confidence_level=self.confidence_level,
            time_horizon_days=self.time_horizon_days,
            portfolio_value_usd=value,
            mean_adjusted=mean_adjusted,
            model=model,
            horizon_scaling=scaling,
            observations=observations,
            paths=paths,
            seed=seed,
        )


def _returns_model(model: VarModel | str) -> VarModel:
    if model in (VarModel.NORMAL, VarModel.BOOTSTRAP):
        return VarModel(model)
    raise ValueError(f"model must be 'normal' or 'bootstrap'; got {model!r}")
