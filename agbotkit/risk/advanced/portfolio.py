"""Portfolio analytics: covariance and correlation, portfolio volatility, and parametric VaR
split into the positions' Euler components.

Positions are USD exposures ``w`` to assets whose daily simple returns have covariance
``Sigma`` (sample, ddof = 1). With ``sigma_p = sqrt(w' Sigma w)`` and
``z = Phi^-1(1 - alpha)``, the portfolio's h-day normal VaR is
``VaR = z * sqrt(h) * sigma_p - h * w' mu`` (``mu = 0`` in the zero-mean variant). VaR is
homogeneous of degree one in ``w``, so Euler's theorem splits it exactly into
``c_i = w_i * dVaR/dw_i`` with the marginal VaR
``dVaR/dw_i = z * sqrt(h) * (Sigma w)_i / sigma_p - h * mu_i``; the ``c_i`` sum to the VaR.
The undiversified VaR is the sum of the positions' standalone VaRs.
"""

from __future__ import annotations

import math

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtri

from agbotkit.risk.advanced.inputs import check_confidence, check_horizon, tail_probability

__all__ = [
    "PortfolioVar",
    "correlation_matrix",
    "covariance_matrix",
    "portfolio_var",
    "portfolio_volatility",
]


def _returns_matrix(returns: ArrayLike) -> NDArray[np.float64]:
    matrix = np.asarray(returns, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(f"returns must be 2-D (days x assets); got shape {matrix.shape}")
    if matrix.shape[0] < 2:
        raise ValueError(f"returns needs at least 2 days for ddof=1; got {matrix.shape[0]}")
    if not np.isfinite(matrix).all():
        day, asset = np.argwhere(~np.isfinite(matrix))[0]
        raise ValueError(
            f"returns must be finite; returns[{day}, {asset}] is {matrix[day, asset]!r}"
        )
    return matrix


def covariance_matrix(returns: ArrayLike) -> NDArray[np.float64]:
    """Sample covariance (ddof = 1) of daily returns, one column per asset.

    Args:
        returns: a days x assets array of simple returns, at least 2 days, all finite.

    Returns:
        The assets x assets covariance matrix.
    """
    matrix = _returns_matrix(returns)
    centred = matrix - matrix.mean(axis=0)
    covariance: NDArray[np.float64] = (centred.T @ centred) / (matrix.shape[0] - 1)
    return covariance


def correlation_matrix(returns: ArrayLike) -> NDArray[np.float64]:
    """Correlation matrix of daily returns (columns are assets).

    Raises:
        ValueError: if an asset's returns do not vary (its correlation is undefined).
    """
    covariance = covariance_matrix(returns)
    std = np.sqrt(np.diag(covariance))
    flat = np.flatnonzero(std == 0.0)
    if flat.size:
        raise ValueError(
            f"returns: asset {int(flat[0])} never varies; its correlation is undefined"
        )
    correlation = covariance / np.outer(std, std)
    # Rounding can leave 1 +- 1e-16 on the diagonal; a correlation of an asset with itself is 1.
    np.fill_diagonal(correlation, 1.0)
    result: NDArray[np.float64] = np.clip(correlation, -1.0, 1.0)
    return result


def _exposures_and_covariance(
    exposures_usd: ArrayLike, covariance: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    weights = np.asarray(exposures_usd, dtype=np.float64)
    sigma = np.asarray(covariance, dtype=np.float64)
    if weights.ndim != 1 or not np.isfinite(weights).all():
        raise ValueError("exposures_usd must be a 1-D array of finite USD amounts")
    if sigma.shape != (weights.size, weights.size):
        raise ValueError(
            f"covariance must be {weights.size}x{weights.size} (one row per exposure); "
            f"got {sigma.shape}"
        )
    if not np.isfinite(sigma).all() or not np.allclose(sigma, sigma.T, rtol=1e-12, atol=0.0):
        raise ValueError("covariance must be finite and symmetric")
    if (np.diag(sigma) < 0.0).any():
        raise ValueError("covariance must have non-negative variances on its diagonal")
    return weights, sigma


def portfolio_volatility(exposures_usd: ArrayLike, covariance: ArrayLike) -> float:
    """Daily standard deviation of the portfolio's PnL, USD: ``sqrt(w' Sigma w)``.

    Raises:
        ValueError: on mismatched shapes, or a covariance giving a negative variance.
    """
    weights, sigma = _exposures_and_covariance(exposures_usd, covariance)
    return math.sqrt(_variance(weights, sigma))


def _variance(weights: NDArray[np.float64], sigma: NDArray[np.float64]) -> float:
    variance = float(weights @ sigma @ weights)
    scale = float(np.abs(weights) @ np.sqrt(np.diag(sigma))) ** 2
    if variance < -1e-12 * max(scale, 1.0):
        raise ValueError("covariance is not positive semi-definite: w' Sigma w < 0")
    return max(variance, 0.0)


@attrs.frozen
class PortfolioVar:
    """Parametric (normal) VaR of a portfolio and its decomposition.

    Attributes:
        var_usd: the portfolio's VaR, USD.
        component_var_usd: each position's Euler contribution; they sum to ``var_usd``.
        marginal_var: ``dVaR/dw_i``: USD of VaR per USD more of position i.
        standalone_var_usd: each position's VaR held alone.
        undiversified_var_usd: the sum of the standalone VaRs.
        volatility_usd: the daily standard deviation of the portfolio's PnL.
        confidence_level: e.g. 0.95.
        time_horizon_days: h; sigma scales by ``sqrt(h)``, the mean by ``h``.
        mean_adjusted: whether expected returns were given (else zero-mean).
    """

    var_usd: float
    component_var_usd: tuple[float, ...]
    marginal_var: tuple[float, ...]
    standalone_var_usd: tuple[float, ...]
    undiversified_var_usd: float
    volatility_usd: float
    confidence_level: float
    time_horizon_days: float
    mean_adjusted: bool

    @property
    def diversification_benefit_usd(self) -> float:
        """``undiversified_var_usd - var_usd`` (>= 0 in the zero-mean variant)."""
        return self.undiversified_var_usd - self.var_usd


def portfolio_var(
    exposures_usd: ArrayLike,
    covariance: ArrayLike,
    *,
    confidence_level: float = 0.95,
    time_horizon_days: float = 1.0,
    mean_returns: ArrayLike | None = None,
) -> PortfolioVar:
    """Parametric portfolio VaR with component, marginal and undiversified VaR.

    Args:
        exposures_usd: USD held in each asset (negative for a short).
        covariance: the assets' daily return covariance (e.g. :func:`covariance_matrix`).
        confidence_level: e.g. 0.95, in (0, 1).
        time_horizon_days: h, > 0.
        mean_returns: the assets' expected daily returns for the mean-adjusted variant;
            ``None`` for zero-mean.

    Raises:
        ValueError: on bad shapes, non-finite numbers or out-of-range arguments.
    """
    weights, sigma = _exposures_and_covariance(exposures_usd, covariance)
    level = check_confidence(confidence_level)
    horizon = check_horizon(time_horizon_days)
    mu = np.zeros_like(weights) if mean_returns is None else np.asarray(mean_returns, float)
    if mu.shape != weights.shape or not np.isfinite(mu).all():
        raise ValueError(f"mean_returns must hold {weights.size} finite daily returns")
    z_root_h = -float(ndtri(tail_probability(level))) * math.sqrt(horizon)
    volatility = math.sqrt(_variance(weights, sigma))
    # With no risk at all the gradient of sigma_p is undefined; its contribution is 0.
    gradient = sigma @ weights / volatility if volatility > 0.0 else np.zeros_like(weights)
    marginal = z_root_h * gradient - horizon * mu
    standalone = z_root_h * np.abs(weights) * np.sqrt(np.diag(sigma)) - horizon * weights * mu
    return PortfolioVar(
        var_usd=z_root_h * volatility - horizon * float(weights @ mu),
        component_var_usd=tuple((weights * marginal).tolist()),
        marginal_var=tuple(marginal.tolist()),
        standalone_var_usd=tuple(standalone.tolist()),
        undiversified_var_usd=float(standalone.sum()),
        volatility_usd=volatility,
        confidence_level=level,
        time_horizon_days=horizon,
        mean_adjusted=mean_returns is not None,
    )
