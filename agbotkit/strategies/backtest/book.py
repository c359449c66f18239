"""The backtester's order book of one token, and the strategy's view of it.

The replay applies hundreds of thousands of level changes a second, so the engine writes
each pre-decoded change straight into :class:`TokenBook`'s dicts (see
:mod:`agbotkit.strategies.backtest.engine`). The structure is that of
:class:`agbotkit.marketdata.book.OrderBook` (a dict ``price -> size`` per side plus an
ascending list of its prices kept with :mod:`bisect`, the exact Decimals of the wire), and
the tests replay the same frames through both and compare every level after every event.
What it leaves out are the live book's consistency checks (crossed book, the feed's best
bid/ask): a recording cannot be resubscribed, so the backtest trusts it.

It answers the fill simulator's questions (``bids``, ``asks``, ``size_at``: Decimals);
:class:`TokenView` answers a strategy's (:class:`~agbotkit.strategies.api.BookView`:
floats), reading the live book when asked, so nothing is built per event.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from decimal import Decimal

from agbotkit.model.books import PriceLevel, Side
from agbotkit.model.members import BUY
from agbotkit.model.numbers import as_float

__all__ = ["TokenBook", "TokenView"]

_ZERO = Decimal(0)
_DEFAULT_TICK = Decimal("0.01")


class TokenBook:
    """One token's book (mutable; the engine writes its fields directly).

    Attributes:
        token_id: the token.
        market_id: its market.
        bids: bid price -> size.
        asks: ask price -> size.
        bid_prices: bid prices, ascending (the best bid is the last).
        ask_prices: ask prices, ascending (the best ask is the first).
        valid: built from a snapshot (and not dropped by a tick-size change since).
        timestamp_ms: server time of the last event applied.
        tick_size: the token's tick size.
        watched: the fill simulator must see this token's changes (orders rest on it, or
            it took liquidity from it).
        view: the strategy's view of this book.
    """

    __slots__ = (
        "ask_prices",
        "asks",
        "bid_prices",
        "bids",
        "market_id",
        "sim",
        "tick_size",
        "timestamp_ms",
        "token_id",
        "valid",
        "view",
        "watched",
    )

    def __init__(self, token_id: str, market_id: str, tick_size: Decimal | None = None) -> None:
        self.token_id = token_id
        self.market_id = market_id
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}
        self.bid_prices: list[Decimal] = []
        self.ask_prices: list[Decimal] = []
        self.valid = False
        self.timestamp_ms = 0
        self.tick_size = tick_size or _DEFAULT_TICK
        self.watched = False
        self.view = TokenView(self)
        #: the book as the fill simulator reads it (one per book: it is read per event)
        self.sim = _SimView(self)

    def load(
        self, bids: Iterable[PriceLevel], asks: Iterable[PriceLevel], timestamp_ms: int
    ) -> None:
        """Replace every level (a snapshot), in place: the engine holds these dicts."""
        self.bids.clear()
        self.bids.update((price, size) for price, size in bids if size)
        self.asks.clear()
        self.asks.update((price, size) for price, size in asks if size)
        self.bid_prices[:] = sorted(self.bids)
        self.ask_prices[:] = sorted(self.asks)
        self.timestamp_ms = timestamp_ms
        self.valid = True

    def reset(self) -> None:
        """Back to no snapshot, nothing watched (before a new run over the same data)."""
        self.drop(self.tick_size, 0)
        self.watched = False

    def drop(self, tick_size: Decimal, timestamp_ms: int) -> None:
        """Forget every level until the next snapshot (the tick size changed)."""
        for levels in (self.bids, self.asks):
            levels.clear()
        self.bid_prices.clear()
        self.ask_prices.clear()
        self.tick_size = tick_size
        self.timestamp_ms = timestamp_ms
        self.valid = False

    def set_level(self, is_bid: bool, price: Decimal, size: Decimal) -> None:
        """Set one level's size (0 removes it); what the engine's loop does inline."""
        levels, prices = (self.bids, self.bid_prices) if is_bid else (self.asks, self.ask_prices)
        if size:
            if price not in levels:
                prices.insert(bisect_left(prices, price), price)
            levels[price] = size
        elif price in levels:
            del levels[price]
            del prices[bisect_left(prices, price)]

    # -- what the fill simulator reads (exact) ---------------------------------------

    def bids_of(self, depth: int | None) -> list[PriceLevel]:
        """Bid levels, best (highest) first, at most ``depth`` (all when None)."""
        prices = self.bid_prices
        # The best level, what every order asks for first: tuple.__new__ skips the named
        # tuple's generated __new__, 3x slower.
        if depth == 1 and prices:
            best = prices[-1]
            return [tuple.__new__(PriceLevel, (best, self.bids[best]))]
        if depth is None or depth >= len(prices):
            chosen = prices[::-1]
        elif depth <= 0:
            chosen = []
        else:
            chosen = prices[-depth:][::-1]
        levels = self.bids
        return [PriceLevel(price, levels[price]) for price in chosen]

    def asks_of(self, depth: int | None) -> list[PriceLevel]:
        """Ask levels, best (lowest) first, at most ``depth`` (all when None)."""
        prices = self.ask_prices
        if depth == 1 and prices:
            best = prices[0]
            return [tuple.__new__(PriceLevel, (best, self.asks[best]))]
        chosen = prices if depth is None else prices[: max(depth, 0)]
        levels = self.asks
        return [PriceLevel(price, levels[price]) for price in chosen]

    def size_at(self, side: Side, price: Decimal) -> Decimal:
        """The size displayed at ``price`` on ``side`` (``BUY``: bids), 0 when none."""
        return (self.bids if side is BUY else self.asks).get(price, _ZERO)

    @property
    def mid(self) -> Decimal | None:
        """The exact midpoint, ``None`` unless both sides have levels."""
        if not self.bid_prices or not self.ask_prices:
            return None
        return (self.bid_prices[-1] + self.ask_prices[0]) / 2


class _SimView:
    """A :class:`TokenBook` as the fill simulator's ``BookView`` (``bids``/``asks`` are the
    level dicts on the book itself, so the simulator gets these methods instead)."""

    __slots__ = ("_book",)

    def __init__(self, book: TokenBook) -> None:
        self._book = book

    def bids(self, depth: int | None = None) -> list[PriceLevel]:
        return self._book.bids_of(depth)

    def asks(self, depth: int | None = None) -> list[PriceLevel]:
        return self._book.asks_of(depth)

    def size_at(self, side: Side, price: Decimal) -> Decimal:
        return self._book.size_at(side, price)


class TokenView:
    """A strategy's :class:`~agbotkit.strategies.api.BookView` of a :class:`TokenBook`:
    every property reads the book now (floats)."""

    __slots__ = ("_book",)

    def __init__(self, book: TokenBook) -> None:
        self._book = book

    @property
    def token_id(self) -> str:
        return self._book.token_id

    @property
    def market_id(self) -> str:
        return self._book.market_id

    @property
    def timestamp_ms(self) -> int:
        return self._book.timestamp_ms

    @property
    def valid(self) -> bool:
        return self._book.valid

    @property
    def best_bid(self) -> float | None:
        prices = self._book.bid_prices
        return as_float(prices[-1]) if prices else None

    @property
    def best_ask(self) -> float | None:
        prices = self._book.ask_prices
        return as_float(prices[0]) if prices else None

    @property
    def best_bid_size(self) -> float:
        book = self._book
        return as_float(book.bids[book.bid_prices[-1]]) if book.bid_prices else 0.0

    @property
    def best_ask_size(self) -> float:
        book = self._book
        return as_float(book.asks[book.ask_prices[0]]) if book.ask_prices else 0.0

    @property
    def mid(self) -> float | None:
        book = self._book
        if not book.bid_prices or not book.ask_prices:
            return None
        return (as_float(book.bid_prices[-1]) + as_float(book.ask_prices[0])) / 2

    @property
    def tick_size(self) -> float:
        return as_float(self._book.tick_size)

    def bids(self, depth: int = 10) -> list[tuple[float, float]]:
        return [(as_float(p), as_float(s)) for p, s in self._book.bids_of(depth)]

    def asks(self, depth: int = 10) -> list[tuple[float, float]]:
        return [(as_float(p), as_float(s)) for p, s in self._book.asks_of(depth)]
