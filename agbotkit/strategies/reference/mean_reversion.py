"""``mean_reversion``: Bollinger bands on a market's YES mid: buy YES below the lower band,
sell above the upper one (buying NO, the same exposure as selling YES short, when
``short`` is on and no YES is held), exit at the middle band. FAK orders at the touch."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from agbotkit.config.checks import at_least, greater_than
from agbotkit.model.execution import OrderStatusChanged
from agbotkit.strategies.api import BookView, OrderRejection, Strategy, StrategyMetadata
from agbotkit.strategies.reference.targets import TargetTrader
from agbotkit.strategies.signals import Bollinger

__all__ = ["MeanReversion", "MeanReversionConfig"]


@attrs.frozen(kw_only=True)
class MeanReversionConfig:
    """Parameters of ``mean_reversion`` (docs/strategies/mean_reversion.md).

    Attributes:
        period: the Bollinger window, in book updates.
        k: the band width in standard deviations (population std).
        size: shares bought on an entry.
        short: above the upper band, buy NO when flat.
        min_size: the fewest shares traded at once.
        slippage_ticks: ticks past the touch the orders may trade at.
    """

    period: int = attrs.field(default=20, validator=at_least(2))
    k: float = attrs.field(default=2.0, validator=greater_than(0))
    size: float = attrs.field(default=10.0, validator=greater_than(0))
    short: bool = True
    min_size: float = attrs.field(default=5.0, validator=at_least(0))
    slippage_ticks: int = attrs.field(default=0, validator=at_least(0))


@attrs.define
class _State:
    bands: Bollinger
    yes: TargetTrader
    no: TargetTrader | None


class MeanReversion(Strategy[MeanReversionConfig]):
    """Bollinger mean reversion on the YES price, exiting at the middle band."""

    Config = MeanReversionConfig

    def __init__(self, config: MeanReversionConfig, context: Any) -> None:
        super().__init__(config, context)
        self._states: dict[str, _State] = {}

    @classmethod
    def metadata(cls) -> StrategyMetadata:
        """``mean_reversion``."""
        return StrategyMetadata(
            name="mean_reversion", version="1", description="Bollinger-band mean reversion."
        )

    def on_book(self, book: BookView) -> None:
        """A YES book moves the bands and may enter or exit; a NO book lets a NO order
        trade."""
        tokens = self.context.tokens(book.market_id)
        if not book.valid:
            return
        if len(tokens) > 1 and book.token_id == tokens[1]:
            state = self._states.get(tokens[0])
            if state is not None and state.no is not None:
                state.no.trade(self.context, book)
            return
        if book.mid is None or (tokens and tokens[0] != book.token_id):
            return
        state = self._state(book, tokens)
        middle = state.bands.update(book.mid)
        if not state.bands.ready:
            return
        size = Decimal(str(self.config.size))
        price = book.mid
        if price < state.bands.lower:
            if state.no is not None:
                state.no.target = Decimal(0)
            if self.context.get_position(book.token_id) == 0 and (
                state.no is None or state.no.pending is None
            ):
                state.yes.target = size
                self.context.signal("mean_reversion_buy")
        elif price > state.bands.upper:
            state.yes.target = Decimal(0)
            if self.config.short and state.no is not None and not self._held(state.no):
                state.no.target = size
                self.context.signal("mean_reversion_sell")
        elif self._crossed_middle(state, price, middle):
            state.yes.target = Decimal(0)
            if state.no is not None:
                state.no.target = Decimal(0)
        state.yes.trade(self.context, book)
        if state.no is not None:
            no_book = self.context.book(state.no.token_id)
            if no_book is not None:
                state.no.trade(self.context, no_book)

    def _state(self, book: BookView, tokens: Any) -> _State:
        state = self._states.get(book.token_id)
        if state is None:
            config = self.config
            min_size = Decimal(str(config.min_size))
            yes = TargetTrader(book.token_id, min_size, config.slippage_ticks)
            no = (
                TargetTrader(tokens[1], min_size, config.slippage_ticks)
                if len(tokens) > 1
                else None
            )
            state = self._states[book.token_id] = _State(
                Bollinger(config.period, config.k), yes, no
            )
        return state

    def _held(self, trader: TargetTrader) -> bool:
        return self.context.get_position(trader.token_id) > 0

    def _crossed_middle(self, state: _State, price: float, middle: float) -> bool:
        long_yes = self._held(state.yes) and price >= middle
        long_no = state.no is not None and self._held(state.no) and price <= middle
        return long_yes or long_no

    def _ended(self, client_order_id: str) -> None:
        for state in self._states.values():
            state.yes.ended(client_order_id)
            if state.no is not None:
                state.no.ended(client_order_id)

    def on_order_update(self, change: OrderStatusChanged) -> None:
        """An order ended: its trader may trade again."""
        if change.status.terminal:
            self._ended(change.client_order_id)

    def on_rejected(self, rejection: OrderRejection) -> None:
        """A refused order frees its trader."""
        self._ended(rejection.client_order_id)
