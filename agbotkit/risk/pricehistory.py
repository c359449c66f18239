"""Per-token price history: the marks sampled at a fixed interval, and their covariance.

The VaR figures of the risk component (the ``VarLimit`` policy and the ``risk.var_*``
metrics) need the co-movement of every token's price. :class:`PriceHistory` keeps the latest
mark (book mid) of every token seen and, on every :meth:`~PriceHistory.sample` (the risk
component calls it every ``price_sample_interval_s``), appends one row of those marks to a
ring of the last ``window + 1`` rows. A token's mark is carried forward while its book is
invalid or silent: that is the price its position is valued at.

Why price changes and not returns: a position's P&L over an interval is ``shares * change
of price`` (USD), so with price changes the exposure of the portfolio is its vector of
shares ``w``, and a new order of ``dq`` shares changes ``w`` in one coordinate. The variance
of the portfolio's P&L is ``w' S w`` with ``S`` the covariance of the per-share changes, and
an order's effect on it is exact and O(1) (see :mod:`agbotkit.risk.riskview`). A simple
return would make the exposure depend on the price as well.

Warm-up: a token is *warm* once it has at least ``min_observations`` changes (it was marked
at ``min_observations + 1`` samples). The covariance is estimated over the warm tokens on
the most recent changes that all of them have (their shortest history, at most ``window``
changes), with the sample denominator ``k - 1`` (ddof = 1). Cold tokens are left out: see
:class:`~agbotkit.risk.riskview.PortfolioRisk` for how they count.

Units: :meth:`PriceHistory.factor` returns ``A`` with ``S = A' A`` in USD² per share² per
**day**: the per-interval covariance scaled by the intervals in a day (square-root-of-time
scaling of sigma, i.e. independent increments).

Pure: numpy only, no trio, no I/O.
"""

from __future__ import annotations

import math

import attrs
import numpy as np
import numpy.typing as npt

__all__ = ["DAY_S", "CovarianceFactor", "PriceHistory"]

#: Seconds in a day: per-interval variances are scaled to a day with ``DAY_S / interval``.
DAY_S = 86_400.0

FloatArray = npt.NDArray[np.float64]


@attrs.frozen(eq=False)
class CovarianceFactor:
    """The covariance of the warm tokens' daily price changes, as a factor ``S = A' A``.

    Attributes:
        tokens: the warm tokens, in column order of ``matrix``.
        matrix: ``A`` (k x len(tokens)): centred changes times ``sqrt(day_scale / (k - 1))``.
        observations: ``k``, the number of changes the estimate uses (0 when no token is warm).
        changes: the raw per-interval changes (k x len(tokens)), oldest first, for
            historical figures.
        day_scale: intervals per day (``DAY_S / interval_s``).
    """

    tokens: tuple[str, ...]
    matrix: FloatArray
    observations: int
    changes: FloatArray
    day_scale: float

    @property
    def variances(self) -> FloatArray:
        """The diagonal of ``S``: each warm token's daily variance per share²."""
        result: FloatArray = np.einsum("ij,ij->j", self.matrix, self.matrix)
        return result


class PriceHistory:
    """The last ``window`` per-interval changes of every token's mark (see the module).

    Args:
        interval_s: the seconds between two samples (for the daily scaling).
        window: how many changes are kept per token (the estimation window).
        min_observations: changes a token needs before it counts as warm (>= 2).

    Raises:
        ValueError: a non-positive interval, a window below 2, or ``min_observations``
            outside ``[2, window]``.
    """

    def __init__(self, *, interval_s: float, window: int, min_observations: int) -> None:
        if not (math.isfinite(interval_s) and interval_s > 0):
            raise ValueError(f"interval_s must be a positive number of seconds, got {interval_s}")
        if window < 2:
            raise ValueError(f"window must be at least 2 changes, got {window}")
        if not 2 <= min_observations <= window:
            raise ValueError(
                f"min_observations must lie in [2, window={window}], got {min_observations}"
            )
        self.interval_s = interval_s
        self.window = window
        self.min_observations = min_observations
        self.day_scale = DAY_S / interval_s
        self._columns: dict[str, int] = {}
        self._latest: list[float] = []  # per column: the latest mark (NaN before the first)
        self._counts: list[int] = []  # per column: samples holding a mark, capped at window+1
        self._rows = np.full((window + 1, 8), np.nan)  # ring of sampled rows
        self._filled = 0  # rows sampled so far, capped at window + 1
        self._next = 0  # the ring's next row

    @property
    def tokens(self) -> tuple[str, ...]:
        """Every token marked so far, in first-seen order."""
        return tuple(self._columns)

    def mark(self, token: str, price: float) -> None:
        """Take ``price`` as the token's latest mark (used from the next sample on)."""
        column = self._columns.get(token)
        if column is None:
            column = self._columns[token] = len(self._latest)
            self._latest.append(price)
            self._counts.append(0)
            if column >= self._rows.shape[1]:  # grow the ring's width, doubling
                grown = np.full((self._rows.shape[0], 2 * self._rows.shape[1]), np.nan)
                grown[:, : self._rows.shape[1]] = self._rows
                self._rows = grown
        else:
            self._latest[column] = price

    def sample(self) -> None:
        """Append one row: every token's latest mark now."""
        width = len(self._latest)
        row = self._rows[self._next]
        row[:] = np.nan
        row[:width] = self._latest
        self._next = (self._next + 1) % self._rows.shape[0]
        self._filled = min(self._filled + 1, self._rows.shape[0])
        for column, value in enumerate(self._latest):
            if not math.isnan(value) and self._counts[column] <= self.window:
                self._counts[column] += 1

    def observations(self, token: str) -> int:
        """How many changes of ``token`` the history holds now (0 for an unknown token)."""
        column = self._columns.get(token)
        return 0 if column is None else max(self._counts[column] - 1, 0)

    def factor(self) -> CovarianceFactor:
        """The covariance factor of the warm tokens (see the module)."""
        warm = [
            (token, column)
            for token, column in self._columns.items()
            if self._counts[column] - 1 >= self.min_observations
        ]
        if not warm:
            empty = np.zeros((0, 0))
            return CovarianceFactor((), empty, 0, empty, self.day_scale)
        k = min(self._counts[column] - 1 for _, column in warm)
        columns = np.array([column for _, column in warm], dtype=np.intp)
        # The last k + 1 rows, oldest first, from the ring.
        order = (np.arange(self._next - k - 1, self._next)) % self._rows.shape[0]
        prices = self._rows[np.ix_(order, columns)]
        changes = np.diff(prices, axis=0)
        centred = changes - changes.mean(axis=0)
        matrix = centred * math.sqrt(self.day_scale / (k - 1))
        return CovarianceFactor(
            tuple(token for token, _ in warm), matrix, k, changes, self.day_scale
        )
