"""Recordings loaded for a backtest: every frame decoded once, into compact event tuples.

The engine's loop reads tuples ``(code, now_ms, book, is_bid, price, size, server_ms,
extra)``: a level change names its :class:`~agbotkit.strategies.backtest.book.TokenBook`
and the exact ``Decimal`` price and size the wire translator made, so replaying it is a
dict write. Frames are decoded by the live feed's own decoder
(:func:`agbotkit.marketdata.clob.translate.decode_clob_frame`, msgspec) when loaded, never
during the replay.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from agbotkit.errors import MalformedFrameError
from agbotkit.marketdata.clob.translate import decode_clob_frame
from agbotkit.marketdata.replay.recording import read_recording
from agbotkit.model.books import BookDelta, BookSnapshot, Side, TickSizeChanged
from agbotkit.model.feeds import RawFrame
from agbotkit.model.markets import MarketInfo, MarketResolved, Trade
from agbotkit.strategies.backtest.book import TokenBook

__all__ = [
    "DELTA",
    "DELTA_QUIET",
    "RESOLVED",
    "SNAPSHOT",
    "TICK_SIZE",
    "TRADE",
    "MarketData",
    "build_events",
    "load_data",
]

LOGGER = logging.getLogger(__name__)

#: The last level change of a book update: the strategy sees the book after it.
DELTA = 0
#: A level change followed by more of the same update (the strategy waits for the last).
DELTA_QUIET = 1
SNAPSHOT = 2
TRADE = 3
TICK_SIZE = 4
RESOLVED = 5

Event = tuple[int, int, Any, bool, Any, Any, int, Any]


@attrs.frozen
class MarketData:
    """Everything a backtest replays.

    Attributes:
        markets: the markets' metadata from the recordings, by condition id.
        books: every token's book, by token id (empty until replayed).
        events: the event tuples, in receive order (see the module docstring).
        book_events: how many book updates (snapshots and deltas, per token) there are.
        frames: how many frames were read.
    """

    markets: dict[str, MarketInfo]
    books: dict[str, TokenBook]
    events: list[Event]
    book_events: int
    frames: int

    def reset_books(self) -> None:
        """Empty every book (a run starts from the recording's first snapshot)."""
        for book in self.books.values():
            book.reset()

    def book_events_from(self, first: int) -> int:
        """Book updates from event ``first`` on (``first`` 0: all of them)."""
        if first == 0:
            return self.book_events
        return sum(1 for event in self.events[first:] if event[0] in (DELTA, SNAPSHOT))

    @property
    def first_ms(self) -> int:
        """The receive time of the first event (0 without events)."""
        return self.events[0][1] if self.events else 0

    @property
    def last_ms(self) -> int:
        """The receive time of the last event (0 without events)."""
        return self.events[-1][1] if self.events else 0


def load_data(
    paths: Sequence[str], *, markets: Sequence[str] = (), end_ms: int | None = None
) -> MarketData:
    """Read and decode recordings (blocking I/O), merged by receive time.

    Args:
        paths: the recording files.
        markets: keep only these markets' events (empty: all).
        end_ms: drop frames received at or after this time.

    Raises:
        RecordingError: a file cannot be read.
    """
    infos: dict[str, MarketInfo] = {}
    streams: list[tuple[RawFrame, ...]] = []
    for path in paths:
        recording = read_recording(path)
        infos.update(recording.markets)
        streams.append(recording.frames)
    merged: Iterable[RawFrame] = (
        streams[0] if len(streams) == 1 else heapq.merge(*streams, key=lambda f: f.received_ms)
    )
    return build_events(merged, infos, markets=markets, end_ms=end_ms)


def build_events(
    frames: Iterable[RawFrame],
    infos: dict[str, MarketInfo],
    *,
    markets: Sequence[str] = (),
    end_ms: int | None = None,
) -> MarketData:
    """Decode ``frames`` (CLOB frames; others are skipped) into event tuples."""
    wanted = frozenset(markets)
    books: dict[str, TokenBook] = {}
    ticks = {t: i.tick_size for i in infos.values() for t in i.token_ids if i.tick_size}
    events: list[Event] = []
    append = events.append
    book_events = 0
    count = 0

    def book_of(token: str, market: str) -> TokenBook:
        book = books.get(token)
        if book is None:
            book = books[token] = TokenBook(token, market, ticks.get(token))
        return book

    for frame in frames:
        count += 1
        now = frame.received_ms
        if end_ms is not None and now >= end_ms:
            break
        if frame.feed != "clob" or not frame.text:
            continue
        try:
            decoded = decode_clob_frame(frame.text)
        except MalformedFrameError as exc:
            LOGGER.warning("frame at %d skipped: %s", now, exc)
            continue
        for event in decoded:
            market = getattr(event, "market", None)
            if market is None or (wanted and market not in wanted):
                continue
            if isinstance(event, BookDelta):
                book = book_of(event.asset_id, market)
                last = len(event.changes) - 1
                for index, change in enumerate(event.changes):
                    code = DELTA if index == last else DELTA_QUIET
                    is_bid = change.side is Side.BUY
                    append(
                        (code, now, book, is_bid, change.price, change.size,
                         event.timestamp_ms, event.changes)
                    )  # fmt: skip
                book_events += 1
            elif isinstance(event, BookSnapshot):
                book = book_of(event.asset_id, market)
                append((SNAPSHOT, now, book, True, None, None, event.timestamp_ms, event))
                book_events += 1
            elif isinstance(event, Trade):
                book = book_of(event.asset_id, market)
                append((TRADE, now, book, True, None, None, event.timestamp_ms, event))
            elif isinstance(event, TickSizeChanged):
                book = book_of(event.asset_id, market)
                append((TICK_SIZE, now, book, True, None, None, event.timestamp_ms, event))
            elif isinstance(event, MarketResolved):
                append((RESOLVED, now, None, True, None, None, event.timestamp_ms, event))
    return MarketData(dict(infos), books, events, book_events, count)
