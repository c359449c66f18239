"""Pure translation of CLOB market-channel frames into domain events.

No I/O, no trio: tested without an event loop. :func:`decode_clob_frame` is the hot path a
market-channel connection calls on every text frame; :func:`translate_clob_message` maps one
already decoded message (from :mod:`agbotkit.marketdata.clob.wire`) or control word. A
batched ``price_change`` becomes one :class:`~agbotkit.model.books.BookDelta` per token.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from agbotkit.errors import MalformedFrameError
from agbotkit.marketdata.clob.wire import (
    BestBidAskMessage,
    BookMessage,
    ClobMessage,
    LastTradePriceMessage,
    MarketResolvedMessage,
    NewMarketMessage,
    PriceChangeEntry,
    PriceChangeMessage,
    TickSizeChangeMessage,
    WireLevel,
    decode_clob_array,
    decode_clob_message,
)
from agbotkit.marketdata.codec import (
    _DECIMALS,
    ControlWord,
    FrameEvents,
    _decimal,
    _finite,
    _new_tuple,
    _optional_decimal,
    classify_frame,
    excerpt,
    translate_array,
)
from agbotkit.model.books import (
    BestBidAsk,
    BookDelta,
    BookSnapshot,
    LevelChange,
    PriceLevel,
    TickSizeChanged,
)
from agbotkit.model.feeds import ClobEvent, InvalidOperation, NoNewAssets, Pong
from agbotkit.model.markets import MarketResolved, NewMarket, Trade

__all__ = [
    "decode_clob_frame",
    "translate_clob_message",
]


def _book(msg: BookMessage) -> list[ClobEvent]:
    return [
        BookSnapshot(
            msg.asset_id,
            msg.market,
            _levels(msg.bids, "bids", descending=True),
            _levels(msg.asks, "asks", descending=False),
            msg.timestamp,
            msg.hash or None,
            _finite(_optional_decimal(msg.tick_size, "tick_size"), "tick_size"),
            _finite(
                _optional_decimal(msg.last_trade_price, "last_trade_price"), "last_trade_price"
            ),
        )
    ]


def _price_change(msg: PriceChangeMessage) -> list[ClobEvent]:
    entries = msg.price_changes
    if entries is None:
        return _legacy_price_change(msg)
    cache = _DECIMALS
    by_asset: dict[str, list[LevelChange]] = {}
    last: dict[str, PriceChangeEntry] = {}
    for entry in entries:
        price = cache.get(entry.price)
        if price is None:
            price = _decimal(entry.price, "price")
        size = cache.get(entry.size)
        if size is None:
            size = _decimal(entry.size, "size")
        changes = by_asset.get(entry.asset_id)
        if changes is None:
            by_asset[entry.asset_id] = changes = []
        changes.append(_new_tuple(LevelChange, (entry.side, price, size)))
        last[entry.asset_id] = entry
    events: list[ClobEvent] = []
    for asset_id, changes in by_asset.items():
        # best_bid/best_ask are the token's top of book after the change; the last entry
        # for a token describes the book after the whole frame.
        final = last[asset_id]
        events.append(
            BookDelta(
                asset_id,
                msg.market,
                tuple(changes),
                msg.timestamp,
                _optional_decimal(final.best_bid, "best_bid"),
                _optional_decimal(final.best_ask, "best_ask"),
                final.hash or None,
            )
        )
    return events


def _legacy_price_change(msg: PriceChangeMessage) -> list[ClobEvent]:
    """The per-asset forms used before 2025-09-15 (flat, or with ``changes``)."""
    if msg.asset_id is None:
        raise MalformedFrameError("price_change: missing field 'price_changes' (or 'asset_id')")
    if msg.changes is not None:
        changes = tuple(
            LevelChange(c.side, _decimal(c.price, "price"), _decimal(c.size, "size"))
            for c in msg.changes
        )
    else:
        if msg.price is None or msg.side is None or msg.size is None:
            missing = next(name for name in ("price", "side", "size") if getattr(msg, name) is None)
            raise MalformedFrameError(f"price_change: missing field {missing!r}")
        changes = (LevelChange(msg.side, _decimal(msg.price, "price"), _decimal(msg.size, "size")),)
    return [
        BookDelta(
            msg.asset_id,
            msg.market,
            changes,
            msg.timestamp,
            _optional_decimal(msg.best_bid, "best_bid"),
            _optional_decimal(msg.best_ask, "best_ask"),
            msg.hash or None,
        )
    ]


def _fee_rate_bps(fee: str | None) -> int | None:
    """A legacy field, observed always ``"0"``; anything not a plain integer is dropped.

    ``isascii`` because ``isdigit`` alone accepts ``"²"``, which ``int`` refuses; the length
    bound because ``int`` refuses more than 4,300 digits.
    """
    if fee and len(fee) <= 18 and fee.isascii() and fee.isdigit():
        return int(fee)
    return None


def _last_trade_price(msg: LastTradePriceMessage) -> list[ClobEvent]:
    return [
        Trade(
            msg.asset_id,
            msg.market,
            msg.side,
            _decimal(msg.price, "price"),
            _decimal(msg.size, "size"),
            msg.timestamp,
            msg.timestamp,
            "last_trade_price",
            transaction_hash=msg.transaction_hash or None,
            fee_rate_bps=_fee_rate_bps(msg.fee_rate_bps),
        )
    ]


def _tick_size_change(msg: TickSizeChangeMessage) -> list[ClobEvent]:
    old = _finite(msg.old_tick_size, "old_tick_size")
    new = _finite(msg.new_tick_size, "new_tick_size")
    # Required fields, so msgspec has checked they are there.
    assert old is not None
    assert new is not None
    return [TickSizeChanged(msg.asset_id, msg.market, old, new, msg.timestamp)]


def _best_bid_ask(msg: BestBidAskMessage) -> list[ClobEvent]:
    return [
        BestBidAsk(
            msg.asset_id,
            msg.market,
            _optional_decimal(msg.best_bid, "best_bid"),
            _optional_decimal(msg.best_ask, "best_ask"),
            _optional_decimal(msg.spread, "spread"),
            msg.timestamp,
        )
    ]


def _new_market(msg: NewMarketMessage) -> list[ClobEvent]:
    market = msg.market or msg.condition_id
    if not market:
        raise MalformedFrameError("new_market: missing field 'market'")
    assets = msg.assets_ids if msg.assets_ids is not None else msg.clob_token_ids
    event = msg.event_message
    return [
        NewMarket(
            market,
            tuple(assets or ()),
            tuple(msg.outcomes or ()),
            msg.timestamp,
            market_id=None if msg.id is None else str(msg.id),
            question=msg.question or "",
            slug=msg.slug or "",
            tick_size=_optional_decimal(msg.order_price_min_tick_size, "tick size"),
            active=msg.active,
            tags=tuple(msg.tags or ()),
            event_slug=None if event is None else event.slug,
        )
    ]


def _market_resolved(msg: MarketResolvedMessage) -> list[ClobEvent]:
    return [
        MarketResolved(
            msg.market,
            tuple(msg.assets_ids or ()),
            msg.winning_asset_id,
            msg.winning_outcome,
            msg.timestamp,
            market_id=None if msg.id is None else str(msg.id),
            tags=tuple(msg.tags or ()),
        )
    ]


_CONTROL_EVENTS: dict[ControlWord, Pong | NoNewAssets | InvalidOperation] = {
    ControlWord.PONG: Pong(),
    ControlWord.NO_NEW_ASSETS: NoNewAssets(),
    ControlWord.INVALID_OPERATION: InvalidOperation(),
}

_CLOB_TRANSLATORS: dict[type[Any], Callable[[Any], list[ClobEvent]]] = {
    BookMessage: _book,
    PriceChangeMessage: _price_change,
    LastTradePriceMessage: _last_trade_price,
    TickSizeChangeMessage: _tick_size_change,
    BestBidAskMessage: _best_bid_ask,
    NewMarketMessage: _new_market,
    MarketResolvedMessage: _market_resolved,
}


def translate_clob_message(message: ClobMessage | ControlWord) -> list[ClobEvent]:
    """Translate one decoded market-channel message into domain events.

    A batched ``price_change`` gives one :class:`BookDelta` per token it touches.

    Raises:
        MalformedFrameError: (without excerpt) a price or size that is not a finite,
            non-negative decimal, or a ``price_change`` in none of the known shapes.
    """
    if isinstance(message, ControlWord):
        return [_CONTROL_EVENTS[message]]
    return _CLOB_TRANSLATORS[type(message)](message)


def decode_clob_frame(raw: bytes | str) -> FrameEvents[ClobEvent]:
    """Decode and translate one CLOB market-channel text frame.

    Args:
        raw: the frame as received (text or its UTF-8 bytes).

    Returns:
        The frame's events in order (empty for an empty frame); bad elements of an array
        frame are in ``.errors`` and do not stop the others.

    Raises:
        MalformedFrameError: with a reason and an excerpt, when the frame is not JSON and no
            known control word, or is a single object with an unknown ``event_type``, a
            missing field, a wrongly typed field or an invalid number.
    """
    if raw:
        first = raw[0]
        if first == 123 or first == "{":
            # The hot path: one object per frame.
            message = decode_clob_message(raw)
            try:
                return FrameEvents(_CLOB_TRANSLATORS[type(message)](message))
            except MalformedFrameError as exc:
                raise MalformedFrameError(exc.reason, excerpt(raw)) from None
    kind = classify_frame(raw)
    if kind is None:
        return FrameEvents()
    if isinstance(kind, ControlWord):
        return FrameEvents((_CONTROL_EVENTS[kind],))
    if kind == "{":  # after leading whitespace
        try:
            return FrameEvents(translate_clob_message(decode_clob_message(raw)))
        except MalformedFrameError as exc:
            raise MalformedFrameError(exc.reason, exc.excerpt or excerpt(raw)) from None
    return translate_array(raw, decode_clob_array(raw), translate_clob_message)


def _levels(levels: list[WireLevel], what: str, *, descending: bool) -> tuple[PriceLevel, ...]:
    """Snapshot levels, best first, zero-size levels dropped, whatever the wire order."""
    cache = _DECIMALS
    out: list[PriceLevel] = []
    for level in levels:
        price = cache.get(level.price)
        if price is None:
            price = _decimal(level.price, what + " price")
        size = cache.get(level.size)
        if size is None:
            size = _decimal(level.size, what + " size")
        if size:
            out.append(_new_tuple(PriceLevel, (price, size)))
    # The real feed lists bids ascending and asks descending (best last); never rely on it.
    out.sort(key=_price_of, reverse=descending)
    return tuple(out)


def _price_of(level: PriceLevel) -> Decimal:
    return level.price
