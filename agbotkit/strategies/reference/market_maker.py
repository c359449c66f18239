"""``market_maker``: two-sided post-only quotes around the microprice.

Per market it quotes the YES token: a bid, and an ask that sells YES held or, when too
little is held, bids the NO token at ``1 - ask`` (the same exposure on Polymarket, where a
token cannot be sold short). The centre is the microprice, moved against the inventory
(``net = YES - NO`` shares: long YES lowers both quotes); the half-spread widens with a
rolling estimate of the microprice's volatility. Quotes sit on the tick grid, never cross
the book (post-only), respect the minimum size and the maximum position, and are replaced
only when the wanted price moves by ``requote_threshold`` or more or the size changes.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from agbotkit.config.checks import at_least, between, greater_than
from agbotkit.model.execution import OrderStatusChanged
from agbotkit.model.members import BUY, SELL
from agbotkit.model.numbers import as_float
from agbotkit.model.orders import Fill
from agbotkit.strategies.api import BookView, OrderRejection, Strategy, StrategyMetadata
from agbotkit.strategies.reference.quotes import Quote, QuoteSlot
from agbotkit.strategies.signals import Bollinger, Microprice

__all__ = ["MarketMaker", "MarketMakerConfig"]


@attrs.frozen(kw_only=True)
class MarketMakerConfig:
    """Parameters of ``market_maker`` (docs/strategies/market_maker.md).

    Attributes:
        size: shares per quote.
        half_spread: the smallest distance from the centre to each quote, in price.
        vol_window: microprice changes in the rolling volatility estimate.
        vol_multiplier: half-spread added per unit of that volatility (std of changes).
        inventory_skew: how far the centre moves at the maximum position, in price.
        max_position: the largest net position (YES - NO shares) either way.
        requote_threshold: the price move that makes a resting quote be replaced.
        min_size: the venue's smallest resting order; smaller quotes are not placed.
    """

    size: float = attrs.field(default=10.0, validator=greater_than(0))
    half_spread: float = attrs.field(default=0.01, validator=between(0, 0.5))
    vol_window: int = attrs.field(default=20, validator=at_least(2))
    vol_multiplier: float = attrs.field(default=0.0, validator=at_least(0))
    inventory_skew: float = attrs.field(default=0.01, validator=between(0, 0.5))
    max_position: float = attrs.field(default=100.0, validator=greater_than(0))
    requote_threshold: float = attrs.field(default=0.01, validator=at_least(0))
    min_size: float = attrs.field(default=5.0, validator=at_least(0))


@attrs.define
class _Market:
    """What the market maker keeps per quoted token."""

    micro: Microprice = attrs.Factory(Microprice)
    vol: Bollinger | None = None
    tokens: tuple[str, ...] = ()
    last_micro: float = math.nan
    tick: float = math.nan  # the tick size last seen, and the ticks per unit of price it makes
    per_unit: int = 100
    bid: QuoteSlot = attrs.Factory(QuoteSlot)
    ask: QuoteSlot = attrs.Factory(QuoteSlot)


class MarketMaker(Strategy[MarketMakerConfig]):
    """Two-sided post-only quotes around the microprice, skewed by inventory."""

    Config = MarketMakerConfig

    def __init__(self, config: MarketMakerConfig, context: Any) -> None:
        super().__init__(config, context)
        self._state: dict[str, _Market] = {}
        self._not_quoted: set[str] = set()

    @classmethod
    def metadata(cls) -> StrategyMetadata:
        """``market_maker``."""
        return StrategyMetadata(
            name="market_maker",
            version="1",
            description="Two-sided post-only quotes around the microprice, skewed by inventory.",
        )

    def on_book(self, book: BookView) -> None:
        """Recompute the quotes of a quoted token; replace those that moved."""
        state = self._state.get(book.token_id)
        if state is None:
            if book.token_id in self._not_quoted:
                return
            tokens = tuple(self.context.tokens(book.market_id))
            if tokens and tokens[0] != book.token_id:
                self._not_quoted.add(book.token_id)  # the NO token: never quoted
                return
            if not book.valid:
                return  # no snapshot yet
            state = self._state[book.token_id] = _Market(
                vol=Bollinger(self.config.vol_window), tokens=tokens
            )
        if not book.valid:
            return
        best_bid, best_ask = book.best_bid, book.best_ask
        if best_bid is None or best_ask is None:
            return
        micro = state.micro.update(book)
        vol = state.vol
        assert vol is not None
        if not math.isnan(state.last_micro):
            vol.update(micro - state.last_micro)
        state.last_micro = micro
        bid, ask = self._wanted(book, state, micro, best_bid, best_ask)
        threshold = self.config.requote_threshold
        for slot, wanted in ((state.bid, bid), (state.ask, ask)):
            if slot.needs_requote(wanted, threshold):
                slot.replace(self.context, wanted)
                self.context.signal("requote")

    def _wanted(
        self, book: BookView, state: _Market, micro: float, best_bid: float, best_ask: float
    ) -> tuple[Quote | None, Quote | None]:
        config, context = self.config, self.context
        if len(state.tokens) < 2:  # tokens learned late: ask again
            state.tokens = tuple(context.tokens(book.market_id))
        tokens = state.tokens
        token = book.token_id
        no_token = tokens[1] if len(tokens) > 1 else None
        yes_held = as_float(context.get_position(token))
        net = yes_held - (as_float(context.get_position(no_token)) if no_token else 0.0)
        half = config.half_spread
        if config.vol_multiplier:
            vol = state.vol
            assert vol is not None
            if vol.ready:
                half += config.vol_multiplier * vol.std
        centre = micro - config.inventory_skew * net / config.max_position
        tick = book.tick_size
        if tick != state.tick:
            state.tick, state.per_unit = tick, round(1 / tick)
        n = state.per_unit  # ticks per unit of price
        # Post-only: a bid stays a tick under the best ask, an ask a tick over the best bid;
        # both inside [tick, 1 - tick]. The 1e-9 keeps a float a hair off a tick on it.
        bid_t = min(math.floor((centre - half) * n + 1e-9), math.ceil(best_ask * n - 1e-9) - 1)
        ask_t = max(math.ceil((centre + half) * n - 1e-9), math.floor(best_bid * n + 1e-9) + 1)
        bid_t, ask_t = min(max(bid_t, 1), n - 1), min(max(ask_t, 1), n - 1)
        smallest = max(config.min_size, 1e-9)
        size = min(config.size, config.max_position - net)
        bid = Quote(token, BUY, bid_t, n, round(size, 6)) if size >= smallest else None
        ask_size = min(config.size, config.max_position + net)
        ask: Quote | None = None
        if yes_held >= smallest:
            size = min(ask_size, yes_held)
            if size >= smallest:
                ask = Quote(token, SELL, ask_t, n, round(size, 6))
        elif no_token is not None and ask_size >= smallest:
            no_t = n - ask_t
            no_book = context.book(no_token)
            if no_book is not None:
                no_ask = no_book.best_ask
                if no_ask is not None:
                    no_t = min(no_t, math.ceil(no_ask * n - 1e-9) - 1)
            ask = Quote(no_token, BUY, min(max(no_t, 1), n - 1), n, round(ask_size, 6))
        return bid, ask

    def _forget(self, client_order_id: str) -> None:
        for state in self._state.values():
            state.bid.forget(client_order_id)
            state.ask.forget(client_order_id)

    def on_fill(self, fill: Fill) -> None:
        """A quote traded: the inventory moved, a filled quote leaves its slot; the next
        book requotes."""
        for state in self._state.values():
            state.bid.filled(fill.client_order_id, fill.size)
            state.ask.filled(fill.client_order_id, fill.size)
        self.context.signal("fill")

    def on_cancel(self, change: OrderStatusChanged) -> None:
        """A quote cancelled or expired by someone else (a market closing) leaves its slot.

        Only fills, cancels and rejections end a quote: the market maker hears no other
        status change, so the order manager need not publish them to it."""
        self._forget(change.client_order_id)

    def on_rejected(self, rejection: OrderRejection) -> None:
        """A refused quote leaves its slot (the next book tries again)."""
        self._forget(rejection.client_order_id)

    def on_stop(self) -> None:
        """Pull every quote."""
        self.context.cancel_all()
