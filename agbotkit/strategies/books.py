"""Book views for strategies: what :meth:`StrategyContext.book` returns.

:class:`TopBookView` is a :class:`~agbotkit.strategies.api.BookView` made from a
:class:`~agbotkit.model.feeds.BookTop` (what the ``clob_market`` component publishes on
``BOOKS``): its Decimal levels become floats once, when the view is made, so a strategy's
reads cost an attribute lookup. It holds the depth the market-data component publishes
(``book_depth``, 5 levels by default).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from agbotkit.model.books import PriceLevel
from agbotkit.model.feeds import BookTop

__all__ = ["DEFAULT_TICK_SIZE", "TopBookView"]

#: The tick size assumed until the market's metadata or a tick-size change says otherwise
#: (Polymarket's most common one).
DEFAULT_TICK_SIZE = 0.01

Levels = tuple[tuple[float, float], ...]


def _levels(levels: Sequence[PriceLevel]) -> Levels:
    return tuple((float(price), float(size)) for price, size in levels)


@attrs.frozen(slots=True)
class TopBookView:
    """A token's book as floats (a :class:`~agbotkit.strategies.api.BookView`).

    Attributes:
        token_id: the token.
        market_id: its market (condition id).
        timestamp_ms: the server time of the update that made this book, Unix ms.
        valid: False while the book waits for a snapshot.
        bid_levels: bid levels ``(price, size)``, best first.
        ask_levels: ask levels ``(price, size)``, best first.
        tick_size: the token's tick size.
    """

    token_id: str
    market_id: str
    timestamp_ms: int
    valid: bool
    bid_levels: Levels
    ask_levels: Levels
    tick_size: float = DEFAULT_TICK_SIZE

    @classmethod
    def from_top(cls, top: BookTop, tick_size: float = DEFAULT_TICK_SIZE) -> TopBookView:
        """The view of ``top`` (prices and sizes as floats)."""
        return cls(
            top.asset_id,
            top.market,
            top.timestamp_ms,
            top.valid,
            _levels(top.bids),
            _levels(top.asks),
            tick_size,
        )

    def with_tick_size(self, tick_size: float) -> TopBookView:
        """The same book with another tick size (after a tick-size change)."""
        return attrs.evolve(self, tick_size=tick_size)

    @property
    def best_bid(self) -> float | None:
        """The best bid, ``None`` for an empty side."""
        return self.bid_levels[0][0] if self.bid_levels else None

    @property
    def best_ask(self) -> float | None:
        """The best ask, ``None`` for an empty side."""
        return self.ask_levels[0][0] if self.ask_levels else None

    @property
    def best_bid_size(self) -> float:
        """Shares at the best bid (0 for an empty side)."""
        return self.bid_levels[0][1] if self.bid_levels else 0.0

    @property
    def best_ask_size(self) -> float:
        """Shares at the best ask (0 for an empty side)."""
        return self.ask_levels[0][1] if self.ask_levels else 0.0

    @property
    def mid(self) -> float | None:
        """``(best_bid + best_ask) / 2`` when both sides have a level."""
        if not self.bid_levels or not self.ask_levels:
            return None
        return (self.bid_levels[0][0] + self.ask_levels[0][0]) / 2

    def bids(self, depth: int = 10) -> Sequence[tuple[float, float]]:
        """Up to ``depth`` bid levels ``(price, size)``, best first."""
        return self.bid_levels[:depth]

    def asks(self, depth: int = 10) -> Sequence[tuple[float, float]]:
        """Up to ``depth`` ask levels ``(price, size)``, best first."""
        return self.ask_levels[:depth]
