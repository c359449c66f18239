"""Pure translation of RTDS frames into domain events.

No I/O, no trio: tested without an event loop. :func:`decode_rtds_frame` is what an RTDS
connection calls on every text frame; :func:`translate_rtds_message` maps one already
decoded message (from :mod:`agbotkit.marketdata.rtds.wire`), error frame or control word.
Reference prices are read exactly, at the fixed-point scale
:func:`reference_price_scale` gives for their topic; activity trades become
:class:`~agbotkit.model.markets.Trade` with millisecond timestamps.
"""

from __future__ import annotations

import decimal
from decimal import Decimal

from agbotkit.errors import MalformedFrameError
from agbotkit.marketdata.codec import (
    ControlWord,
    FrameEvents,
    _finite,
    classify_frame,
    excerpt,
    translate_array,
)
from agbotkit.marketdata.rtds.wire import (
    ActivityTradePayload,
    PricePointPayload,
    PriceSnapshotPayload,
    PriceUpdatePayload,
    RtdsErrorFrame,
    RtdsMessage,
    decode_rtds_array,
    decode_rtds_message,
)
from agbotkit.model.feeds import Pong, RtdsEvent, ServerError
from agbotkit.model.markets import Trade
from agbotkit.model.prices import PricePoint, ReferencePrice, ReferencePriceSnapshot

__all__ = [
    "decode_rtds_frame",
    "reference_price_scale",
    "translate_rtds_message",
]

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
        # The server labels Chainlink-spot snapshots with the Binance topic ``crypto_prices``;
        # the ``btc/usd``-style symbol is the only thing that tells them apart.
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
    return translate_array(raw, decode_rtds_array(raw), _translate_one)


def _translate_one(message: RtdsMessage | RtdsErrorFrame) -> tuple[RtdsEvent]:
    return (translate_rtds_message(message),)
