"""The equity curve of a backtest, sampled on the simulated clock, and its metrics.

Equity is the starting cash plus the PnL of the positions (realised, fees paid, and
unrealised at each token's mid when sampled). Samples are taken every ``interval_ms`` of
simulated time, so their cost does not grow with the number of events.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from decimal import Decimal

from agbotkit.risk.advanced.performance import PerformanceReport
from agbotkit.risk.simulator import PolymarketSimulator
from agbotkit.strategies.backtest.book import TokenBook
from agbotkit.strategies.backtest.result import Timeline

__all__ = ["DAY_MS", "EquitySampler", "sample_interval_ms"]

DAY_MS = 86_400_000
#: About this many samples over a run (fewer for short runs: at most one a second).
_SAMPLES = 2_000


def sample_interval_ms(first_ms: int, last_ms: int) -> int:
    """The sampling interval for data spanning ``first_ms`` to ``last_ms``."""
    return max(1_000, (last_ms - first_ms) // _SAMPLES)


class EquitySampler:
    """Samples equity, mids and positions.

    Args:
        positions: the backtest's positions.
        books: every token's book.
        initial_cash_usd: the equity before any trade.
    """

    def __init__(
        self, positions: PolymarketSimulator, books: dict[str, TokenBook], initial_cash_usd: float
    ) -> None:
        self.positions = positions
        self.books = books
        self.initial = initial_cash_usd
        self.equity: list[tuple[int, float]] = []
        self._times: list[int] = []
        self._mids: dict[str, list[float | None]] = {}
        self._sizes: dict[str, list[float]] = {}

    def sample(self, now_ms: int) -> float:
        """Take a sample at ``now_ms`` (once per moment); returns the PnL so far."""
        positions = self.positions
        if self._times and self._times[-1] >= now_ms:
            return float(positions.total_pnl_usd)
        count = len(self._times)
        books = self.books
        for position in positions.positions():
            token = position.token_id
            if token not in self._mids:
                self._mids[token] = [None] * count
                self._sizes[token] = [0.0] * count
            if not position.settled:
                book = books.get(token)
                mid = None if book is None else book.mid
                if mid is not None:
                    positions.update_mid(token, mid)
        for token, series in self._mids.items():
            book = books.get(token)
            mid = None if book is None else book.mid
            series.append(None if mid is None else float(mid))
            self._sizes[token].append(float(positions.size(token)))
        pnl = float(positions.total_pnl_usd)
        self.equity.append((now_ms, self.initial + pnl))
        self._times.append(now_ms)
        return pnl

    def timeline(self) -> Timeline:
        """The sampled mids and positions."""
        markets = {p.token_id: p.market_id for p in self.positions.positions()}
        return Timeline(
            times_ms=tuple(self._times),
            mids={token: tuple(values) for token, values in self._mids.items()},
            positions={token: tuple(values) for token, values in self._sizes.items()},
            markets=markets,
        )

    def pnl_by_market(self) -> dict[str, float]:
        """Total PnL per market at the last marks."""
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for position in self.positions.positions():
            if position.market_id:
                totals[position.market_id] += (
                    position.realised_pnl_usd + position.unrealised_pnl_usd
                )
        return {market: float(total) for market, total in sorted(totals.items())}

    def performance(self) -> tuple[PerformanceReport | None, int]:
        """The metrics of the curve's returns, and the returns' period (see
        :attr:`BacktestResult.returns_period_ms`)."""
        points = self.equity
        if len(points) < 3:
            return None, 0
        span = points[-1][0] - points[0][0]
        if span >= 3 * DAY_MS:
            period = DAY_MS
            closes: dict[int, float] = {}
            for time_ms, equity in points:
                closes[time_ms // DAY_MS] = equity
            values = [points[0][1], *closes.values()]
        else:
            period = points[1][0] - points[0][0]
            values = [equity for _, equity in points]
        returns = [b / a - 1.0 for a, b in itertools.pairwise(values) if a > 0]
        if len(returns) < 2:
            return None, period
        try:
            return PerformanceReport.from_returns(returns), period
        except ValueError:  # equity went through zero: no meaningful returns
            return None, period
