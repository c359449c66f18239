"""VaR backtesting: did losses beyond the VaR come as often, and as independently, as promised?

- :func:`exceptions`: the days a loss exceeded the VaR forecast for that day.
- :func:`kupiec_pof`: Kupiec's proportion-of-failures test (unconditional coverage).
- :func:`christoffersen_independence`: Christoffersen's test that an exception today does not
  make one tomorrow more likely (first-order Markov alternative).
- :func:`backtest`: both, and their sum, the conditional-coverage test, in a
  :class:`BacktestResult`.

Conventions: ``0 * ln 0 = 0``; Christoffersen's probabilities come from the T - 1
transitions between consecutive days; p-values are chi-squared survival functions (1 degree
of freedom for POF and independence, 2 for conditional coverage).
"""

from __future__ import annotations

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import xlogy
from scipy.stats import chi2

from agbotkit.risk.advanced.inputs import check_confidence, check_returns, tail_probability

__all__ = [
    "BacktestResult",
    "Transitions",
    "backtest",
    "christoffersen_independence",
    "exceptions",
    "kupiec_pof",
    "transitions",
]


def exceptions(pnl: ArrayLike, var: ArrayLike) -> NDArray[np.bool_]:
    """The days whose loss exceeded that day's VaR forecast: ``-pnl > var``.

    Args:
        pnl: realised profit and loss per day (USD, or returns), losses negative.
        var: the VaR forecast made for each day, positive for a loss, same unit and length
            (a single number applies to every day).

    Raises:
        ValueError: on empty or non-finite inputs or mismatched lengths.
    """
    realised = check_returns(pnl, name="pnl")
    forecast = np.asarray(var, dtype=np.float64)
    if forecast.ndim == 0:
        forecast = np.full(realised.shape, float(forecast))
    forecast = check_returns(forecast, name="var")
    if forecast.shape != realised.shape:
        raise ValueError(
            f"var must hold one forecast per pnl day ({realised.size}); got {forecast.size}"
        )
    loss: NDArray[np.bool_] = -realised > forecast
    return loss


def _log_likelihood(failures: float, trials: float, probability: float) -> float:
    """``failures * ln p + (trials - failures) * ln(1 - p)`` with ``0 * ln 0 = 0``."""
    return float(xlogy(failures, probability) + xlogy(trials - failures, 1.0 - probability))


def kupiec_pof(exception_count: int, observations: int, alpha: float) -> tuple[float, float]:
    """Kupiec's proportion-of-failures test.

    ``LR_pof = -2 [x ln(alpha) + (T - x) ln(1 - alpha)] + 2 [x ln(x/T) + (T - x) ln(1 - x/T)]``,
    asymptotically chi-squared with 1 degree of freedom under a correct model.

    Args:
        exception_count: x, the number of exceptions.
        observations: T, the number of days, >= 1.
        alpha: the VaR's tail probability (0.05 for 95 % VaR).

    Returns:
        ``(LR_pof, p_value)``.
    """
    if observations < 1 or not 0 <= exception_count <= observations:
        raise ValueError(
            f"exception_count must be in [0, observations] and observations >= 1; got "
            f"{exception_count!r} of {observations!r}"
        )
    observed = exception_count / observations
    lr = -2.0 * (
        _log_likelihood(exception_count, observations, alpha)
        - _log_likelihood(exception_count, observations, observed)
    )
    lr = max(lr, 0.0)  # rounding can leave -1e-16 when x / T == alpha
    return lr, float(chi2.sf(lr, 1))


@attrs.frozen
class Transitions:
    """Counts of consecutive-day pairs: ``n_ij`` is a day in state i followed by state j
    (1 = exception), over the T - 1 transitions."""

    n00: int
    n01: int
    n10: int
    n11: int


def transitions(hits: ArrayLike) -> Transitions:
    """Count the T - 1 transitions of an exceptions series."""
    series = np.asarray(hits, dtype=bool)
    before, after = series[:-1], series[1:]
    return Transitions(
        n00=int(np.count_nonzero(~before & ~after)),
        n01=int(np.count_nonzero(~before & after)),
        n10=int(np.count_nonzero(before & ~after)),
        n11=int(np.count_nonzero(before & after)),
    )


def christoffersen_independence(counts: Transitions) -> tuple[float, float]:
    """Christoffersen's independence test on transition counts.

    With ``pi01 = n01 / (n00 + n01)``, ``pi11 = n11 / (n10 + n11)`` and
    ``pi = (n01 + n11) / (T - 1)``:
    ``LR_ind = -2 [ln L(pi) - ln L(pi01, pi11)]``, where
    ``ln L(pi) = (n00 + n10) ln(1 - pi) + (n01 + n11) ln(pi)`` and
    ``ln L(pi01, pi11) = n00 ln(1 - pi01) + n01 ln(pi01) + n10 ln(1 - pi11) + n11 ln(pi11)``;
    chi-squared with 1 degree of freedom. A state never visited contributes nothing.

    Returns:
        ``(LR_ind, p_value)``.
    """
    from_zero = counts.n00 + counts.n01
    from_one = counts.n10 + counts.n11
    total = from_zero + from_one
    if total == 0:
        return 0.0, 1.0
    pi = (counts.n01 + counts.n11) / total
    pi01 = counts.n01 / from_zero if from_zero else 0.0
    pi11 = counts.n11 / from_one if from_one else 0.0
    restricted = _log_likelihood(counts.n01 + counts.n11, total, pi)
    unrestricted = _log_likelihood(counts.n01, from_zero, pi01) + _log_likelihood(
        counts.n11, from_one, pi11
    )
    lr = max(-2.0 * (restricted - unrestricted), 0.0)
    return lr, float(chi2.sf(lr, 1))


@attrs.frozen
class BacktestResult:
    """A VaR backtest: counts, and each test's likelihood ratio and p-value.

    Attributes:
        confidence_level: the VaR's confidence level, e.g. 0.95.
        observations: T, the days tested.
        exceptions: x, the days whose loss exceeded the VaR.
        expected_exceptions: ``alpha * T``.
        transitions: the T - 1 consecutive-day pair counts.
        lr_pof: Kupiec's likelihood ratio; ``p_pof`` its p-value (chi-squared, 1 dof).
        p_pof: see ``lr_pof``.
        lr_ind: Christoffersen's independence ratio; ``p_ind`` its p-value (1 dof).
        p_ind: see ``lr_ind``.
        lr_cc: conditional coverage, ``lr_pof + lr_ind``; ``p_cc`` its p-value (2 dof).
        p_cc: see ``lr_cc``.
    """

    confidence_level: float
    observations: int
    exceptions: int
    expected_exceptions: float
    transitions: Transitions
    lr_pof: float
    p_pof: float
    lr_ind: float
    p_ind: float
    lr_cc: float
    p_cc: float

    @property
    def exception_rate(self) -> float:
        """``exceptions / observations``."""
        return self.exceptions / self.observations

    def rejected(self, significance: float = 0.05) -> bool:
        """Whether the conditional-coverage test rejects the model at ``significance``."""
        return self.p_cc < significance


def backtest(pnl: ArrayLike, var: ArrayLike, confidence_level: float = 0.95) -> BacktestResult:
    """Backtest a VaR series against realised PnL.

    Args:
        pnl: realised PnL per day, losses negative (USD or returns).
        var: each day's VaR forecast made beforehand, positive for a loss, same unit.
        confidence_level: the forecasts' confidence level, e.g. 0.95.

    Raises:
        ValueError: on bad inputs (see :func:`exceptions`) or confidence level.
    """
    level = check_confidence(confidence_level)
    alpha = tail_probability(level)
    hits = exceptions(pnl, var)
    count = int(np.count_nonzero(hits))
    lr_pof, p_pof = kupiec_pof(count, hits.size, alpha)
    counts = transitions(hits)
    lr_ind, p_ind = christoffersen_independence(counts)
    lr_cc = lr_pof + lr_ind
    return BacktestResult(
        confidence_level=level,
        observations=hits.size,
        exceptions=count,
        expected_exceptions=alpha * hits.size,
        transitions=counts,
        lr_pof=lr_pof,
        p_pof=p_pof,
        lr_ind=lr_ind,
        p_ind=p_ind,
        lr_cc=lr_cc,
        p_cc=float(chi2.sf(lr_cc, 2)),
    )
