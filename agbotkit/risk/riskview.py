"""The portfolio's risk figures, kept current for O(1) per-order checks.

:class:`PortfolioRisk` is the read-only view of the risk component's portfolio that the
``VarLimit`` and ``GreeksLimit`` policies are bound to (see
:meth:`agbotkit.risk.policy.RiskPolicy.bind`). The component keeps it current: positions
from fills, marks from books, a new row of the price history every
``price_sample_interval_s``, per-share Greeks every ``analytics_interval_s``. A policy only
reads cached numbers, so a check costs a dictionary lookup and a few multiplications.

Variance (all per **day**, USD², see :mod:`agbotkit.risk.pricehistory`): with ``w`` the
shares held in the warm tokens and ``S = A' A`` the covariance of their per-share price
changes, the view caches ``u = A w``, ``S w = A' u`` and ``w' S w = u . u``. An order of
``dq`` shares of warm token ``i`` makes the variance::

    w' S w + 2 dq (S w)_i + dq^2 S_ii

exactly (the quadratic form of ``w + dq e_i``). Cold tokens (too little history) are not in
``S``; the view reports the sum of squared shares held in them (:attr:`cold_square`), which a
policy either prices at a configured fallback volatility (independent of everything else)
or refuses.

Greeks: every token has per-share Greeks. A token linked to an underlying has its digital
option's Greeks (set by the component); an unlinked token has probability-space Greeks:
delta 1 per share (its value moves 1 USD per share when its probability moves by 1.00),
every other Greek 0. A linked token whose Greeks are not known yet (no reference price, no
mid) has none: :meth:`greeks` returns ``None`` and :attr:`unknown_greeks` lists the held ones.

Pure: numpy only, no trio, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from agbotkit.risk.advanced.greeks import Greeks
from agbotkit.risk.pricehistory import CovarianceFactor, PriceHistory

__all__ = ["PROBABILITY_GREEKS", "ZERO_GREEKS", "PortfolioRisk"]

#: Per-share Greeks of a token without an underlying: delta 1 per 1.00 of probability.
PROBABILITY_GREEKS = Greeks(price=0.0, delta=1.0, gamma=0.0, vega=0.0, theta=0.0, rho=0.0)
#: Nothing held.
ZERO_GREEKS = Greeks(price=0.0, delta=0.0, gamma=0.0, vega=0.0, theta=0.0, rho=0.0)


class PortfolioRisk:
    """Positions, variance terms and Greeks of a portfolio (see the module).

    Args:
        history: the sampled price history the covariance comes from.
    """

    def __init__(self, history: PriceHistory) -> None:
        self.history = history
        self._positions: dict[str, float] = {}  # token -> shares held (nonzero)
        self._factor = history.factor()
        self._index: dict[str, int] = {}  # warm token -> column of the factor
        self._diagonal: list[float] = []
        self._terms: dict[str, tuple[float, float]] = {}  # warm token -> ((S w)_i, S_ii)
        self._variance = 0.0
        self._cold_square = 0.0
        self._cold: tuple[str, ...] = ()
        self._linked: set[str] = set()
        self._greeks: dict[str, Greeks] = {}  # linked token -> per-share Greeks, when known
        self._totals = ZERO_GREEKS
        self._unknown: tuple[str, ...] = ()

    # -- what the component feeds -------------------------------------------------------

    def set_position(self, token: str, shares: float) -> None:
        """The shares now held in ``token`` (after a fill, a restore or a settlement)."""
        if shares:
            self._positions[token] = shares
        else:
            self._positions.pop(token, None)
        self._update_variance()
        self._update_greeks()

    def mark(self, token: str, price: float) -> None:
        """The token's latest mark (book mid), for the next price sample."""
        self.history.mark(token, price)

    def sample(self) -> None:
        """Sample every mark into the history and refit the covariance."""
        self.history.sample()
        factor = self._factor = self.history.factor()
        self._index = {token: column for column, token in enumerate(factor.tokens)}
        self._diagonal = factor.variances.tolist()
        self._update_variance()

    def link(self, token: str) -> None:
        """Mark ``token`` as linked to an underlying (its Greeks come from :meth:`set_greeks`)."""
        self._linked.add(token)
        self._update_greeks()

    def set_greeks(self, greeks: Mapping[str, Greeks | None]) -> None:
        """Per-share Greeks of linked tokens (``None``: not known now)."""
        for token, value in greeks.items():
            self._linked.add(token)
            if value is None:
                self._greeks.pop(token, None)
            else:
                self._greeks[token] = value
        self._update_greeks()

    # -- what policies read -------------------------------------------------------------

    @property
    def positions(self) -> Mapping[str, float]:
        """Shares held per token (nonzero positions only)."""
        return self._positions

    @property
    def factor(self) -> CovarianceFactor:
        """The covariance factor of the warm tokens (for full recomputations and VaR)."""
        return self._factor

    @property
    def variance(self) -> float:
        """``w' S w`` over the warm tokens held: the daily P&L variance, USD²."""
        return self._variance

    @property
    def cold_square(self) -> float:
        """The sum of squared shares held in cold tokens (no covariance yet)."""
        return self._cold_square

    @property
    def cold_tokens(self) -> tuple[str, ...]:
        """The cold tokens held."""
        return self._cold

    def variance_terms(self, token: str) -> tuple[float, float] | None:
        """``((S w)_i, S_ii)`` for a warm token, ``None`` for a cold one."""
        terms = self._terms.get(token)
        if terms is not None:
            return terms
        column = self._index.get(token)
        if column is None:
            return None
        return (0.0, self._diagonal[column])  # warm, and nothing held correlates (w = 0)

    def greeks(self, token: str) -> Greeks | None:
        """Per-share Greeks of ``token``; ``None`` for a linked token not priced yet."""
        if token in self._linked:
            return self._greeks.get(token)
        return PROBABILITY_GREEKS

    @property
    def portfolio_greeks(self) -> Greeks:
        """The portfolio's Greeks: shares times per-share Greeks, summed (unknown ones left
        out: see :attr:`unknown_greeks`)."""
        return self._totals

    @property
    def unknown_greeks(self) -> tuple[str, ...]:
        """Linked tokens held whose Greeks are not known."""
        return self._unknown

    # -- the caches ---------------------------------------------------------------------

    def _update_variance(self) -> None:
        index = self._index
        cold = tuple(token for token in self._positions if token not in index)
        self._cold = cold
        self._cold_square = sum(self._positions[token] ** 2 for token in cold)
        if not index:
            self._variance = 0.0
            self._terms = {}
            return
        weights = np.zeros(len(index))
        for token, shares in self._positions.items():
            column = index.get(token)
            if column is not None:
                weights[column] = shares
        matrix = self._factor.matrix
        u = matrix @ weights
        sigma_w = (matrix.T @ u).tolist()
        self._variance = float(u @ u)
        self._terms = dict(
            zip(self._factor.tokens, zip(sigma_w, self._diagonal, strict=True), strict=True)
        )

    def _update_greeks(self) -> None:
        totals = ZERO_GREEKS
        unknown = []
        for token, shares in self._positions.items():
            per_share = self.greeks(token)
            if per_share is None:
                unknown.append(token)
            else:
                totals = totals + per_share.scaled(shares)
        self._totals = totals
        self._unknown = tuple(unknown)
