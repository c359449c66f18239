"""Performance metrics of a series of simple daily returns.

Conventions, pinned because libraries disagree (see ``docs/risk/PERFORMANCE_METRICS.md``):

- returns are simple daily returns ``r_t = E_t / E_{t-1} - 1``; a year is 252 of them;
- the risk-free rate is 0; standard deviations are sample ones (ddof = 1);
- Sortino's downside deviation is ``sqrt(mean(min(r, 0)^2))`` over all N returns, with the
  arithmetic mean x 252 as numerator;
- the equity curve starts at 1.0 *before* the first return, so a first-day loss is a
  drawdown; max drawdown is reported as a negative fraction (-0.25 is a 25 % fall);
- CAGR counts N / 252 years; Calmar is CAGR / |max drawdown|.

A ratio whose denominator is exactly zero (no dispersion, no losses, no drawdown) is +inf or
-inf by the sign of its numerator, and 0.0 when the numerator is zero too: never NaN, so a
report is always comparable and sortable. Bad input (empty series, NaN or infinite values, a
return below -100 %) raises ``ValueError``.
"""

from __future__ import annotations

import math

import attrs
import numpy as np
import numpy.typing as npt

__all__ = [
    "PERIODS_PER_YEAR",
    "PerformanceReport",
    "annual_volatility",
    "cagr",
    "calmar_ratio",
    "downside_deviation",
    "drawdown_series",
    "equity_curve",
    "max_drawdown",
    "sharpe_ratio",
    "sortino_ratio",
    "total_return",
]

#: Trading days in a year: the annualisation factor of every metric here.
PERIODS_PER_YEAR = 252

FloatArray = npt.NDArray[np.float64]


def _returns(returns: npt.ArrayLike, *, minimum: int = 1) -> FloatArray:
    """``returns`` as a 1-D float array, checked."""
    array = np.asarray(returns, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"returns: expected a 1-D series, got an array of shape {array.shape}")
    if array.size < minimum:
        need = "a non-empty series" if minimum == 1 else f"at least {minimum} returns"
        raise ValueError(f"returns: expected {need}, got {array.size}")
    if not np.isfinite(array).all():
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        raise ValueError(f"returns: every return must be finite, got {array[bad]} at index {bad}")
    if (array < -1.0).any():
        bad = int(np.flatnonzero(array < -1.0)[0])
        raise ValueError(
            f"returns: a simple return cannot be below -1 (-100 %), got {array[bad]} at index {bad}"
        )
    return array


def _ratio(numerator: float, denominator: float) -> float:
    # The pinned answer to x / 0: the sign of x as an infinity, 0 for 0 / 0 (never NaN).
    if denominator == 0.0:
        return 0.0 if numerator == 0.0 else math.copysign(math.inf, numerator)
    return numerator / denominator


def _sample_std(array: FloatArray) -> float:
    # Identical values have a standard deviation of exactly 0, but the mean they are centred
    # on may differ from them in the last bit and leave a residue of ~1e-18; a ratio over
    # that residue would be a meaningless 1e15 instead of the pinned infinity.
    if array.max() == array.min():
        return 0.0
    return float(np.std(array, ddof=1))


def _curve(array: FloatArray) -> FloatArray:
    curve = np.empty(array.size + 1)
    curve[0] = 1.0
    np.cumprod(1.0 + array, out=curve[1:])
    return curve


def _drawdowns(curve: FloatArray) -> FloatArray:
    peaks = np.maximum.accumulate(curve)
    return (curve - peaks) / peaks


def _cagr(curve: FloatArray) -> float:
    years = (curve.size - 1) / PERIODS_PER_YEAR
    return float(curve[-1] ** (1.0 / years) - 1.0)


def _downside(array: FloatArray) -> float:
    losses = np.minimum(array, 0.0)
    return math.sqrt(float(np.mean(losses * losses))) * math.sqrt(PERIODS_PER_YEAR)


def equity_curve(returns: npt.ArrayLike) -> FloatArray:
    """The equity of 1.0 invested before the first return: N + 1 values, the first 1.0.

    Raises:
        ValueError: the series is empty, not 1-D, holds NaN or infinities, or a return below -1.
    """
    return _curve(_returns(returns))


def drawdown_series(returns: npt.ArrayLike) -> FloatArray:
    """The drawdown after each return: ``E_t / max(E_0..E_t) - 1``, N + 1 values (<= 0).

    The first value is 0.0, at the starting equity 1.0 before the first return.

    Raises:
        ValueError: as :func:`equity_curve`.
    """
    return _drawdowns(equity_curve(returns))


def total_return(returns: npt.ArrayLike) -> float:
    """The compounded return: ``prod(1 + r) - 1``."""
    return float(equity_curve(returns)[-1] - 1.0)


def cagr(returns: npt.ArrayLike) -> float:
    """The compound annual growth rate: ``(1 + total return) ** (252 / N) - 1``."""
    return _cagr(equity_curve(returns))


def annual_volatility(returns: npt.ArrayLike) -> float:
    """The sample standard deviation (ddof = 1) x sqrt(252); needs at least 2 returns."""
    return _sample_std(_returns(returns, minimum=2)) * math.sqrt(PERIODS_PER_YEAR)


def sharpe_ratio(returns: npt.ArrayLike) -> float:
    """``mean(r) / std(r, ddof=1) x sqrt(252)``, risk-free rate 0; needs at least 2 returns."""
    array = _returns(returns, minimum=2)
    return _ratio(float(array.mean()), _sample_std(array)) * math.sqrt(PERIODS_PER_YEAR)


def downside_deviation(returns: npt.ArrayLike) -> float:
    """The annualised downside deviation: ``sqrt(mean(min(r, 0)^2)) x sqrt(252)``.

    The mean runs over all N returns (gains count as zeros), not over the losses only.
    """
    return _downside(_returns(returns))


def sortino_ratio(returns: npt.ArrayLike) -> float:
    """``mean(r) x 252 / downside deviation``; +inf for a positive mean without a loss."""
    array = _returns(returns)
    return _ratio(float(array.mean()) * PERIODS_PER_YEAR, _downside(array))


def max_drawdown(returns: npt.ArrayLike) -> float:
    """The deepest fall from a running peak, as a fraction <= 0 (-0.25: a 25 % fall).

    The curve starts at 1.0 before the first return, so ``[-0.1]`` has a -0.1 drawdown.
    """
    return float(drawdown_series(returns).min())


def calmar_ratio(returns: npt.ArrayLike) -> float:
    """``CAGR / |max drawdown|``; +inf (or 0.0) for a curve that never fell."""
    curve = equity_curve(returns)
    return _ratio(_cagr(curve), abs(float(_drawdowns(curve).min())))


@attrs.frozen
class PerformanceReport:
    """Every metric of one return series, as the backtester and the dashboard show them.

    Attributes:
        observations: N, the number of daily returns.
        total_return: ``prod(1 + r) - 1``.
        cagr: compound annual growth rate, N / 252 years.
        annual_volatility: ``std(r, ddof=1) x sqrt(252)``.
        sharpe_ratio: ``mean / std x sqrt(252)``, risk-free rate 0.
        sortino_ratio: ``mean x 252 / downside deviation``.
        downside_deviation: annualised, over all N returns.
        max_drawdown: the deepest fall from a peak, <= 0.
        calmar_ratio: ``CAGR / |max drawdown|``.
    """

    observations: int
    total_return: float
    cagr: float
    annual_volatility: float
    sharpe_ratio: float
    sortino_ratio: float
    downside_deviation: float
    max_drawdown: float
    calmar_ratio: float

    @classmethod
    def from_returns(cls, returns: npt.ArrayLike) -> PerformanceReport:
        """Compute every metric of ``returns`` (simple daily returns, at least 2).

        Raises:
            ValueError: fewer than 2 returns, NaN or infinite values, a return below -1.
        """
        array = _returns(returns, minimum=2)
        curve = _curve(array)
        growth = _cagr(curve)
        deepest = float(_drawdowns(curve).min())
        std = _sample_std(array)
        mean = float(array.mean())
        downside = _downside(array)
        root_year = math.sqrt(PERIODS_PER_YEAR)
        return cls(
            observations=int(array.size),
            total_return=float(curve[-1] - 1.0),
            cagr=growth,
            annual_volatility=std * root_year,
            sharpe_ratio=_ratio(mean, std) * root_year,
            sortino_ratio=_ratio(mean * PERIODS_PER_YEAR, downside),
            downside_deviation=downside,
            max_drawdown=deepest,
            calmar_ratio=_ratio(growth, abs(deepest)),
        )
