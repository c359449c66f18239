"""Tail measures of a distribution: the loss quantile (VaR) and the mean loss beyond it (ES).

Three estimators, each returning ``(var, es)`` as positive losses in the sample's own unit
(a return or USD): :func:`empirical_tail` on a sample of returns (the pinned historical
convention), :func:`tail_average` on a sample with atoms (simulated binary payoffs), and
:func:`normal_tail` in closed form for a normal distribution.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

__all__ = ["empirical_tail", "normal_tail", "tail_average"]

# The normal density's constant 1 / sqrt(2 pi).
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def empirical_tail(sample: NDArray[np.floating], alpha: float) -> tuple[float, float]:
    """VaR and ES of a sample of outcomes (gains positive) at tail probability ``alpha``.

    The quantile is numpy's default (linear interpolation between order statistics, type 7
    of Hyndman and Fan); ES is the mean of the outcomes at or below it.

    Args:
        sample: outcomes, gains positive and losses negative; at least one.
        alpha: the tail probability, e.g. 0.05.

    Returns:
        ``(var, es)``: ``-quantile`` and ``-mean(sample[sample <= quantile])``.
    """
    quantile = float(np.quantile(sample, alpha))
    tail = sample[sample <= quantile]
    # Mathematically the tail's mean is at most the quantile; summing equal values can round
    # it one ulp above, which would report ES < VaR. The minimum keeps the inequality exact.
    mean = min(float(np.mean(tail, dtype=np.float64)), quantile)
    return -quantile, -mean


def tail_average(sample: NDArray[np.floating], alpha: float) -> tuple[float, float]:
    """VaR and ES of a sample whose outcomes repeat (atoms), at tail probability ``alpha``.

    VaR is the same linear quantile ``q`` as :func:`empirical_tail`. ES is the mean of the
    worst ``alpha`` of the probability mass (Acerbi and Tasche 2002):
    ``ES = -(E[X 1{X < q}] + q * (alpha - P[X < q])) / alpha``. On a large sample of
    distinct outcomes the two ES agree closely (they estimate the same number); where one
    outcome carries more than ``alpha`` of the mass (a share that loses everything 3 % of
    the time and gains a little otherwise), the mean "at or below q" averages the whole
    distribution at 95 %, this one the worst 5 %.

    Args:
        sample: outcomes, gains positive and losses negative; at least one.
        alpha: the tail probability, e.g. 0.05.

    Returns:
        ``(var, es)`` as positive losses.
    """
    quantile = float(np.quantile(sample, alpha))
    below = sample < quantile
    share = np.count_nonzero(below) / sample.size
    tail_sum = float(np.sum(sample, where=below, dtype=np.float64)) / sample.size
    mean = (tail_sum + quantile * (alpha - share)) / alpha
    # The tail's mean is at most the quantile; the minimum keeps rounding from saying less.
    return -quantile, -min(mean, quantile)


def normal_tail(mean: float, std: float, alpha: float) -> tuple[float, float]:
    """VaR and ES of a normal distribution of outcomes at tail probability ``alpha``.

    With ``z = Phi^-1(1 - alpha)`` (computed as ``-Phi^-1(alpha)`` so ``alpha`` stays exact):
    ``VaR = z * std - mean`` and ``ES = std * phi(z) / alpha - mean``.

    Args:
        mean: the distribution's mean (0 for the zero-mean variant).
        std: its standard deviation, >= 0.
        alpha: the tail probability, e.g. 0.05.

    Returns:
        ``(var, es)`` in the unit of ``mean`` and ``std``.
    """
    z = -float(ndtri(alpha))
    density = _INV_SQRT_2PI * math.exp(-0.5 * z * z)
    return z * std - mean, std * density / alpha - mean
