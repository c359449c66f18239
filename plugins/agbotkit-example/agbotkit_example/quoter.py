"""``example_quoter``: a strategy that quotes one tick inside the spread.

On every book of a market's YES token it keeps at most two post-only orders:

* a **bid** one tick above the best bid (at the best bid when the spread is one tick),
  while it holds less than ``max_position`` shares;
* an **ask** one tick below the best ask (at the best ask when the spread is one tick),
  for what it holds (Polymarket has no short sales), at most ``size``.

It requotes only when the price it wants moved: it cancels the old order and submits a
new one. It is small on purpose: the strategy guide (docs/strategies.md) walks through
it. It imports only ``from agbotkit import ...``, as any strategy plugin can.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from agbotkit import (
    BookView,
    OrderRejection,
    OrderStatusChanged,
    Side,
    Strategy,
    StrategyContext,
    StrategyMetadata,
    greater_than,
)

__all__ = ["ExampleQuoter", "QuoterConfig"]


@attrs.frozen
class QuoterConfig:
    """Parameters of ``example_quoter`` (the stack entry's ``params``).

    Attributes:
        size: shares per order (the paper venue rests nothing below 5).
        max_position: it stops bidding a token once it holds this many shares.
    """

    size: Decimal = attrs.field(default=Decimal(5), validator=greater_than(0))
    max_position: Decimal = attrs.field(default=Decimal(50), validator=greater_than(0))


@attrs.define
class _Quote:
    client_order_id: str
    price: Decimal


class ExampleQuoter(Strategy[QuoterConfig]):
    """Quotes one tick inside the spread on each market's YES token."""

    Config = QuoterConfig

    def __init__(self, config: QuoterConfig, context: StrategyContext) -> None:
        super().__init__(config, context)
        self.quotes: dict[tuple[str, Side], _Quote] = {}

    @classmethod
    def metadata(cls) -> StrategyMetadata:
        return StrategyMetadata(
            name="example_quoter",
            version="0.1.0",
            description="quotes one tick inside the spread on each market's YES token",
        )

    def on_book(self, book: BookView) -> None:
        tokens = self.context.tokens(book.market_id)
        if tokens and book.token_id != tokens[0]:
            return  # YES only
        bid, ask = book.best_bid, book.best_ask
        if not book.valid or bid is None or ask is None:
            return
        tick = Decimal(str(book.tick_size))
        bid_ticks, ask_ticks = round(bid / book.tick_size), round(ask / book.tick_size)
        if ask_ticks - bid_ticks > 1:
            bid_ticks, ask_ticks = bid_ticks + 1, ask_ticks - 1
        if ask_ticks <= bid_ticks:  # a one-tick spread after stepping in: join the touch
            bid_ticks, ask_ticks = round(bid / book.tick_size), round(ask / book.tick_size)
        held = self.context.get_position(book.token_id)
        size = self.config.size
        want_bid = size if held + size <= self.config.max_position else None
        want_ask = min(size, held) if held > 0 else None
        self._keep(book, Side.BUY, bid_ticks * tick, want_bid)
        self._keep(book, Side.SELL, ask_ticks * tick, want_ask)
        self.context.metric("example_quoter.spread_ticks", float(ask_ticks - bid_ticks))

    def _keep(self, book: BookView, side: Side, price: Decimal, size: Decimal | None) -> None:
        """Keep one order on ``side`` at ``price`` (none when ``size`` is None)."""
        key = (book.token_id, side)
        quote = self.quotes.get(key)
        if quote is not None and (size is None or quote.price != price):
            self.context.cancel_order(quote.client_order_id)
            del self.quotes[key]
            quote = None
        if quote is None and size is not None:
            client_order_id = self.context.submit_order(
                book.token_id, side, price, size, post_only=True
            )
            self.quotes[key] = _Quote(client_order_id, price)
            self.context.signal("requote")

    def on_order_update(self, change: OrderStatusChanged) -> None:
        # A quote that ended (filled, cancelled, expired) is replaced on the next book.
        if change.status.terminal:
            self._forget(change.client_order_id)

    def on_rejected(self, rejection: OrderRejection) -> None:
        self.context.logger.info("%s rejected by %s: %s", rejection.client_order_id,
                                 rejection.stage, rejection.reason)  # fmt: skip
        self._forget(rejection.client_order_id)

    def _forget(self, client_order_id: str) -> None:
        for key, quote in list(self.quotes.items()):
            if quote.client_order_id == client_order_id:
                del self.quotes[key]
