"""Monte Carlo VaR of Polymarket positions: what really happens to a prediction-market share.

Over a horizon of h calendar days each event (a neg-risk event, or a market standing alone)
either resolves or moves:

- **Resolves** (``days_to_resolution <= h``): exactly one outcome wins, drawn with
  probabilities equal to the event's prices normalised to sum to at most 1 (a market alone:
  YES wins with probability ``price``; a partly held event: the rest of the probability
  belongs to outcomes not held). Winning shares pay 1 USD, the others 0.
- **Moves**: each outcome's log-odds against the outcomes not held takes a normal step
  ``daily_logit_volatility * sqrt(h) * Z`` and the event's probabilities are renormalised
  (a multinomial-logit walk; for a market alone, exactly a random walk of
  ``logit(price)``). A step of 0 leaves every price where it is.

One standard normal per position and path drives both, correlated across positions by an
optional correlation matrix (a Gaussian copula): a resolving event's winner is read from the
draw of its first position. PnL is the change in value of the positions; VaR is the linear
quantile of its simulated distribution and ES the mean of its worst ``alpha`` of paths
(the payoffs have atoms: see ``tails.tail_average``).

Arrays are float32 (the simulation is memory-bound; the relative error of a path's PnL is
about 1e-6 of the gross exposure) and the normals come from a vectorised Box-Muller
transform, and by default each path is paired with its antithetic mirror (the same draws
negated), which halves the random numbers drawn: 100,000 paths on 50 markets take tens of
milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from agbotkit.risk.advanced.binary_book import BinaryPosition, Layout, layout
from agbotkit.risk.advanced.inputs import (
    check_confidence,
    check_horizon,
    check_paths,
    tail_probability,
)
from agbotkit.risk.advanced.montecarlo import standard_normals
from agbotkit.risk.advanced.tails import tail_average
from agbotkit.risk.advanced.var_result import HorizonScaling, VarMethod, VarModel, VarResult

__all__ = ["BinaryPosition", "binary_var", "simulate_binary_pnl", "simulate_binary_prices"]

# exp() of a float32 overflows beyond 88; a log-odds step of 60 already moves a price from
# 0.5 to 1e-26, so clipping there changes no figure and keeps every ratio finite.
_MAX_STEP = np.float32(60.0)
# A correlation matrix may be singular (perfect correlation); an eigenvalue this far below
# zero is rounding, further is a matrix that is not positive semi-definite.
_EIGEN_TOLERANCE = 1e-10


def simulate_binary_prices(
    positions: Sequence[BinaryPosition],
    *,
    time_horizon_days: float,
    paths: int,
    seed: int | None = 0,
    correlation: ArrayLike | None = None,
    antithetic: bool = True,
) -> NDArray[np.float32]:
    """Each position's value per share at the horizon, path by path.

    Args:
        positions: the portfolio; token ids unique.
        time_horizon_days: h, calendar days, > 0.
        paths: how many paths, >= 2.
        seed: fixes the draws; ``None`` draws from fresh entropy.
        correlation: optional positions x positions correlation matrix of the draws
            (symmetric, unit diagonal, positive semi-definite), in the order of ``positions``.
        antithetic: pair every path with its mirror image (the same draws negated): half
            the random numbers for the same number of paths, each path still distributed
            exactly as the model says. ``False`` draws every path independently.

    Returns:
        A ``(paths, len(positions))`` float32 array: 0 or 1 for a resolved outcome, the
        moved price otherwise.

    Raises:
        ValueError: on a bad horizon, path count, portfolio or correlation matrix.
    """
    book = layout(positions, check_horizon(time_horizon_days))
    count = check_paths(paths)
    draws = _draws(book, count, seed, correlation, antithetic)
    values = np.empty((len(book.order), count), dtype=np.float32)
    values[: book.moving] = _moved_prices(book, draws, count)
    values[book.moving :] = _resolutions(book, draws, count)
    out = np.empty_like(values)
    out[book.order] = values
    return np.ascontiguousarray(out.T)


def simulate_binary_pnl(
    positions: Sequence[BinaryPosition],
    *,
    time_horizon_days: float,
    paths: int,
    seed: int | None = 0,
    correlation: ArrayLike | None = None,
    antithetic: bool = True,
) -> NDArray[np.float64]:
    """The portfolio's PnL over the horizon, USD, one value per path (arguments as for
    :func:`simulate_binary_prices`); an empty portfolio gives zeros."""
    book = layout(positions, check_horizon(time_horizon_days))
    count = check_paths(paths)
    if not positions:
        return np.zeros(count)
    draws = _draws(book, count, seed, correlation, antithetic)
    moving, prices, shares = book.moving, book.prices, book.shares
    pnl = np.zeros(count)
    if moving:
        # Price changes, not prices, are summed in float32: a price that does not move
        # then contributes exactly 0, and rounding stays relative to the moves.
        moved = _moved_prices(book, draws, count)
        moved -= prices[:moving, None].astype(np.float32)
        pnl += shares[:moving].astype(np.float32) @ moved
    if moving < len(prices):
        # 0/1 payoffs times shares: exact in float32 for whole share counts; the current
        # value is subtracted in float64.
        pnl += shares[moving:].astype(np.float32) @ _resolutions(book, draws, count)
        pnl -= float(prices[moving:] @ shares[moving:])
    return pnl


def binary_var(
    positions: Sequence[BinaryPosition],
    *,
    confidence_level: float = 0.95,
    time_horizon_days: float = 1.0,
    paths: int = 10_000,
    seed: int | None = 0,
    correlation: ArrayLike | None = None,
    antithetic: bool = True,
) -> VarResult:
    """VaR and ES of Polymarket positions by the binary Monte Carlo (module docstring).

    Args:
        positions: the portfolio; token ids unique.
        confidence_level: e.g. 0.95, in (0, 1).
        time_horizon_days: h, calendar days, > 0.
        paths: how many paths, >= 2.
        seed: fixes the draws; ``None`` draws from fresh entropy.
        correlation: optional correlation matrix of the positions' draws.
        antithetic: mirror each path (see :func:`simulate_binary_prices`).

    Returns:
        A :class:`VarResult` with ``method="monte_carlo"``, ``model="binary"``,
        ``horizon_scaling="simulated"`` and ``portfolio_value_usd`` the positions' signed
        value at current prices.

    Raises:
        ValueError: on a bad confidence level, horizon, path count, portfolio or matrix.
    """
    level = check_confidence(confidence_level)
    horizon = check_horizon(time_horizon_days)
    pnl = simulate_binary_pnl(
        positions,
        time_horizon_days=horizon,
        paths=paths,
        seed=seed,
        correlation=correlation,
        antithetic=antithetic,
    )
    var, es = tail_average(pnl, tail_probability(level))
    return VarResult(
        var_usd=var,
        es_usd=es,
        method=VarMethod.MONTE_CARLO,
        confidence_level=level,
        time_horizon_days=horizon,
        portfolio_value_usd=float(sum(p.shares * p.price for p in positions)),
        mean_adjusted=True,
        model=VarModel.BINARY,
        horizon_scaling=HorizonScaling.SIMULATED,
        paths=pnl.size,
        seed=seed,
    )


def _draws(
    book: Layout,
    paths: int,
    seed: int | None,
    correlation: ArrayLike | None,
    antithetic: bool,
) -> NDArray[np.float32]:
    """Standard normals, positions (in the layout's order) x drawn paths, correlated if
    asked; with ``antithetic`` only the first half of the paths is drawn (the second half
    is its negation, applied where the draws are used, see :func:`_scaled`).

    One row per position keeps each position's paths contiguous: every step below is a
    vector operation over a whole row, and an event's positions are adjacent rows.
    """
    size = len(book.order)
    rng = np.random.default_rng(seed)
    drawn = (paths + 1) // 2 if antithetic else paths
    draws = standard_normals(rng, size * drawn, np.float32).reshape(size, drawn)
    if correlation is None:
        return draws
    root = _correlation_root(correlation, size)[np.ix_(book.order, book.order)]
    # The root's rows follow the positions; reindexing its columns only relabels the
    # independent draws, so the permuted root is a root of the permuted matrix.
    correlated: NDArray[np.float32] = root.astype(np.float32) @ draws
    return correlated


def _scaled(
    draws: NDArray[np.float32], factor: NDArray[np.float32], out: NDArray[np.float32]
) -> None:
    """``out = draws * factor[:, None]`` over all paths: the drawn ones, then (antithetic)
    their mirror images ``-draws``, without materialising the mirrored draws."""
    drawn = draws.shape[1]
    np.multiply(draws, factor[:, None], out=out[:, :drawn])
    rest = out.shape[1] - drawn
    if rest:
        np.multiply(draws[:, :rest], -factor[:, None], out=out[:, drawn:])


def _correlation_root(correlation: ArrayLike, size: int) -> NDArray[np.float64]:
    """A matrix ``A`` with ``A @ A.T == correlation`` (from its eigendecomposition, which,
    unlike Cholesky, accepts the singular matrices of perfectly correlated markets)."""
    matrix = np.asarray(correlation, dtype=np.float64)
    if matrix.shape != (size, size):
        raise ValueError(
            f"correlation must be {size}x{size} (one row per position); got {matrix.shape}"
        )
    if not np.isfinite(matrix).all():
        raise ValueError("correlation must be finite")
    if not np.allclose(matrix, matrix.T, rtol=0.0, atol=1e-12):
        raise ValueError("correlation must be symmetric")
    if not np.allclose(np.diag(matrix), 1.0, rtol=0.0, atol=1e-12):
        raise ValueError("correlation must have ones on its diagonal")
    eigenvalues, vectors = np.linalg.eigh(matrix)
    if eigenvalues.min() < -_EIGEN_TOLERANCE:
        raise ValueError(
            f"correlation must be positive semi-definite; smallest eigenvalue {eigenvalues.min():.3g}"
        )
    root: NDArray[np.float64] = vectors * np.sqrt(np.clip(eigenvalues, 0.0, None))
    return root


def _moved_prices(book: Layout, draws: NDArray[np.float32], paths: int) -> NDArray[np.float32]:
    """Prices of the moving rows after their step, positions x paths."""
    moving, singles = book.moving, book.singles
    out = np.empty((moving, paths), dtype=np.float32)
    # A market alone: sigmoid(logit(p) + s Z) = 1 / (1 + odds * exp(-s Z)), odds = (1-p)/p.
    # exp overflowing to inf or underflowing to 0 gives the right limits, 0 and 1 (odds of
    # inf or 0 come with s = 0, so inf * 0 never happens).
    alone = out[:singles]
    _scaled(draws[:singles], -book.step[:singles], alone)
    with np.errstate(over="ignore"):
        np.exp(alone, out=alone)
        alone *= book.odds[:, None]
    alone += 1.0
    np.reciprocal(alone, out=alone)
    # An event: each outcome's weight q * exp(s Z) against the outcomes not held (weight
    # ``rest``), renormalised.
    for start, stop, rest in book.events:
        members = out[start:stop]
        _scaled(draws[start:stop], book.step[start:stop], members)
        np.clip(members, -_MAX_STEP, _MAX_STEP, out=members)
        np.exp(members, out=members)
        members *= book.weight[start:stop, None]
        members /= members.sum(axis=0) + rest
        members *= book.scale[start:stop, None]
    return out


def _resolutions(book: Layout, draws: NDArray[np.float32], paths: int) -> NDArray[np.float32]:
    """1 where a resolving row's outcome wins, else 0; positions x paths."""
    decisive = np.empty((len(book.source), paths), dtype=np.float32)
    _scaled(draws[book.source], np.ones(len(book.source), dtype=np.float32), decisive)
    won = (decisive >= book.z_low[:, None]) & (decisive < book.z_high[:, None])
    return won.astype(np.float32)
