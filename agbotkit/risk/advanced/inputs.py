"""Argument checks shared by the VaR modules, and the exact tail probability.

Every check raises :class:`ValueError` naming the argument and saying what was wrong, so a
caller who passes a NaN return or a confidence of 95 learns which input to fix instead of
getting a NaN VaR back.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "check_confidence",
    "check_horizon",
    "check_paths",
    "check_returns",
    "check_value",
    "tail_probability",
]


def check_confidence(confidence_level: float, name: str = "confidence_level") -> float:
    """``confidence_level`` as a float strictly between 0 and 1.

    Raises:
        ValueError: if it is not a finite number in (0, 1); 95 (a percentage) is refused.
    """
    level = float(confidence_level)
    if not math.isfinite(level) or not 0.0 < level < 1.0:
        raise ValueError(f"{name} must be in (0, 1), e.g. 0.95; got {confidence_level!r}")
    return level


def tail_probability(confidence_level: float) -> float:
    """The tail probability ``1 - confidence_level``, computed exactly in decimal.

    ``1 - 0.95`` in binary floating point is ``0.050000000000000044``; a quantile taken at
    that level drifts from the one every reference computes at 0.05. The confidence level's
    shortest decimal form (``repr``) is what the user meant, so the subtraction is done on it.

    Args:
        confidence_level: e.g. 0.95 or 0.99.

    Returns:
        The float nearest the exact decimal difference: 0.05 for 0.95, 0.01 for 0.99.

    Raises:
        ValueError: if ``confidence_level`` is not in (0, 1).
    """
    level = check_confidence(confidence_level)
    return float(Decimal(1) - Decimal(repr(level)))


def check_horizon(time_horizon_days: float, name: str = "time_horizon_days") -> float:
    """A horizon in days, finite and positive.

    Raises:
        ValueError: if it is NaN, infinite, zero or negative.
    """
    days = float(time_horizon_days)
    if not math.isfinite(days) or days <= 0.0:
        raise ValueError(f"{name} must be a positive number of days; got {time_horizon_days!r}")
    return days


def check_value(portfolio_value_usd: float, name: str = "portfolio_value_usd") -> float:
    """A portfolio value in USD, finite and not negative (zero gives a zero VaR).

    Raises:
        ValueError: if it is NaN, infinite or negative.
    """
    value = float(portfolio_value_usd)
    if not math.isfinite(value) or value < 0.0:
        raise ValueError(f"{name} must be a finite amount >= 0; got {portfolio_value_usd!r}")
    return value


def check_paths(paths: int, name: str = "paths") -> int:
    """A number of Monte Carlo paths: an integer of at least 2.

    Raises:
        ValueError: if it is not an integer or is below 2 (one path has no tail).
    """
    if isinstance(paths, bool) or not isinstance(paths, int | np.integer) or paths < 2:
        raise ValueError(f"{name} must be an integer >= 2; got {paths!r}")
    return int(paths)


def check_returns(
    returns: ArrayLike, *, minimum: int = 1, name: str = "returns"
) -> NDArray[np.float64]:
    """``returns`` as a 1-D float64 array of at least ``minimum`` finite values.

    Raises:
        ValueError: if it is not one-dimensional, has too few observations, or holds a NaN
            or an infinity (its position is given).
    """
    array = np.asarray(returns, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {array.shape}")
    if array.size < minimum:
        raise ValueError(f"{name} needs at least {minimum} observation(s); got {array.size}")
    finite = np.isfinite(array)
    if not finite.all():
        first = int(np.argmin(finite))
        raise ValueError(f"{name} must be finite; {name}[{first}] is {float(array[first])!r}")
    return array
