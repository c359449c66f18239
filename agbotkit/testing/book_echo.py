"""``BookEcho``: a deterministic strategy for checking that a runner feeds a strategy the
same books as another (live replay against the backtester, say).

Its orders depend on nothing but the books of one token: each time the best bid of that
token changes, it bids ``size`` at the new best bid (post-only, so it never takes), until
it has sent ``max_orders``. Fills, rejections and timing change nothing it does, so two
runners replaying the same data must make it send the same orders in the same order.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from agbotkit.model.books import Side
from agbotkit.strategies.api import BookView, Strategy, StrategyMetadata

__all__ = ["BookEcho", "BookEchoConfig"]


@attrs.frozen
class BookEchoConfig:
    """Options of :class:`BookEcho`.

    Attributes:
        token_id: the token whose best bid it follows.
        size: shares per order.
        max_orders: it stops after this many orders.
    """

    token_id: str
    size: Decimal = Decimal(5)
    max_orders: int = 20


class BookEcho(Strategy[BookEchoConfig]):
    """Bids at every new best bid of one token (see the module docstring)."""

    Config = BookEchoConfig

    @classmethod
    def metadata(cls) -> StrategyMetadata:
        return StrategyMetadata(name="book_echo", description="bids at each new best bid")

    def on_start(self) -> None:
        self.last_bid: float | None = None
        self.sent: list[tuple[str, Side, str, str]] = []

    def on_book(self, book: BookView) -> None:
        config = self.config
        if (
            book.token_id != config.token_id
            or not book.valid
            or len(self.sent) >= config.max_orders
        ):
            return
        bid = book.best_bid
        if bid is None or bid == self.last_bid:
            return
        self.last_bid = bid
        price = Decimal(str(bid))
        self.context.submit_order(book.token_id, Side.BUY, price, config.size, post_only=True)
        self.sent.append((book.token_id, Side.BUY, str(price), str(config.size)))
