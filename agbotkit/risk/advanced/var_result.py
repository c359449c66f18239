"""What a VaR computation returns: the figure, its Expected Shortfall and how it was made.

Every :class:`VarResult` says which variant produced it (method, model, mean adjustment,
horizon scaling), because a "95 % one-day VaR" without those is not one number but several.
"""

from __future__ import annotations

import enum

import attrs

from agbotkit.risk.advanced.inputs import tail_probability

__all__ = ["HorizonScaling", "VarMethod", "VarModel", "VarResult"]


class VarMethod(enum.StrEnum):
    """How the loss distribution was obtained (compares equal to its string value)."""

    #: The empirical distribution of past returns.
    HISTORICAL = "historical"
    #: A normal distribution fitted to past returns (closed form).
    PARAMETRIC = "parametric"
    #: Simulated outcomes: returns drawn from a model, or Polymarket positions resolving.
    MONTE_CARLO = "monte_carlo"


class VarModel(enum.StrEnum):
    """The distribution behind a figure."""

    #: Past returns as they were (historical VaR).
    EMPIRICAL = "empirical"
    #: Normal with the sample mean and standard deviation (parametric, Monte Carlo).
    NORMAL = "normal"
    #: Past daily returns resampled with replacement (Monte Carlo).
    BOOTSTRAP = "bootstrap"
    #: Polymarket positions: logit-space moves, 0/1 resolution (see ``binary``).
    BINARY = "binary"


class HorizonScaling(enum.StrEnum):
    """How a multi-day figure was obtained from daily data."""

    #: The one-day figure times ``sqrt(time_horizon_days)``.
    SQRT_TIME = "sqrt_time"
    #: The horizon was simulated directly (h-day sums of draws, or positions moved over h days).
    SIMULATED = "simulated"


@attrs.frozen
class VarResult:
    """Value at Risk and Expected Shortfall of a portfolio, with the inputs that made them.

    Attributes:
        var_usd: the loss not exceeded with probability ``confidence_level`` over the
            horizon, USD, positive for a loss (negative only if even the tail is a gain).
        es_usd: Expected Shortfall: the mean loss in the tail beyond the VaR, USD, >= var_usd.
        method: historical, parametric or monte_carlo.
        confidence_level: e.g. 0.95.
        time_horizon_days: the horizon in days (trading days for returns-based figures).
        portfolio_value_usd: the value the returns apply to; for positions (the binary
            model), their signed mark-to-market value.
        mean_adjusted: whether the figure counts the expected return (``False`` only for
            the zero-mean parametric variant).
        model: the distribution: empirical, normal, bootstrap or binary.
        horizon_scaling: ``sqrt_time`` (one-day figure scaled) or ``simulated``.
        observations: how many daily returns the figure was estimated from (``None`` for
            the binary model, which reads positions, not returns).
        paths: Monte Carlo paths, ``None`` for closed-form and historical figures.
        seed: the Monte Carlo seed, ``None`` otherwise (or when drawn from fresh entropy).
    """

    var_usd: float
    es_usd: float
    method: VarMethod
    confidence_level: float
    time_horizon_days: float
    portfolio_value_usd: float
    mean_adjusted: bool
    model: VarModel
    horizon_scaling: HorizonScaling
    observations: int | None = None
    paths: int | None = None
    seed: int | None = None

    @property
    def tail_probability(self) -> float:
        """``1 - confidence_level``, exact (0.05 for 0.95)."""
        return tail_probability(self.confidence_level)

    @property
    def variant(self) -> str:
        """A label naming the variant, e.g. ``parametric/normal/zero_mean/sqrt_time``."""
        mean = "mean_adjusted" if self.mean_adjusted else "zero_mean"
        return f"{self.method}/{self.model}/{mean}/{self.horizon_scaling}"
