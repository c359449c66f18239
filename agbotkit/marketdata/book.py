"""Order books per token, rebuilt from CLOB ``book`` snapshots and ``price_change`` deltas.

Pure and synchronous: no trio, no I/O. A feed applies events and acts on the result::

    result = books.apply(event)
    if result is ApplyResult.RESYNC:
        resubscribe(event.asset_id)        # the server then sends a fresh ``book``

Each side is a dict ``price -> size`` plus an ascending list of its prices kept sorted with
:mod:`bisect`, so a level update costs a dict write and at most one insertion or deletion in
a short list, and the best level is an index away. Prices are the exact ``Decimal`` values
from the wire; their hashes are cached by ``Decimal`` and the translator shares one object
per price string, which keeps the dict work cheap.
"""

from __future__ import annotations

import enum
from bisect import bisect_left, insort
from collections.abc import Iterator
from decimal import Decimal

import attrs

from agbotkit.model.books import (
    BookDelta,
    BookSnapshot,
    PriceLevel,
    ResyncCause,
    Side,
    TickSizeChanged,
)
from agbotkit.model.feeds import ClobEvent

__all__ = ["ApplyResult", "BookState", "OrderBook", "OrderBooks"]

_BUY = Side.BUY
_ZERO = Decimal(0)
_ONE = Decimal(1)


class BookState(enum.Enum):
    """Where a book stands."""

    #: No snapshot yet (new book, or reset after a reconnect).
    EMPTY = "empty"
    #: Built from a snapshot and every delta since; consistent.
    VALID = "valid"
    #: The tick size changed: levels were dropped until the next snapshot.
    DROPPED = "dropped"
    #: Crossed, or contradicted by the feed: resubscribe to get a fresh snapshot.
    INCONSISTENT = "inconsistent"


class ApplyResult(enum.Enum):
    """What applying one event did."""

    #: The event was applied and the book is consistent.
    APPLIED = "applied"
    #: Not applied: the book was dropped after a tick-size change and waits for a snapshot.
    WAITING = "waiting"
    #: The book is inconsistent (see :attr:`OrderBook.resync_reason`): resubscribe the token.
    RESYNC = "resync"


@attrs.define(slots=True, eq=False)
class OrderBook:
    """The aggregated order book of one token.

    Attributes:
        asset_id: the token id.
        market: the condition id, once a snapshot has named it.
        timestamp_ms: server timestamp of the last applied event, ``None`` before any.
        hash: the server's book hash after the last applied event, when sent.
        tick_size: the token's tick size, when a snapshot or a tick-size change gave it.
    """

    asset_id: str
    market: str | None = None
    timestamp_ms: int | None = None
    hash: str | None = None
    tick_size: Decimal | None = None
    _bids: dict[Decimal, Decimal] = attrs.field(init=False, factory=dict)
    _asks: dict[Decimal, Decimal] = attrs.field(init=False, factory=dict)
    # Both ascending: the best bid is the last bid price, the best ask the first ask price.
    _bid_prices: list[Decimal] = attrs.field(init=False, factory=list)
    _ask_prices: list[Decimal] = attrs.field(init=False, factory=list)
    _state: BookState = attrs.field(init=False, default=BookState.EMPTY)
    _resync_reason: str | None = attrs.field(init=False, default=None)
    _resync_cause: ResyncCause | None = attrs.field(init=False, default=None)

    # --- state ------------------------------------------------------------------------------

    @property
    def state(self) -> BookState:
        """Where the book stands."""
        return self._state

    @property
    def valid(self) -> bool:
        """Whether the book can be trusted: built from a snapshot and consistent since."""
        return self._state is BookState.VALID

    @property
    def needs_resync(self) -> bool:
        """Whether the caller should resubscribe the token to get a fresh snapshot."""
        return self._state is BookState.INCONSISTENT

    @property
    def resync_reason(self) -> str | None:
        """Why the book needs a resync, e.g. ``crossed book: best bid 0.6 >= best ask 0.5``."""
        return self._resync_reason

    @property
    def resync_cause(self) -> ResyncCause | None:
        """Why the book needs a resync, in a word (see :class:`ResyncCause`)."""
        return self._resync_cause

    def reset(self) -> None:
        """Forget every level and wait for a snapshot (e.g. after a reconnect)."""
        self._clear()
        self._state = BookState.EMPTY
        self._resync_reason = None
        self._resync_cause = None

    # --- applying events --------------------------------------------------------------------

    def apply_snapshot(self, snapshot: BookSnapshot) -> ApplyResult:
        """Replace the book with ``snapshot`` (level order on the wire does not matter).

        Returns:
            ``APPLIED``, or ``RESYNC`` if the snapshot itself is crossed.

        Raises:
            ValueError: the snapshot is for another token.
        """
        self._check_asset(snapshot.asset_id)
        bids = {price: size for price, size in snapshot.bids if size}
        asks = {price: size for price, size in snapshot.asks if size}
        self._bids = bids
        self._asks = asks
        self._bid_prices = sorted(bids)
        self._ask_prices = sorted(asks)
        self.market = snapshot.market
        self.timestamp_ms = snapshot.timestamp_ms
        self.hash = snapshot.hash
        if snapshot.tick_size is not None:
            self.tick_size = snapshot.tick_size
        self._state = BookState.VALID
        self._resync_reason = None
        self._resync_cause = None
        return self._check(None, None)

    def apply_delta(self, delta: BookDelta) -> ApplyResult:
        """Apply level replacements: each change sets the level's new absolute size, 0 removes.

        Returns:
            ``APPLIED``; ``WAITING`` (not applied) while the book is dropped after a tick-size
            change; ``RESYNC`` when the delta comes before any snapshot, leaves the book
            crossed, or carries a best bid/ask that differs from the book's, and for every
            delta after that until the next snapshot (those are not applied).

        Raises:
            ValueError: the delta is for another token.
        """
        if delta.asset_id != self.asset_id:
            self._check_asset(delta.asset_id)
        if self._state is not BookState.VALID:
            return self._not_valid()
        bids = self._bids
        asks = self._asks
        bid_prices = self._bid_prices
        ask_prices = self._ask_prices
        for side, price, size in delta.changes:
            if side is _BUY:
                levels = bids
                prices = bid_prices
            else:
                levels = asks
                prices = ask_prices
            if size:
                if price not in levels:
                    insort(prices, price)
                levels[price] = size
            elif price in levels:
                del levels[price]
                del prices[bisect_left(prices, price)]
        self.timestamp_ms = delta.timestamp_ms
        if delta.hash is not None:
            self.hash = delta.hash
        return self._check(delta.best_bid, delta.best_ask)

    def apply_tick_size_change(self, event: TickSizeChanged) -> ApplyResult:
        """Drop every level: prices on the old grid may be off the new one.

        The book stays not valid until the next snapshot; deltas meanwhile are ignored.

        Returns:
            ``WAITING``, or ``RESYNC`` if the book was already inconsistent.

        Raises:
            ValueError: the event is for another token.
        """
        self._check_asset(event.asset_id)
        self._clear()
        self.tick_size = event.new_tick_size
        self.timestamp_ms = event.timestamp_ms
        if self._state is BookState.INCONSISTENT:
            return ApplyResult.RESYNC
        self._state = BookState.DROPPED
        return ApplyResult.WAITING

    def _check_asset(self, asset_id: str) -> None:
        if asset_id != self.asset_id:
            raise ValueError(f"event for token {asset_id} applied to the book of {self.asset_id}")

    def _not_valid(self) -> ApplyResult:
        if self._state is BookState.DROPPED:
            return ApplyResult.WAITING
        if self._state is BookState.EMPTY:
            return self._flag(ResyncCause.NO_SNAPSHOT, "price_change before any book snapshot")
        return ApplyResult.RESYNC

    def _check(self, best_bid: Decimal | None, best_ask: Decimal | None) -> ApplyResult:
        """Check the book after an update, against itself and the frame's top of book."""
        bid_prices = self._bid_prices
        ask_prices = self._ask_prices
        bid = bid_prices[-1] if bid_prices else None
        ask = ask_prices[0] if ask_prices else None
        if bid is not None and ask is not None and bid >= ask:
            return self._flag(
                ResyncCause.CROSSED, f"crossed book: best bid {bid} >= best ask {ask}"
            )
        # The feed reports an empty bid side as best bid 0 ...
        if best_bid is not None and best_bid != bid and (bid is not None or best_bid != _ZERO):
            return self._flag(
                ResyncCause.BEST_BID, f"best bid {best_bid} in the feed, {bid} in the book"
            )
        # ... and an empty ask side as best ask 0 or 1 (no ask can rest at 1).
        if (
            best_ask is not None
            and best_ask != ask
            and (ask is not None or (best_ask != _ZERO and best_ask != _ONE))
        ):
            return self._flag(
                ResyncCause.BEST_ASK, f"best ask {best_ask} in the feed, {ask} in the book"
            )
        return ApplyResult.APPLIED

    def _flag(self, cause: ResyncCause, reason: str) -> ApplyResult:
        self._state = BookState.INCONSISTENT
        self._resync_reason = reason
        self._resync_cause = cause
        return ApplyResult.RESYNC

    def _clear(self) -> None:
        self._bids = {}
        self._asks = {}
        self._bid_prices = []
        self._ask_prices = []

    # --- queries ----------------------------------------------------------------------------

    @property
    def best_bid(self) -> PriceLevel | None:
        """The highest bid, ``None`` when there are no bids."""
        prices = self._bid_prices
        if not prices:
            return None
        price = prices[-1]
        return PriceLevel(price, self._bids[price])

    @property
    def best_ask(self) -> PriceLevel | None:
        """The lowest ask, ``None`` when there are no asks."""
        prices = self._ask_prices
        if not prices:
            return None
        price = prices[0]
        return PriceLevel(price, self._asks[price])

    @property
    def mid(self) -> Decimal | None:
        """The midpoint of the best bid and ask, ``None`` unless both sides have levels."""
        if not self._bid_prices or not self._ask_prices:
            return None
        return (self._bid_prices[-1] + self._ask_prices[0]) / 2

    @property
    def spread(self) -> Decimal | None:
        """Best ask minus best bid, ``None`` unless both sides have levels."""
        if not self._bid_prices or not self._ask_prices:
            return None
        return self._ask_prices[0] - self._bid_prices[-1]

    @property
    def bid_count(self) -> int:
        """The number of bid levels."""
        return len(self._bid_prices)

    @property
    def ask_count(self) -> int:
        """The number of ask levels."""
        return len(self._ask_prices)

    def bids(self, depth: int | None = None) -> list[PriceLevel]:
        """Bid levels, best (highest) first, at most ``depth`` of them (all when None)."""
        prices = self._bid_prices
        if depth is None or depth >= len(prices):
            chosen = prices[::-1]
        elif depth <= 0:
            chosen = []
        else:
            chosen = prices[-depth:][::-1]
        levels = self._bids
        return [PriceLevel(price, levels[price]) for price in chosen]

    def asks(self, depth: int | None = None) -> list[PriceLevel]:
        """Ask levels, best (lowest) first, at most ``depth`` of them (all when None)."""
        prices = self._ask_prices
        chosen = prices if depth is None else prices[: max(depth, 0)]
        levels = self._asks
        return [PriceLevel(price, levels[price]) for price in chosen]

    def depth(self, levels: int) -> tuple[list[PriceLevel], list[PriceLevel]]:
        """The top ``levels`` of both sides, best first: ``(bids, asks)``."""
        return self.bids(levels), self.asks(levels)

    def size_at(self, side: Side, price: Decimal) -> Decimal:
        """The size resting at ``price`` on ``side`` (``BUY`` = bids), 0 when none."""
        levels = self._bids if side is _BUY else self._asks
        return levels.get(price, _ZERO)


class OrderBooks:
    """The books of many tokens, keyed by token id, fed with CLOB events."""

    __slots__ = ("_books",)

    def __init__(self) -> None:
        self._books: dict[str, OrderBook] = {}

    def apply(self, event: ClobEvent) -> ApplyResult | None:
        """Route a book event to its token's book (created on first sight).

        Returns:
            The book's :class:`ApplyResult`, or ``None`` for events that are not about books
            (trades, best bid/ask, market lifecycle, control words).
        """
        if isinstance(event, BookDelta):
            return self.book(event.asset_id).apply_delta(event)
        if isinstance(event, BookSnapshot):
            return self.book(event.asset_id).apply_snapshot(event)
        if isinstance(event, TickSizeChanged):
            return self.book(event.asset_id).apply_tick_size_change(event)
        return None

    def book(self, asset_id: str) -> OrderBook:
        """The book of ``asset_id``, created (empty) if needed."""
        book = self._books.get(asset_id)
        if book is None:
            book = self._books[asset_id] = OrderBook(asset_id)
        return book

    def get(self, asset_id: str) -> OrderBook | None:
        """The book of ``asset_id``, or ``None`` if none was created."""
        return self._books.get(asset_id)

    def needing_resync(self) -> list[str]:
        """Token ids whose books are inconsistent."""
        return [asset_id for asset_id, book in self._books.items() if book.needs_resync]

    def remove(self, asset_id: str) -> None:
        """Forget a token's book (e.g. after unsubscribing); no error if absent."""
        self._books.pop(asset_id, None)

    def reset_all(self) -> None:
        """Reset every book to wait for a snapshot (after a reconnect)."""
        for book in self._books.values():
            book.reset()

    def __getitem__(self, asset_id: str) -> OrderBook:
        return self._books[asset_id]

    def __contains__(self, asset_id: object) -> bool:
        return asset_id in self._books

    def __iter__(self) -> Iterator[str]:
        return iter(self._books)

    def __len__(self) -> int:
        return len(self._books)
