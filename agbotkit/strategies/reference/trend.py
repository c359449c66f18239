"""``trend``: EMA crossover on a market's YES price: long YES while the fast average is
above the slow one by more than ``threshold``, flat once it is below by more than
``threshold`` (between the two: no change). Trades with FAK orders at the touch."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from agbotkit.config.checks import FieldValueError, at_least, greater_than, report
from agbotkit.model.execution import OrderStatusChanged
from agbotkit.strategies.api import BookView, OrderRejection, Strategy, StrategyMetadata
from agbotkit.strategies.reference.targets import TargetTrader
from agbotkit.strategies.signals import EMA

__all__ = ["Trend", "TrendConfig"]


def _slower(instance: Any, attribute: Any, value: int) -> None:
    if value <= instance.fast:
        report(
            instance,
            FieldValueError(
                attribute.name, f"expected a value > fast ({instance.fast}), got {value}"
            ),
        )


@attrs.frozen(kw_only=True)
class TrendConfig:
    """Parameters of ``trend`` (docs/strategies/trend.md).

    Attributes:
        fast: the fast EMA's period, in book updates.
        slow: the slow EMA's period (> fast).
        size: shares held while long.
        threshold: how far apart the averages must be to act, in price.
        min_size: the fewest shares traded at once.
        slippage_ticks: ticks past the touch the orders may trade at.
    """

    fast: int = attrs.field(default=10, validator=at_least(1))
    slow: int = attrs.field(default=30, validator=[at_least(2), _slower])
    size: float = attrs.field(default=10.0, validator=greater_than(0))
    threshold: float = attrs.field(default=0.0, validator=at_least(0))
    min_size: float = attrs.field(default=5.0, validator=at_least(0))
    slippage_ticks: int = attrs.field(default=0, validator=at_least(0))


@attrs.define
class _State:
    fast: EMA
    slow: EMA
    trader: TargetTrader


class Trend(Strategy[TrendConfig]):
    """EMA crossover: long YES while the fast EMA is above the slow one, flat otherwise."""

    Config = TrendConfig

    def __init__(self, config: TrendConfig, context: Any) -> None:
        super().__init__(config, context)
        self._states: dict[str, _State] = {}

    @classmethod
    def metadata(cls) -> StrategyMetadata:
        """``trend``."""
        return StrategyMetadata(
            name="trend", version="1", description="EMA crossover on the YES price."
        )

    def on_book(self, book: BookView) -> None:
        """Update the averages with the mid; trade toward the target they give."""
        tokens = self.context.tokens(book.market_id)
        if (tokens and tokens[0] != book.token_id) or book.mid is None or not book.valid:
            return
        config = self.config
        state = self._states.get(book.token_id)
        if state is None:
            trader = TargetTrader(
                book.token_id, Decimal(str(config.min_size)), config.slippage_ticks
            )
            state = self._states[book.token_id] = _State(EMA(config.fast), EMA(config.slow), trader)
        fast, slow = state.fast.update(book.mid), state.slow.update(book.mid)
        if not state.slow.ready:
            return
        if fast - slow > config.threshold:
            if state.trader.target == 0:
                self.context.signal("trend_long")
            state.trader.target = Decimal(str(config.size))
        elif slow - fast > config.threshold:
            if state.trader.target != 0:
                self.context.signal("trend_flat")
            state.trader.target = Decimal(0)
        state.trader.trade(self.context, book)

    def on_order_update(self, change: OrderStatusChanged) -> None:
        """An order ended: its trader may trade again."""
        if change.status.terminal:
            for state in self._states.values():
                state.trader.ended(change.client_order_id)

    def on_rejected(self, rejection: OrderRejection) -> None:
        """A refused order frees its trader."""
        for state in self._states.values():
            state.trader.ended(rejection.client_order_id)
