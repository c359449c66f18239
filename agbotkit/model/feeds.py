"""What the feeds say besides market data, and what the market-data components publish
about their feeds.

* The answers that carry no market data: :class:`Pong`, :class:`NoNewAssets`,
  :class:`InvalidOperation` (CLOB) and :class:`ServerError` (RTDS); and the unions of what
  each feed's decoder returns, :data:`ClobEvent` and :data:`RtdsEvent`.
* The components' own values: :class:`BookTop` (a book's view after an update),
  :class:`RawFrame` (for recording), :class:`FeedStatusChanged` and
  :class:`SubscriptionChange`.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from agbotkit.model.books import (
    BestBidAsk,
    BookDelta,
    BookSnapshot,
    PriceLevel,
    TickSizeChanged,
)
from agbotkit.model.markets import MarketResolved, NewMarket, Trade
from agbotkit.model.prices import ReferencePrice, ReferencePriceSnapshot

__all__ = [
    "BookTop",
    "ClobEvent",
    "FeedStatusChanged",
    "InvalidOperation",
    "NoNewAssets",
    "Pong",
    "RawFrame",
    "RtdsEvent",
    "ServerError",
    "SubscriptionChange",
]


@attrs.frozen(slots=True)
class Pong:
    """The server answered a text ``PING`` (``PONG`` or ``pong``).

    Attributes:
        event_type: always ``"pong"``.
    """

    event_type: str = attrs.field(default="pong", init=False)


@attrs.frozen(slots=True)
class NoNewAssets:
    """The CLOB's periodic ``NO NEW ASSETS`` text (with ``custom_feature_enabled``); harmless.

    Attributes:
        event_type: always ``"no_new_assets"``.
    """

    event_type: str = attrs.field(default="no_new_assets", init=False)


@attrs.frozen(slots=True)
class InvalidOperation:
    """The CLOB rejected a subscription frame with ``INVALID OPERATION``.

    Typically the initial ``type: market`` frame was sent twice on one socket; later changes
    must use the ``operation`` frames.

    Attributes:
        event_type: always ``"invalid_operation"``.
    """

    event_type: str = attrs.field(default="invalid_operation", init=False)


@attrs.frozen(slots=True)
class ServerError:
    """An RTDS error frame, e.g. ``{"body":{"message":"…"},"statusCode":401}``.

    A 401 naming ``GetTopics … not found`` means a topic in the subscription batch is unknown
    and every topic of that batch gets nothing: do not retry the same frame.

    Attributes:
        status: the ``statusCode``, ``None`` when the frame has none.
        message: the server's message.
        event_type: always ``"error"``.
    """

    status: int | None
    message: str
    event_type: str = attrs.field(default="error", init=False)


#: What :func:`agbotkit.marketdata.clob.translate.decode_clob_frame` can return.
ClobEvent = (
    BookSnapshot
    | BookDelta
    | Trade
    | TickSizeChanged
    | BestBidAsk
    | NewMarket
    | MarketResolved
    | Pong
    | NoNewAssets
    | InvalidOperation
)

#: What :func:`agbotkit.marketdata.rtds.translate.decode_rtds_frame` can return.
RtdsEvent = Trade | ReferencePrice | ReferencePriceSnapshot | ServerError | Pong


@attrs.frozen(slots=True)
class BookTop:
    """A token's book after an update: top of book and the first levels of depth.

    Attributes:
        asset_id: the token id.
        market: the condition id.
        timestamp_ms: server time of the update that produced this view, Unix ms.
        received_ms: when the frame arrived here, Unix ms.
        bids: best levels first, at most the component's ``book_depth``.
        asks: best levels first, at most the component's ``book_depth``.
        valid: False while the book waits for a snapshot (after a tick-size change or a
            reconnect); consumers must not trade on an invalid book.
    """

    asset_id: str
    market: str
    timestamp_ms: int
    received_ms: int
    bids: tuple[PriceLevel, ...]
    asks: tuple[PriceLevel, ...]
    valid: bool = True

    @property
    def best_bid(self) -> Decimal | None:
        """The best bid price, or None for an empty side."""
        return self.bids[0][0] if self.bids else None

    @property
    def best_ask(self) -> Decimal | None:
        """The best ask price, or None for an empty side."""
        return self.asks[0][0] if self.asks else None

    @property
    def mid(self) -> Decimal | None:
        """The mid price, when both sides have a level."""
        if not self.bids or not self.asks:
            return None
        return (self.bids[0][0] + self.asks[0][0]) / 2


@attrs.frozen(slots=True)
class RawFrame:
    """A frame exactly as received, for recording.

    Attributes:
        feed: ``clob`` or ``rtds``.
        received_ms: receive time, Unix ms.
        text: the frame's text.
    """

    feed: str
    received_ms: int
    text: str


@attrs.frozen(slots=True)
class FeedStatusChanged:
    """A market-data socket connected or lost its connection.

    Attributes:
        component: the market-data component's name.
        feed: ``clob`` or ``rtds``.
        socket: index of the socket within the component (it may open several).
        connected: the new state.
        timestamp_ms: when, Unix ms.
        reason: why it disconnected, else empty.
    """

    component: str
    feed: str
    socket: int
    connected: bool
    timestamp_ms: int
    reason: str = ""


@attrs.frozen(slots=True)
class SubscriptionChange:
    """A request to a CLOB market-data component to add or remove tokens while running.

    Attributes:
        component: the market-data component addressed, or None for every one.
        add: token ids to subscribe.
        remove: token ids to unsubscribe.
    """

    component: str | None = None
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
