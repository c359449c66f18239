"""Pure translation of Polymarket wire frames into domain events.

A connection calls :func:`decode_clob_frame` or :func:`decode_rtds_frame` on each received
text frame and publishes the returned events::

    try:
        events = decode_clob_frame(raw)
    except MalformedFrameError as exc:   # the whole frame is unusable
        count_and_log(exc)
        continue
    for exc in events.errors:            # bad elements of an array frame
        count_and_log(exc)
    publish(events)

Prices and sizes become exact :class:`~decimal.Decimal` values; timestamps integer Unix ms.
No I/O, no trio: this module is tested without an event loop.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from agbotkit.errors import MalformedFrameError
from agbotkit.marketdata.wire import (
    ActivityTradePayload,
    BestBidAskMessage,
    BookMessage,
    ClobMessage,
    ControlWord,
    GammaMarket,
    LastTradePriceMessage,
    MarketResolvedMessage,
    NewMarketMessage,
    PriceChangeEntry,
    PriceChangeMessage,
    PricePointPayload,
    PriceSnapshotPayload,
    PriceUpdatePayload,
    RtdsErrorFrame,
    RtdsMessage,
    TickSizeChangeMessage,
    WireLevel,
    classify_frame,
    decode_clob_array,
    decode_clob_message,
    decode_json_string_list,
    decode_rtds_array,
    decode_rtds_message,
    excerpt,
    parse_gamma_response,
)
from agbotkit.model.marketdata import (
    BestBidAsk,
    BookDelta,
    BookSnapshot,
    ClobEvent,
    InvalidOperation,
    LevelChange,
    MarketInfo,
    MarketResolved,
    NewMarket,
    NoNewAssets,
    Pong,
    PriceLevel,
    PricePoint,
    ReferencePrice,
    ReferencePriceSnapshot,
    RtdsEvent,
    ServerError,
    TickSizeChanged,
    Trade,
)

__all__ = [
    "FrameEvents",
    "decode_clob_frame",
    "decode_rtds_frame",
    "parse_gamma_markets",
    "reference_price_scale",
    "translate_clob_message",
    "translate_rtds_message",
]

_E = TypeVar("_E")


class FrameEvents(list[_E]):
    """The events of one frame (a plain list), plus the frame's bad array elements.

    Attributes:
        errors: one :class:`MalformedFrameError` per element of an array frame that could
            not be understood; empty for a clean frame. Count them like a malformed frame.
    """

    # A shared empty default instead of an __init__: building the result of every frame
    # then costs what building a list costs.
    errors: tuple[MalformedFrameError, ...] = ()


# NamedTuple.__new__ is a Python function; tuple.__new__ builds the same value directly.
_new_tuple = tuple.__new__

# --- exact numbers -------------------------------------------------------------------------

# Decimal(str) costs about 0.3 µs and the same few hundred price strings repeat all day, so
# parsed values are memoised (Decimals are immutable; the cache only changes speed). The
# bound keeps a long run of distinct sizes from growing it without limit.
_DECIMALS: dict[str, Decimal] = {}
_DECIMALS_LIMIT = 50_000


def _decimal(text: str, what: str) -> Decimal:
    """Parse a wire price or size: a finite, non-negative decimal string.

    Raises:
        MalformedFrameError: (without excerpt) anything else.
    """
    value = _DECIMALS.get(text)
    if value is not None:
        return value
    try:
        value = Decimal(text)
    except (decimal.InvalidOperation, ValueError, TypeError):
        raise MalformedFrameError(f"{what}: invalid decimal {text!r}") from None
    if not value.is_finite() or value < 0:
        raise MalformedFrameError(f"{what}: expected a finite non-negative number, got {text!r}")
    if len(_DECIMALS) >= _DECIMALS_LIMIT:
        _DECIMALS.clear()
    _DECIMALS[text] = value
    return value


def _optional_decimal(text: str | None, what: str) -> Decimal | None:
    """Like :func:`_decimal`, but ``None`` or ``""`` (not sent, or an empty side) give None."""
    if not text:
        return None
    value = _DECIMALS.get(text)
    return value if value is not None else _decimal(text, what)


def _finite(value: Decimal | None, what: str) -> Decimal | None:
    """Reject NaN and infinities that msgspec's Decimal decoding lets through."""
    if value is not None and not value.is_finite():
        raise MalformedFrameError(f"{what}: expected a finite number, got {value}")
    return value


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


# --- CLOB market channel -------------------------------------------------------------------


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


def _last_trade_price(msg: LastTradePriceMessage) -> list[ClobEvent]:
    fee = msg.fee_rate_bps
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
            # A legacy field, observed always "0"; anything not an integer is dropped.
            fee_rate_bps=int(fee) if fee and fee.isdigit() else None,
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
    events: FrameEvents[ClobEvent] = FrameEvents()
    errors: list[MalformedFrameError] = []
    for index, item in enumerate(decode_clob_array(raw)):
        if isinstance(item, MalformedFrameError):
            errors.append(item)
            continue
        try:
            events.extend(_CLOB_TRANSLATORS[type(item)](item))
        except MalformedFrameError as exc:
            errors.append(MalformedFrameError(f"element {index}: {exc.reason}", excerpt(raw)))
    if errors:
        events.errors = tuple(errors)
    return events


# --- RTDS ----------------------------------------------------------------------------------

_E18 = 18


def reference_price_scale(topic: str, symbol: str) -> int:
    """How many decimal places ``full_accuracy_value`` is shifted by on ``topic``.

    E18 fixed point (18) on ``crypto_prices_chainlink`` and the TWAP topics; a plain decimal
    (0) on ``crypto_prices`` and ``equity_prices``. A Chainlink snapshot arrives labelled
    ``crypto_prices``: its ``btc/usd``-style symbol (with ``/``) gives it away.
    """
    if topic.startswith(("crypto_prices_chainlink", "crypto_prices_twap")):
        return _E18
    if topic == "crypto_prices" and "/" in symbol:
        return _E18
    return 0


def _reference_value(
    full_accuracy: str | None, value: Decimal | None, scale: int, where: str
) -> Decimal:
    """The exact price: ``full_accuracy_value`` at its scale, else the JSON ``value`` text."""
    if full_accuracy:
        try:
            exact = Decimal(full_accuracy)
        except (decimal.InvalidOperation, ValueError):
            raise MalformedFrameError(
                f"{where}: invalid full_accuracy_value {full_accuracy!r}"
            ) from None
        if not exact.is_finite():
            raise MalformedFrameError(f"{where}: invalid full_accuracy_value {full_accuracy!r}")
        # A fixed-point integer never has a decimal point; a plain decimal on an E18 topic
        # is taken at face value rather than divided into nonsense.
        if scale and exact.as_tuple().exponent == 0:
            sign, digits, exponent = exact.as_tuple()
            assert isinstance(exponent, int)
            exact = Decimal((sign, digits, exponent - scale))
        return exact
    if value is None:
        raise MalformedFrameError(f"{where}: missing field 'value'")
    checked = _finite(value, where + " value")
    assert checked is not None
    return checked


def _price_update(msg: RtdsMessage, payload: PriceUpdatePayload) -> RtdsEvent:
    where = f"{msg.topic}/{msg.type}"
    scale = reference_price_scale(msg.topic, payload.symbol)
    return ReferencePrice(
        msg.topic,
        payload.symbol,
        _reference_value(payload.full_accuracy_value, payload.value, scale, where),
        payload.timestamp,
        msg.timestamp,
        msg.type,
        payload.window_s,
        payload.received_at,
        payload.is_carried_forward,
    )


def _price_snapshot(msg: RtdsMessage, payload: PriceSnapshotPayload) -> RtdsEvent:
    where = f"{msg.topic}/{msg.type}"
    scale = reference_price_scale(msg.topic, payload.symbol)
    topic = msg.topic
    if topic == "crypto_prices" and scale:
        # The server labels Chainlink-spot snapshots with the Binance topic (PROTOCOL 1.5).
        topic = "crypto_prices_chainlink"
    points: list[PricePoint] = []
    point: PricePointPayload
    for point in payload.data:
        price = _reference_value(point.full_accuracy_value, point.value, scale, where)
        points.append(PricePoint(point.timestamp, price))
    return ReferencePriceSnapshot(
        topic, payload.symbol, tuple(points), msg.timestamp, msg.type, payload.window_s
    )


# Activity timestamps are whole seconds; a value this large can only be milliseconds.
_MS_THRESHOLD = 100_000_000_000


def _activity_trade(msg: RtdsMessage, payload: ActivityTradePayload) -> RtdsEvent:
    where = f"{msg.topic}/{msg.type}"
    price = _finite(payload.price, where + " price")
    size = _finite(payload.size, where + " size")
    assert price is not None
    assert size is not None
    if price < 0 or size < 0:
        raise MalformedFrameError(f"{where}: negative price or size")
    seconds = payload.timestamp
    trade_ms = seconds if seconds >= _MS_THRESHOLD else seconds * 1000
    return Trade(
        payload.asset,
        payload.conditionId,
        payload.side,
        price,
        size,
        msg.timestamp,
        trade_ms,
        msg.type,
        topic=msg.topic,
        transaction_hash=payload.transactionHash or None,
        outcome=payload.outcome,
        outcome_index=payload.outcomeIndex,
        market_slug=payload.slug or None,
        event_slug=payload.eventSlug or None,
        proxy_wallet=payload.proxyWallet or None,
    )


def translate_rtds_message(message: RtdsMessage | RtdsErrorFrame | ControlWord) -> RtdsEvent:
    """Translate one decoded RTDS message into its domain event.

    Raises:
        MalformedFrameError: (without excerpt) an invalid price, or a control word that RTDS
            does not send (only ``PONG`` is expected).
    """
    if isinstance(message, RtdsMessage):
        payload = message.payload
        if isinstance(payload, PriceUpdatePayload):
            return _price_update(message, payload)
        if isinstance(payload, PriceSnapshotPayload):
            return _price_snapshot(message, payload)
        return _activity_trade(message, payload)
    if isinstance(message, RtdsErrorFrame):
        return ServerError(message.status, message.message)
    if message is ControlWord.PONG:
        return Pong()
    raise MalformedFrameError(f"unexpected control word {message.value!r} on RTDS")


def decode_rtds_frame(raw: bytes | str) -> FrameEvents[RtdsEvent]:
    """Decode and translate one RTDS text frame.

    Error frames (``{"message":…}``, ``{"body":{"message":…},"statusCode":401}``) become
    :class:`ServerError` events; the empty frame gives no events; ``PONG`` gives
    :class:`Pong`.

    Returns:
        The frame's events in order; bad elements of an array frame are in ``.errors``.

    Raises:
        MalformedFrameError: with a reason and an excerpt, when the frame is not JSON and no
            known control word, or is a single object with an unsupported topic/type, a
            missing or wrongly typed field, or an invalid price.
    """
    kind = classify_frame(raw)
    if kind is None:
        return FrameEvents()
    if kind == "{":
        try:
            return FrameEvents((translate_rtds_message(decode_rtds_message(raw)),))
        except MalformedFrameError as exc:
            raise MalformedFrameError(exc.reason, exc.excerpt or excerpt(raw)) from None
    if isinstance(kind, ControlWord):
        try:
            return FrameEvents((translate_rtds_message(kind),))
        except MalformedFrameError as exc:
            raise MalformedFrameError(exc.reason, excerpt(raw)) from None
    events: FrameEvents[RtdsEvent] = FrameEvents()
    errors: list[MalformedFrameError] = []
    for index, item in enumerate(decode_rtds_array(raw)):
        if isinstance(item, MalformedFrameError):
            errors.append(item)
            continue
        try:
            events.append(translate_rtds_message(item))
        except MalformedFrameError as exc:
            errors.append(MalformedFrameError(f"element {index}: {exc.reason}", excerpt(raw)))
    if errors:
        events.errors = tuple(errors)
    return events


# --- Gamma ---------------------------------------------------------------------------------


def _iso_to_ms(text: str | None, what: str) -> int | None:
    """An ISO-8601 date or date-time as Unix ms; naive values are taken as UTC."""
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise MalformedFrameError(f"{what}: invalid ISO-8601 date {text!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return int(when.timestamp() * 1000)


def _market_info(market: GammaMarket) -> MarketInfo:
    where = f"market {market.condition_id}"
    outcomes = decode_json_string_list(market.outcomes, f"{where}: outcomes")
    tokens_text = market.clob_token_ids
    if tokens_text is None:
        # Protocol V2 markets are announced to carry positionIds instead (PROTOCOL 4).
        tokens_text = market.position_ids
    token_ids = decode_json_string_list(tokens_text, f"{where}: clobTokenIds")
    if token_ids and len(token_ids) != len(outcomes):
        raise MalformedFrameError(
            f"{where}: {len(outcomes)} outcomes but {len(token_ids)} token ids"
        )
    return MarketInfo(
        condition_id=market.condition_id,
        question=market.question or "",
        slug=market.slug or "",
        outcomes=outcomes,
        token_ids=token_ids,
        tick_size=_finite(market.order_price_min_tick_size, f"{where}: orderPriceMinTickSize"),
        min_order_size=_finite(market.order_min_size, f"{where}: orderMinSize"),
        neg_risk=bool(market.neg_risk),
        end_date_ms=_iso_to_ms(market.end_date, f"{where}: endDate"),
        active=bool(market.active),
        closed=bool(market.closed),
        market_id=None if market.id is None else str(market.id),
    )


def parse_gamma_markets(raw: bytes | str) -> list[MarketInfo]:
    """Parse a Gamma ``GET /markets`` response body into :class:`MarketInfo` values.

    Accepts a JSON array of markets, ``{"data": [...]}``, or a single market object
    (``GET /markets/{id}``). Numbers (tick size, minimum size) are read exactly from the JSON
    text, never through a float.

    Raises:
        MalformedFrameError: the body is not JSON, a market lacks ``conditionId``, has a
            wrongly typed field, outcome/token lists that are not JSON string arrays or do not
            align, or an invalid ``endDate``.
    """
    markets = parse_gamma_response(raw)
    try:
        return [_market_info(market) for market in markets]
    except MalformedFrameError as exc:
        raise MalformedFrameError(exc.reason, excerpt(raw)) from None
