"""Order-book values: sides, levels, and the CLOB events that change a token's book.

Produced by :mod:`agbotkit.marketdata.clob.translate` from wire frames; consumed by order
books (:mod:`agbotkit.marketdata.book`), strategies and metrics. Every value is immutable.
Prices and sizes are :class:`~decimal.Decimal` parsed from the wire text (never through a
float); timestamps are integer Unix milliseconds.

Every event carries ``timestamp_ms``, the server's timestamp of the message (a consumer
computes the feed lag as ``receive time - timestamp_ms``), and ``event_type``, the wire
message kind (``book``, ``price_change``, ...), for the ``messages_received`` metric labels.
"""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import NamedTuple

import attrs

__all__ = [
    "BestBidAsk",
    "BookDelta",
    "BookSnapshot",
    "LevelChange",
    "PriceLevel",
    "ResyncCause",
    "Side",
    "TickSizeChanged",
]


class Side(enum.StrEnum):
    """Side of an order, a trade or a book level, as the wire spells it.

    On a book level change ``BUY`` is the bid side and ``SELL`` the ask side; on a trade it is
    the taker's side.
    """

    BUY = "BUY"
    SELL = "SELL"


# Levels and level changes are NamedTuples rather than attrs classes: a book snapshot holds
# hundreds of them and a NamedTuple is immutable, typed and about twice as cheap to build.
class ResyncCause(enum.StrEnum):
    """Why a book needs a fresh snapshot, in a word: the ``reason`` label of
    ``polymarket.clob.book_resyncs`` (:attr:`~agbotkit.marketdata.book.OrderBook.resync_reason` has the numbers).

    ``crossed``: the best bid reached the best ask; ``best_bid_mismatch`` /
    ``best_ask_mismatch``: the feed's top of book after a change differs from the book's;
    ``no_snapshot``: a change came for a book without a snapshot; ``tick_size_change``: old
    levels may be off the new grid (not a fault of the book).
    """

    CROSSED = "crossed"
    BEST_BID = "best_bid_mismatch"
    BEST_ASK = "best_ask_mismatch"
    NO_SNAPSHOT = "no_snapshot"
    TICK_SIZE = "tick_size_change"


class PriceLevel(NamedTuple):
    """One aggregated book level.

    Attributes:
        price: the level's price (probability units, 0 to 1).
        size: the total size resting at that price, in shares; always > 0 in a snapshot.
    """

    price: Decimal
    size: Decimal


class LevelChange(NamedTuple):
    """One level replacement inside a :class:`BookDelta`.

    Attributes:
        side: ``BUY`` changes the bid side, ``SELL`` the ask side.
        price: the level's price.
        size: the NEW absolute size at that price (not a difference); ``0`` removes the level.
    """

    side: Side
    price: Decimal
    size: Decimal


@attrs.frozen(slots=True)
class BookSnapshot:
    """A full order-book snapshot for one token (CLOB ``book``); it replaces the local book.

    Attributes:
        asset_id: the token id (decimal string).
        market: the condition id (``0x…``).
        bids: bid levels, best (highest price) first, whatever order the wire used.
        asks: ask levels, best (lowest price) first, whatever order the wire used.
        timestamp_ms: server timestamp, Unix ms.
        hash: the server's book hash, when sent.
        tick_size: the token's tick size, when the frame carries it (observed since 2026).
        last_trade_price: the last trade price, when the frame carries it.
        event_type: always ``"book"``.
    """

    asset_id: str
    market: str
    bids: tuple[PriceLevel, ...]
    asks: tuple[PriceLevel, ...]
    timestamp_ms: int
    hash: str | None = None
    tick_size: Decimal | None = None
    last_trade_price: Decimal | None = None
    event_type: str = attrs.field(default="book", init=False)


@attrs.frozen(slots=True)
class BookDelta:
    """Level replacements for one token (CLOB ``price_change``, current or legacy form).

    A batched ``price_change`` frame that touches several tokens becomes one delta per token.

    Attributes:
        asset_id: the token id.
        market: the condition id.
        changes: the level replacements, in wire order.
        timestamp_ms: server timestamp, Unix ms.
        best_bid: the token's best bid after the change, when the frame carries it.
        best_ask: the token's best ask after the change, when the frame carries it.
        hash: the book hash after the last change, when sent.
        event_type: always ``"price_change"``.
    """

    asset_id: str
    market: str
    changes: tuple[LevelChange, ...]
    timestamp_ms: int
    best_bid: Decimal | None = None
    best_ask: Decimal | None = None
    hash: str | None = None
    event_type: str = attrs.field(default="price_change", init=False)


@attrs.frozen(slots=True)
class TickSizeChanged:
    """A token's tick size changed (CLOB ``tick_size_change``); its book must be rebuilt.

    Attributes:
        asset_id: the token id.
        market: the condition id.
        old_tick_size: the previous tick size.
        new_tick_size: the tick size from now on.
        timestamp_ms: server timestamp, Unix ms.
        event_type: always ``"tick_size_change"``.
    """

    asset_id: str
    market: str
    old_tick_size: Decimal
    new_tick_size: Decimal
    timestamp_ms: int
    event_type: str = attrs.field(default="tick_size_change", init=False)


@attrs.frozen(slots=True)
class BestBidAsk:
    """The top of one token's book (CLOB ``best_bid_ask``, custom feature).

    Attributes:
        asset_id: the token id.
        market: the condition id.
        best_bid: the best bid price, ``None`` when not sent or empty.
        best_ask: the best ask price, ``None`` when not sent or empty.
        spread: the spread as sent, ``None`` when not sent.
        timestamp_ms: server timestamp, Unix ms.
        event_type: always ``"best_bid_ask"``.
    """

    asset_id: str
    market: str
    best_bid: Decimal | None
    best_ask: Decimal | None
    spread: Decimal | None
    timestamp_ms: int
    event_type: str = attrs.field(default="best_bid_ask", init=False)
