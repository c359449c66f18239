"""``parity_arbitrage``: trade YES + NO of a market, or a neg-risk basket, priced away
from 1.

* Pair, buy: ``ask_yes + ask_no + fees < 1 - edge`` (per share): buy both; one share of
  each pays exactly 1 at resolution.
* Pair, sell: ``bid_yes + bid_no - fees > 1 + edge`` and both are held: sell both.
* Basket (the markets of a neg-risk event, exactly one of which resolves YES):
  ``sum(ask_yes) + fees < 1 - edge``: buy the YES token of every market.

Fees per share are Polymarket's taker fee ``fee_rate * p * (1 - p)`` (the paper venue's
:func:`~agbotkit.exec.rules.taker_fee`). The size is the thinnest leg's size at its best
price, capped by ``max_size`` (and, for sales, by what is held). Legs go out together as
FOK orders (all or nothing each); if one leg fails, the others are cancelled and what
filled is unwound (:class:`~agbotkit.strategies.reference.legs.LegGroup`). One group is
in flight at a time.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from agbotkit.config.checks import at_least, between, greater_than, one_of
from agbotkit.exec.rules import taker_fee
from agbotkit.model.books import Side
from agbotkit.model.execution import OrderStatusChanged
from agbotkit.model.orders import Fill, OrderType
from agbotkit.strategies.api import BookView, OrderRejection, Strategy, StrategyMetadata
from agbotkit.strategies.reference.legs import LegGroup
from agbotkit.strategies.reference.ticks import shares

__all__ = ["ParityArbitrage", "ParityArbitrageConfig"]

_ONE = Decimal(1)


@attrs.frozen(kw_only=True)
class ParityArbitrageConfig:
    """Parameters of ``parity_arbitrage`` (docs/strategies/parity_arbitrage.md).

    Attributes:
        edge: the smallest profit per share (after fees) worth trading.
        max_size: the most shares per leg per trade.
        min_size: the fewest shares worth a trade.
        fee_rate: the taker fee rate of the fee formula.
        baskets: neg-risk events, each the markets (condition ids) whose YES tokens form
            a basket; markets not in a basket are traded as YES/NO pairs.
        leg_order_type: ``FOK`` (default) or ``FAK`` for the legs.
        unwind_ticks: how many ticks past the touch an unwind order is priced.
        sell_pairs: also sell held pairs priced above 1.
    """

    edge: float = attrs.field(default=0.005, validator=between(0, 0.5))
    max_size: float = attrs.field(default=100.0, validator=greater_than(0))
    min_size: float = attrs.field(default=5.0, validator=at_least(0))
    fee_rate: float = attrs.field(default=0.0, validator=between(0, 1))
    baskets: tuple[tuple[str, ...], ...] = ()
    leg_order_type: str = attrs.field(default="FOK", validator=one_of("FOK", "FAK"))
    unwind_ticks: int = attrs.field(default=1, validator=at_least(0))
    sell_pairs: bool = True


class ParityArbitrage(Strategy[ParityArbitrageConfig]):
    """YES/NO parity and neg-risk basket arbitrage, all legs or none."""

    Config = ParityArbitrageConfig

    def __init__(self, config: ParityArbitrageConfig, context: Any) -> None:
        super().__init__(config, context)
        self._group: LegGroup | None = None
        self._basket_of = {m: basket for basket in config.baskets for m in basket}
        self._edge = Decimal(str(config.edge))
        self._fee_rate = Decimal(str(config.fee_rate))
        self._order_type = OrderType(config.leg_order_type)
        self.completed = 0
        self.failed = 0

    @classmethod
    def metadata(cls) -> StrategyMetadata:
        """``parity_arbitrage``."""
        return StrategyMetadata(
            name="parity_arbitrage",
            version="1",
            description="YES+NO parity and neg-risk basket arbitrage, all legs or none.",
        )

    def on_book(self, book: BookView) -> None:
        """Look for a mispriced pair or basket involving this token's market."""
        if self._group is not None and self._group.active:
            return
        basket = self._basket_of.get(book.market_id)
        if basket is not None:
            self._try_basket(basket)
        else:
            self._try_pair(book.market_id)

    def _books(self, tokens: list[str]) -> list[BookView] | None:
        books = [self.context.book(token) for token in tokens]
        if any(b is None or not b.valid for b in books):
            return None
        return [b for b in books if b is not None]

    def _fee(self, price: Decimal) -> Decimal:
        return taker_fee(_ONE, price, self._fee_rate)

    def _try_pair(self, market_id: str) -> None:
        tokens = list(self.context.tokens(market_id))
        books = self._books(tokens) if len(tokens) == 2 else None
        if books is None:
            return
        if self._try_buy(tokens, books):
            return
        if self.config.sell_pairs:
            self._try_sell(tokens, books)

    def _try_basket(self, basket: tuple[str, ...]) -> None:
        tokens = [self.context.tokens(m)[0] for m in basket if self.context.tokens(m)]
        books = self._books(tokens) if len(tokens) == len(basket) else None
        if books is not None:
            self._try_buy(tokens, books)

    def _try_buy(self, tokens: list[str], books: list[BookView]) -> bool:
        asks = [b.best_ask for b in books]
        if any(a is None for a in asks):
            return False
        prices = [Decimal(str(a)) for a in asks]
        cost = sum((p + self._fee(p) for p in prices), Decimal(0))
        if cost >= _ONE - self._edge:
            return False
        size = min([b.best_ask_size for b in books] + [self.config.max_size])
        return self._send(tokens, Side.BUY, prices, size)

    def _try_sell(self, tokens: list[str], books: list[BookView]) -> bool:
        bids = [b.best_bid for b in books]
        if any(b is None for b in bids):
            return False
        prices = [Decimal(str(b)) for b in bids]
        proceeds = sum((p - self._fee(p) for p in prices), Decimal(0))
        if proceeds <= _ONE + self._edge:
            return False
        held = [float(self.context.get_position(t)) for t in tokens]
        size = min([b.best_bid_size for b in books] + held + [self.config.max_size])
        return self._send(tokens, Side.SELL, prices, size)

    def _send(self, tokens: list[str], side: Side, prices: list[Decimal], size: float) -> bool:
        if size < max(self.config.min_size, 1e-9):
            return False
        size_d = shares(size)
        legs = [(t, side, p, size_d) for t, p in zip(tokens, prices, strict=True)]
        self._group = LegGroup.send(self.context, legs, self._order_type)
        self.context.signal("parity_buy" if side is Side.BUY else "parity_sell")
        return True

    def on_fill(self, fill: Fill) -> None:
        """Count a leg's fill (an unwind's fill needs nothing)."""
        group = self._group
        if group is not None:
            group.filled(self.context, fill.client_order_id, fill.size, self.config.unwind_ticks)

    def on_order_update(self, change: OrderStatusChanged) -> None:
        """A leg or an unwind ended: maybe the group failed, maybe it is over."""
        group = self._group
        if group is None or not change.status.terminal or not group.owns(change.client_order_id):
            return
        group.ended(self.context, change.client_order_id, self.config.unwind_ticks)
        self._settle(group)

    def on_rejected(self, rejection: OrderRejection) -> None:
        """A refused leg fails the group."""
        group = self._group
        if group is not None and group.owns(rejection.client_order_id):
            group.ended(self.context, rejection.client_order_id, self.config.unwind_ticks)
            self._settle(group)

    def _settle(self, group: LegGroup) -> None:
        if group.active:
            return
        if group.succeeded:
            self.completed += 1
            self.context.signal("parity_completed")
        else:
            self.failed += 1
            self.context.signal("parity_failed")
        self._group = None
