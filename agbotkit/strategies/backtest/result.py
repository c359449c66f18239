"""What a backtest gives back: :class:`BacktestResult`, and its JSON form."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs

from agbotkit.model.orders import Fill
from agbotkit.model.positions import Position
from agbotkit.risk.advanced.performance import PerformanceReport

__all__ = ["BacktestResult", "Timeline", "fill_to_json"]


@attrs.frozen
class Timeline:
    """Series sampled on the simulated clock, for the report's plots.

    Attributes:
        times_ms: the sample times.
        mids: token -> its mid at each sample (``None`` when the book had none).
        positions: token -> shares held at each sample.
        markets: token -> its market.
    """

    times_ms: tuple[int, ...] = ()
    mids: Mapping[str, tuple[float | None, ...]] = attrs.field(factory=dict)
    positions: Mapping[str, tuple[float, ...]] = attrs.field(factory=dict)
    markets: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class BacktestResult:
    """The outcome of one backtest.

    Attributes:
        fills: every fill, in the order they happened.
        orders_submitted: orders that passed risk and were sent to the venue.
        events: market-data events replayed (book updates, trades, tick sizes, resolutions).
        equity: ``(timestamp_ms, equity_usd)`` samples on the simulated clock.
        pnl_by_market: total PnL (realised + unrealised at the last mids, fees paid) per
            market, USD.
        performance: the performance metrics of the equity curve's returns (``None`` with
            fewer than 3 samples).
        final_positions: every position at the end.
        book_events: book updates replayed (snapshots and deltas, per token).
        rejections: orders refused, by stage (``risk``, ``execution``, ``venue``).
        returns_period_ms: the period of the returns the performance metrics were computed
            from (a day when the run spans three days or more, else the sample interval;
            the metrics annualise as if each period were a trading day).
        timeline: sampled mids and positions, for the report.
        signals: signals the strategy counted, by type.
        start_ms: the first traded moment.
        end_ms: the last event replayed.
    """

    fills: tuple[Fill, ...]
    orders_submitted: int
    events: int
    equity: tuple[tuple[int, float], ...]
    pnl_by_market: Mapping[str, float]
    performance: PerformanceReport | None
    final_positions: tuple[Position, ...]
    book_events: int = 0
    rejections: Mapping[str, int] = attrs.field(factory=dict)
    returns_period_ms: int = 0
    timeline: Timeline = attrs.field(factory=Timeline)
    signals: Mapping[str, int] = attrs.field(factory=dict)
    start_ms: int = 0
    end_ms: int = 0

    @property
    def total_pnl_usd(self) -> float:
        """The PnL of every market together."""
        return sum(self.pnl_by_market.values())

    def to_json(self) -> dict[str, Any]:
        """The result as JSON data (decimals as strings, infinities as strings); equal
        results give equal data, key order included."""
        performance = None
        if self.performance is not None:
            performance = {
                key: _number(value) for key, value in attrs.asdict(self.performance).items()
            }
        return {
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "events": self.events,
            "book_events": self.book_events,
            "orders_submitted": self.orders_submitted,
            "rejections": dict(sorted(self.rejections.items())),
            "fills": [fill_to_json(fill) for fill in self.fills],
            "equity": [[t, e] for t, e in self.equity],
            "pnl_by_market": dict(sorted(self.pnl_by_market.items())),
            "total_pnl_usd": self.total_pnl_usd,
            "returns_period_ms": self.returns_period_ms,
            "performance": performance,
            "final_positions": [_position(p) for p in self.final_positions],
            "signals": dict(sorted(self.signals.items())),
        }


def _number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no infinity; "inf" and "-inf" read back with float()
    return value


def fill_to_json(fill: Fill) -> dict[str, Any]:
    """One fill as JSON data."""
    return {
        "timestamp_ms": fill.timestamp_ms,
        "client_order_id": fill.client_order_id,
        "trade_id": fill.trade_id,
        "market_id": fill.market_id,
        "token_id": fill.token_id,
        "side": fill.side.value,
        "price": str(fill.price),
        "size": str(fill.size),
        "fee_usd": None if fill.fee_usd is None else str(fill.fee_usd),
        "taker": fill.taker,
    }


def _position(position: Position) -> dict[str, Any]:
    return {
        "token_id": position.token_id,
        "market_id": position.market_id,
        "size": str(position.size),
        "cost_basis_usd": str(position.cost_basis_usd),
        "realised_pnl_usd": str(position.realised_pnl_usd),
        "fees_usd": str(position.fees_usd),
        "mark": str(position.mark),
        "settled": position.settled,
    }
