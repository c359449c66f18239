"""Order-book and tape signals: book imbalance, microprice, spread, trade flow.

Book signals read a :class:`~agbotkit.strategies.api.BookView` in ``update(book)`` (cost:
the levels read, ``depth`` at most); :class:`TradeFlow` takes one trade at a time in O(1)
(amortised, for its window). ``value`` is NaN until a book with the needed sides (or a
first trade) was seen; read it once ``ready``.
"""

from __future__ import annotations

import collections
import math

from agbotkit.model.books import Side
from agbotkit.model.markets import Trade
from agbotkit.strategies.api import BookView

__all__ = ["BookImbalance", "Microprice", "Spread", "TradeFlow"]


class BookImbalance:
    """``(bid shares - ask shares) / (bid shares + ask shares)`` over the best ``depth``
    levels of each side: from -1 (only asks) to 1 (only bids).

    Args:
        depth: how many levels of each side count.
    """

    __slots__ = ("_depth", "value")

    def __init__(self, depth: int = 1) -> None:
        if depth < 1:
            raise ValueError(f"depth must be >= 1, got {depth}")
        self._depth = depth
        self.value = math.nan

    @property
    def ready(self) -> bool:
        """Whether a book with shares on either side was seen."""
        return not math.isnan(self.value)

    def update(self, book: BookView) -> float:
        """Read a book; the new imbalance (unchanged for an empty book)."""
        if self._depth == 1:
            bid, ask = book.best_bid_size, book.best_ask_size
        else:
            bid = sum(size for _, size in book.bids(self._depth))
            ask = sum(size for _, size in book.asks(self._depth))
        total = bid + ask
        if total > 0:
            self.value = (bid - ask) / total
        return self.value


class Microprice:
    """The size-weighted mid: ``(bid * ask_size + ask * bid_size) / (bid_size + ask_size)``
    (Stoikov's microprice at the first level); it leans toward the side about to be
    taken (a big bid pushes it up toward the ask)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = math.nan

    @property
    def ready(self) -> bool:
        """Whether a two-sided book was seen."""
        return not math.isnan(self.value)

    def update(self, book: BookView) -> float:
        """Read a book; the new microprice (unchanged while a side is empty)."""
        bid, ask = book.best_bid, book.best_ask
        if bid is not None and ask is not None:
            bid_size, ask_size = book.best_bid_size, book.best_ask_size
            total = bid_size + ask_size
            self.value = (bid * ask_size + ask * bid_size) / total if total > 0 else (bid + ask) / 2
        return self.value


class Spread:
    """The best ask minus the best bid (``value``), also in ticks (``ticks``)."""

    __slots__ = ("ticks", "value")

    def __init__(self) -> None:
        self.value = math.nan
        self.ticks = math.nan

    @property
    def ready(self) -> bool:
        """Whether a two-sided book was seen."""
        return not math.isnan(self.value)

    def update(self, book: BookView) -> float:
        """Read a book; the new spread (unchanged while a side is empty)."""
        bid, ask = book.best_bid, book.best_ask
        if bid is not None and ask is not None:
            self.value = ask - bid
            self.ticks = round(self.value / book.tick_size, 9)
        return self.value


class TradeFlow:
    """Signed traded volume: buys (the taker bought) count positive, sells negative.

    Two forms: the plain sum over the last ``window_ms`` (trades older than that, counted
    from the latest trade's time, drop out), or, with ``halflife_ms``, a sum whose terms
    decay by half every ``halflife_ms``. ``imbalance`` is ``value`` over the unsigned
    volume of the same window or decay, from -1 (only sells) to 1 (only buys).

    Args:
        window_ms: the window's length (give this or ``halflife_ms``).
        halflife_ms: the decay's half-life.
    """

    __slots__ = ("_decay", "_last_ms", "_total", "_trades", "_window", "value")

    def __init__(self, window_ms: int | None = None, *, halflife_ms: float | None = None) -> None:
        if (window_ms is None) == (halflife_ms is None):
            raise ValueError("give either window_ms or halflife_ms")
        if (window_ms is not None and window_ms <= 0) or (
            halflife_ms is not None and halflife_ms <= 0
        ):
            raise ValueError("window_ms and halflife_ms must be > 0")
        self._window = window_ms
        self._decay = math.log(2) / halflife_ms if halflife_ms is not None else 0.0
        self._trades: collections.deque[tuple[int, float]] = collections.deque()
        self._total = 0.0
        self._last_ms: int | None = None
        self.value = math.nan

    @property
    def ready(self) -> bool:
        """Whether a trade was seen."""
        return self._last_ms is not None

    @property
    def volume(self) -> float:
        """Unsigned volume of the window (or decayed)."""
        return self._total

    @property
    def imbalance(self) -> float:
        """``value / volume`` (0 when no volume)."""
        return self.value / self._total if self._total > 0 else 0.0

    def on_trade(self, trade: Trade) -> float:
        """:meth:`update` from a public trade print."""
        return self.update(trade.side, float(trade.size), trade.timestamp_ms)

    def update(self, side: Side, size: float, timestamp_ms: int) -> float:
        """Add a trade of ``size`` shares (``side``: the taker's) at ``timestamp_ms``
        (times must not go back); the new signed volume."""
        signed = size if side is Side.BUY else -size
        value = 0.0 if self._last_ms is None else self.value
        if self._window is not None:
            trades = self._trades
            trades.append((timestamp_ms, signed))
            value += signed
            self._total += size
            horizon = timestamp_ms - self._window
            while trades[0][0] <= horizon:
                _, old = trades.popleft()
                value -= old
                self._total -= abs(old)
        else:
            if self._last_ms is not None:
                factor = math.exp(-self._decay * (timestamp_ms - self._last_ms))
                value *= factor
                self._total *= factor
            value += signed
            self._total += size
        self._last_ms = timestamp_ms
        self.value = value
        return value
