"""Market-data domain events: what the Polymarket feeds said, as exact typed values.

Produced by :mod:`agbotkit.marketdata.translate` from wire frames; consumed by order books,
strategies and metrics. Every value is immutable. Prices and sizes are :class:`~decimal.Decimal`
parsed from the wire text (never through a float); timestamps are integer Unix milliseconds.

Every data event carries:

* ``timestamp_ms``: the server's timestamp of the message, so that a consumer can compute the
  feed lag as ``receive time - timestamp_ms``;
* ``event_type``: the wire message kind (CLOB ``event_type`` such as ``price_change``, or the
  RTDS envelope ``type`` such as ``update``), for the ``messages_received`` metric labels.
  RTDS events also carry the envelope ``topic``.
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
    "ClobEvent",
    "InvalidOperation",
    "LevelChange",
    "MarketInfo",
    "MarketResolved",
    "NewMarket",
    "NoNewAssets",
    "Pong",
    "PriceLevel",
    "PricePoint",
    "ReferencePrice",
    "ReferencePriceSnapshot",
    "RtdsEvent",
    "ServerError",
    "Side",
    "TickSizeChanged",
    "Trade",
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


class PricePoint(NamedTuple):
    """One point of a reference-price history.

    Attributes:
        timestamp_ms: when the price was observed, Unix ms.
        price: the exact price.
    """

    timestamp_ms: int
    price: Decimal


# --- CLOB market channel -------------------------------------------------------------------


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
class Trade:
    """A trade print: CLOB ``last_trade_price`` or an RTDS ``activity`` trade.

    Attributes:
        asset_id: the token id.
        market: the condition id.
        side: the taker's side.
        price: the trade price.
        size: the traded size in shares (the taker's).
        timestamp_ms: server timestamp of the message, Unix ms (RTDS: the envelope's).
        trade_time_ms: when the trade happened, Unix ms (RTDS sends whole seconds).
        event_type: ``"last_trade_price"`` (CLOB), ``"trades"`` or ``"orders_matched"`` (RTDS;
            the same trade can arrive under both, dedupe by ``transaction_hash``).
        topic: the RTDS topic (``"activity"``), ``None`` for the CLOB.
        transaction_hash: the settlement transaction, when sent.
        fee_rate_bps: the CLOB's legacy fee field, when sent.
        outcome: the outcome name (RTDS), e.g. ``"Yes"``.
        outcome_index: the outcome's index (RTDS; a sentinel 999 has been seen).
        market_slug: the market slug (RTDS).
        event_slug: the parent event slug (RTDS).
        proxy_wallet: the trader's wallet (RTDS).
    """

    asset_id: str
    market: str
    side: Side
    price: Decimal
    size: Decimal
    timestamp_ms: int
    trade_time_ms: int
    event_type: str
    topic: str | None = None
    transaction_hash: str | None = None
    fee_rate_bps: int | None = None
    outcome: str | None = None
    outcome_index: int | None = None
    market_slug: str | None = None
    event_slug: str | None = None
    proxy_wallet: str | None = None


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


@attrs.frozen(slots=True)
class NewMarket:
    """A market was created (CLOB ``new_market``, custom feature; sent for all markets).

    Attributes:
        market: the condition id.
        asset_ids: the token ids, aligned with ``outcomes``.
        outcomes: the outcome names, e.g. ``("Yes", "No")``.
        timestamp_ms: server timestamp, Unix ms.
        market_id: the Gamma market id, when sent.
        question: the market question.
        slug: the market slug.
        tick_size: the minimum tick size, when sent.
        active: whether the market is active, when sent.
        tags: tag slugs.
        event_slug: the parent event's slug, when sent.
        event_type: always ``"new_market"``.
    """

    market: str
    asset_ids: tuple[str, ...]
    outcomes: tuple[str, ...]
    timestamp_ms: int
    market_id: str | None = None
    question: str = ""
    slug: str = ""
    tick_size: Decimal | None = None
    active: bool | None = None
    tags: tuple[str, ...] = ()
    event_slug: str | None = None
    event_type: str = attrs.field(default="new_market", init=False)


@attrs.frozen(slots=True)
class MarketResolved:
    """A market was resolved (CLOB ``market_resolved``, custom feature).

    Attributes:
        market: the condition id.
        asset_ids: the market's token ids.
        winning_asset_id: the token that won.
        winning_outcome: the winning outcome's name.
        timestamp_ms: server timestamp, Unix ms.
        market_id: the Gamma market id, when sent.
        tags: tag slugs.
        event_type: always ``"market_resolved"``.
    """

    market: str
    asset_ids: tuple[str, ...]
    winning_asset_id: str
    winning_outcome: str
    timestamp_ms: int
    market_id: str | None = None
    tags: tuple[str, ...] = ()
    event_type: str = attrs.field(default="market_resolved", init=False)


# --- RTDS ----------------------------------------------------------------------------------


@attrs.frozen(slots=True)
class ReferencePrice:
    """One reference price tick (RTDS ``crypto_prices*`` / ``equity_prices`` ``update``).

    Attributes:
        topic: the RTDS topic, e.g. ``crypto_prices_chainlink``.
        symbol: the symbol as sent, e.g. ``btc/usd``, ``btcusdt``, ``aapl``.
        price: the exact price: ``full_accuracy_value`` at the topic's scale when sent
            (E18 fixed point on the Chainlink and TWAP topics), else the JSON ``value`` text.
        price_time_ms: when the price was observed, Unix ms.
        timestamp_ms: the envelope's server timestamp, Unix ms.
        event_type: the envelope type, ``"update"``.
        window_s: the TWAP window in seconds, on TWAP topics.
        received_at_ms: when the source received the price (equities), when sent.
        is_carried_forward: whether the price is a carried-forward value (equities), when sent.
    """

    topic: str
    symbol: str
    price: Decimal
    price_time_ms: int
    timestamp_ms: int
    event_type: str = "update"
    window_s: int | None = None
    received_at_ms: int | None = None
    is_carried_forward: bool | None = None


@attrs.frozen(slots=True)
class ReferencePriceSnapshot:
    """The price history RTDS replays after each subscribe (envelope type ``subscribe``).

    Attributes:
        topic: the RTDS topic. A Chainlink-spot snapshot arrives labelled ``crypto_prices``;
            it is reported here as ``crypto_prices_chainlink`` (a ``/`` in the symbol tells).
        symbol: the symbol as sent.
        points: the history in wire order (oldest first as observed); it may overlap live
            ticks, so dedupe by timestamp.
        timestamp_ms: the envelope's server timestamp, Unix ms.
        event_type: the envelope type, ``"subscribe"``.
        window_s: the TWAP window in seconds, on TWAP topics.
    """

    topic: str
    symbol: str
    points: tuple[PricePoint, ...]
    timestamp_ms: int
    event_type: str = "subscribe"
    window_s: int | None = None


# --- control results -----------------------------------------------------------------------


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


#: What :func:`agbotkit.marketdata.translate.decode_clob_frame` can return.
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

#: What :func:`agbotkit.marketdata.translate.decode_rtds_frame` can return.
RtdsEvent = Trade | ReferencePrice | ReferencePriceSnapshot | ServerError | Pong


# --- market metadata -----------------------------------------------------------------------


@attrs.frozen(slots=True)
class MarketInfo:
    """What a bot needs to know to trade a market (from the Gamma API).

    Attributes:
        condition_id: the condition id (CLOB ``market``).
        question: the market question.
        slug: the market slug.
        outcomes: the outcome names, e.g. ``("Up", "Down")``.
        token_ids: the CLOB token ids, aligned with ``outcomes``; empty for a market without
            an order book.
        tick_size: the minimum price increment, ``None`` when Gamma does not give one.
        min_order_size: the minimum order size in shares, ``None`` when not given.
        neg_risk: whether orders go to the neg-risk exchange.
        end_date_ms: the scheduled end, Unix ms, ``None`` when unknown.
        active: Gamma's ``active`` flag.
        closed: Gamma's ``closed`` flag.
        market_id: the Gamma market id, when given.
    """

    condition_id: str
    question: str
    slug: str
    outcomes: tuple[str, ...]
    token_ids: tuple[str, ...]
    tick_size: Decimal | None
    min_order_size: Decimal | None
    neg_risk: bool
    end_date_ms: int | None
    active: bool
    closed: bool
    market_id: str | None = None

    def token_id(self, outcome: str) -> str:
        """Return the token id of ``outcome`` (case-sensitive).

        Raises:
            KeyError: if the market has no such outcome or no token for it.
        """
        for name, token in zip(self.outcomes, self.token_ids, strict=False):
            if name == outcome:
                return token
        raise KeyError(outcome)
