"""Checks on option inputs, shared by the closed forms, scalar and vectorised.

Every check names the argument it refused and why: a risk number computed from a NaN
spot or a negative volatility is worse than no number.
"""

from __future__ import annotations

import math
from typing import Literal, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "DAYS_PER_YEAR",
    "OptionType",
    "as_checked_array",
    "check_option",
    "check_option_inputs",
    "years_from_days",
]

#: Calendar days per year: T = days / 365, QuantLib's Actual365Fixed.
DAYS_PER_YEAR = 365.0

OptionType: TypeAlias = Literal["call", "put"]


def check_option(option: str) -> bool:
    """Return ``True`` for ``"call"``, ``False`` for ``"put"``.

    Raises:
        ValueError: ``option`` is anything else.
    """
    if option == "call":
        return True
    if option == "put":
        return False
    raise ValueError(f"option must be 'call' or 'put', got {option!r}")


def years_from_days(days: float) -> float:
    """Time to expiry in years of 365 calendar days (the convention of every Greek here).

    Raises:
        ValueError: ``days`` is not a finite number >= 0.
    """
    if not math.isfinite(days) or days < 0:
        raise ValueError(f"days must be a finite number >= 0, got {days!r}")
    return days / DAYS_PER_YEAR


def _positive(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def _finite(name: str, value: float) -> None:
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


def check_option_inputs(
    spot: float,
    strike: float,
    years: float,
    volatility: float,
    rate: float,
    dividend: float,
) -> None:
    """Refuse inputs for which the closed forms are undefined.

    Spot, strike, time and volatility must be finite and strictly positive (at zero time or
    zero volatility the Greeks divide by zero); rate and dividend yield must be finite.

    Raises:
        ValueError: naming the first argument refused.
    """
    _positive("spot", spot)
    _positive("strike", strike)
    _positive("years", years)
    _positive("volatility", volatility)
    _finite("rate", rate)
    _finite("dividend", dividend)


def as_checked_array(name: str, values: ArrayLike, *, positive: bool) -> NDArray[np.float64]:
    """``values`` as a float64 array, refused if any element is NaN, infinite or (when
    ``positive``) <= 0.

    Raises:
        ValueError: naming ``name`` and the first offending element.
    """
    array = np.asarray(values, dtype=np.float64)
    bad = ~np.isfinite(array)
    if positive:
        bad |= array <= 0
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        what = "finite numbers > 0" if positive else "finite numbers"
        raise ValueError(
            f"{name} must hold {what}; element {index} is {array.reshape(-1)[index]!r}"
        )
    return array
