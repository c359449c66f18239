"""What a running strategy publishes on ``METRICS``, collected without I/O.

A hook may call ``context.metric`` or ``context.signal`` on every book update, thousands
of times a second: publishing each call would flood the bus and the dashboard. So the
calls only update values here, and the runner publishes :meth:`StrategyMetrics.samples`
every ``metrics_interval_s``: the latest value of each gauge, the running total of each
counter.

The series (every one labelled ``strategy_id``):

* ``strategy.pnl_usd`` (gauge, label ``market``): realised plus unrealised PnL of the
  strategy's own fills in each market it traded, in USD, net of fees;
* ``strategy.signals_generated`` (counter, label ``signal_type``): signals counted with
  ``context.signal``;
* ``strategy.orders_submitted`` (counter): orders the strategy submitted;
* ``strategy.fills`` (counter): fills of its orders;
* every gauge a strategy set with ``context.metric``, under its own name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from agbotkit.model.metrics import Labels, Metric, MetricType, labels_key
from agbotkit.model.positions import Position

__all__ = [
    "METRIC_FILLS",
    "METRIC_ORDERS",
    "METRIC_PNL",
    "METRIC_SIGNALS",
    "StrategyMetrics",
    "pnl_by_market",
]

METRIC_PNL = "strategy.pnl_usd"
METRIC_SIGNALS = "strategy.signals_generated"
METRIC_ORDERS = "strategy.orders_submitted"
METRIC_FILLS = "strategy.fills"


def pnl_by_market(positions: Iterable[Position]) -> dict[str, Decimal]:
    """Total PnL (realised + unrealised, net of fees) per market of ``positions``."""
    totals: dict[str, Decimal] = {}
    for position in positions:
        market = position.market_id
        totals[market] = totals.get(market, Decimal(0)) + position.total_pnl_usd
    return totals


class StrategyMetrics:
    """The counters and gauges of one strategy instance (see the module).

    Args:
        strategy_id: the instance's name, added to every series' labels.
    """

    def __init__(self, strategy_id: str) -> None:
        self.strategy_id = strategy_id
        self.orders_submitted = 0
        self.fills = 0
        self.signals: dict[str, int] = {}
        self._gauges: dict[tuple[str, Labels], float] = {}

    def order_submitted(self) -> None:
        """Count one order."""
        self.orders_submitted += 1

    def fill(self) -> None:
        """Count one fill."""
        self.fills += 1

    def signal(self, signal_type: str, count: int = 1) -> None:
        """Count ``count`` signals of ``signal_type``."""
        self.signals[signal_type] = self.signals.get(signal_type, 0) + count

    def gauge(self, name: str, value: float, labels: Mapping[str, str] | None = None) -> None:
        """Set a gauge (its latest value is what the next :meth:`samples` publishes)."""
        merged = dict(labels or {})
        merged["strategy_id"] = self.strategy_id
        self._gauges[(name, labels_key(merged))] = float(value)

    def samples(self, now_ms: int, pnl: Mapping[str, Decimal]) -> list[Metric]:
        """Every series' current value at ``now_ms``; ``pnl`` is the PnL per market."""
        own = {"strategy_id": self.strategy_id}
        samples = [
            Metric.counter(METRIC_ORDERS, float(self.orders_submitted), now_ms, own),
            Metric.counter(METRIC_FILLS, float(self.fills), now_ms, own),
        ]
        samples.extend(
            Metric.counter(METRIC_SIGNALS, float(n), now_ms, {**own, "signal_type": kind})
            for kind, n in sorted(self.signals.items())
        )
        samples.extend(
            Metric.gauge(METRIC_PNL, float(value), now_ms, {**own, "market": market})
            for market, value in sorted(pnl.items())
        )
        samples.extend(
            Metric(now_ms, MetricType.GAUGE, name, value, labels)
            for (name, labels), value in self._gauges.items()
        )
        return samples
