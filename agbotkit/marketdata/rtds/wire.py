"""Wire format of RTDS (``ws-live-data``): envelopes, payload structs and decoders.

Sans-IO and pure. Frames are ``{topic, type, timestamp, payload}`` envelopes (or arrays of
them; the envelope ``timestamp`` is the server's publish time in Unix milliseconds) and error
frames without a topic (``{"message": …}`` or ``{"body": {"message": …}, "statusCode": …}``);
the empty text frame the server sends right after connect and ``PONG`` are recognised by
:func:`~agbotkit.marketdata.codec.classify_frame` before these decoders run. The payload
stays raw until the envelope's topic and type say which struct it is. Input nested too
deeply to decode is malformed like any other (see
:data:`~agbotkit.marketdata.codec.DECODE_ERRORS`).
"""

# Safe with msgspec: it resolves these string annotations from this module's globals when
# the decoders below are built, and every type they name is defined at module level.
from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs
import msgspec

from agbotkit.errors import MalformedFrameError
from agbotkit.marketdata.codec import (
    _ANY,
    DECODE_ERRORS,
    TOO_DEEP,
    _raw_elements,
    _Wire,
    compact_json,
    excerpt,
)
from agbotkit.model.books import Side

__all__ = [
    "ActivityTradePayload",
    "PricePointPayload",
    "PriceSnapshotPayload",
    "PriceUpdatePayload",
    "RtdsEnvelope",
    "RtdsErrorBody",
    "RtdsErrorFrame",
    "RtdsMessage",
    "RtdsPayload",
    "RtdsSubscription",
    "decode_rtds_array",
    "decode_rtds_message",
    "encode_rtds_subscribe",
    "encode_rtds_unsubscribe",
    "rtds_symbol_subscriptions",
]


class RtdsErrorBody(_Wire):
    """The ``body`` of an RTDS error frame."""

    message: str | None = None


class RtdsEnvelope(_Wire):
    """Any RTDS object frame; the payload stays raw until the topic says what it is.

    An error frame has no ``topic`` but a ``message``, or a ``body`` and a ``statusCode``.
    """

    topic: str | None = None
    type: str | None = None
    timestamp: int | None = None
    # msgspec.Raw cannot sit in a union; an empty Raw means "no payload".
    payload: msgspec.Raw = msgspec.Raw()
    connection_id: str | None = None
    message: str | None = None
    body: RtdsErrorBody | str | None = None
    statusCode: int | None = None


class ActivityTradePayload(_Wire):
    """``activity`` ``trades`` / ``orders_matched`` payload (numbers are JSON numbers)."""

    # camelCase as on the wire.
    asset: str
    conditionId: str
    side: Side
    price: Decimal
    size: Decimal
    timestamp: int  # whole seconds
    outcome: str | None = None
    outcomeIndex: int | None = None
    slug: str | None = None
    eventSlug: str | None = None
    transactionHash: str | None = None
    proxyWallet: str | None = None


class PriceUpdatePayload(_Wire):
    """A price ``update``: ``value`` is a JSON float (decoded exactly from its text)."""

    symbol: str
    timestamp: int
    value: Decimal | None = None
    full_accuracy_value: str | None = None
    window_s: int | None = None
    received_at: int | None = None
    is_carried_forward: bool | None = None


class PricePointPayload(_Wire):
    """One point of a price snapshot."""

    timestamp: int
    value: Decimal | None = None
    full_accuracy_value: str | None = None


class PriceSnapshotPayload(_Wire):
    """A price ``subscribe`` snapshot: the recent history of one symbol."""

    symbol: str
    data: list[PricePointPayload]
    window_s: int | None = None


#: The payload kinds :func:`decode_rtds_message` decodes.
RtdsPayload = ActivityTradePayload | PriceUpdatePayload | PriceSnapshotPayload


class RtdsMessage(_Wire):
    """An RTDS data frame with its payload decoded for its topic and type."""

    topic: str
    type: str
    timestamp: int
    payload: RtdsPayload
    connection_id: str | None = None


class RtdsErrorFrame(_Wire):
    """An RTDS error frame: ``{"message": …}`` or ``{"body": {"message": …}, "statusCode": …}``."""

    status: int | None
    message: str


# --- decoders (built once) -----------------------------------------------------------------

_RTDS_LIST = msgspec.json.Decoder(list[RtdsEnvelope], strict=False)
_RTDS_ONE = msgspec.json.Decoder(RtdsEnvelope, strict=False)
_ACTIVITY = msgspec.json.Decoder(ActivityTradePayload, strict=False)
_PRICE_UPDATE = msgspec.json.Decoder(PriceUpdatePayload, strict=False)
_PRICE_SNAPSHOT = msgspec.json.Decoder(PriceSnapshotPayload, strict=False)

_ACTIVITY_TYPES = frozenset({"trades", "orders_matched"})


def _rtds_item(envelope: RtdsEnvelope) -> RtdsMessage | RtdsErrorFrame:
    """Check an envelope and decode its payload for its topic and type.

    Raises:
        MalformedFrameError: (without excerpt) missing envelope fields, an unsupported
            topic/type, or a payload that does not fit it.
    """
    topic = envelope.topic
    if topic is None:
        return _rtds_error(envelope)
    msg_type = envelope.type
    if msg_type is None:
        raise MalformedFrameError(f"{topic}: missing field 'type'")
    if envelope.timestamp is None:
        raise MalformedFrameError(f"{topic}/{msg_type}: missing field 'timestamp'")
    if not envelope.payload:
        raise MalformedFrameError(f"{topic}/{msg_type}: missing field 'payload'")
    decoder: msgspec.json.Decoder[Any]
    if topic == "activity" and msg_type in _ACTIVITY_TYPES:
        decoder = _ACTIVITY
    elif topic.startswith("crypto_prices") or topic == "equity_prices":
        if msg_type == "update":
            decoder = _PRICE_UPDATE
        elif msg_type == "subscribe":
            decoder = _PRICE_SNAPSHOT
        else:
            raise MalformedFrameError(f"unsupported RTDS message type {topic}/{msg_type}")
    else:
        raise MalformedFrameError(f"unsupported RTDS message type {topic}/{msg_type}")
    try:
        payload = decoder.decode(envelope.payload)
    except DECODE_ERRORS as exc:
        why = TOO_DEEP if isinstance(exc, RecursionError) else exc
        raise MalformedFrameError(f"{topic}/{msg_type}: payload: {why}") from None
    return RtdsMessage(topic, msg_type, envelope.timestamp, payload, envelope.connection_id)


def _rtds_error(envelope: RtdsEnvelope) -> RtdsErrorFrame:
    """An object without ``topic``: an error frame, or not RTDS at all."""
    body = envelope.body
    message = body.message if isinstance(body, RtdsErrorBody) else body
    if message is None:
        message = envelope.message
    if message is None and envelope.statusCode is None:
        raise MalformedFrameError("missing field 'topic' (neither a data nor an error frame)")
    return RtdsErrorFrame(envelope.statusCode, message or "")


def _explain_rtds(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return TOO_DEEP
    if isinstance(exc, msgspec.ValidationError):
        return f"not an RTDS frame ({exc})"
    return f"invalid JSON ({exc})"


def decode_rtds_message(raw: bytes | str) -> RtdsMessage | RtdsErrorFrame:
    """Decode an RTDS frame that is one JSON object: a data frame or an error frame.

    Raises:
        MalformedFrameError: invalid JSON, not an object, missing envelope fields, an
            unsupported topic/type, or a payload that does not fit its topic.
    """
    try:
        return _rtds_item(_RTDS_ONE.decode(raw))
    except DECODE_ERRORS as exc:
        raise MalformedFrameError(_explain_rtds(exc), excerpt(raw)) from None
    except MalformedFrameError as exc:
        raise MalformedFrameError(exc.reason, excerpt(raw)) from None


def decode_rtds_array(raw: bytes | str) -> list[RtdsMessage | RtdsErrorFrame | MalformedFrameError]:
    """Decode an RTDS frame that is a JSON array of envelopes, element by element.

    Returns:
        One entry per element, in order: its message or error frame, or a
        :class:`MalformedFrameError` (reason prefixed ``element <i>:``).

    Raises:
        MalformedFrameError: the frame is not valid JSON or not an array.
    """
    out: list[RtdsMessage | RtdsErrorFrame | MalformedFrameError] = []
    try:
        envelopes = _RTDS_LIST.decode(raw)
    except msgspec.ValidationError:
        pass  # some element is not even an envelope: decode them one by one below
    except DECODE_ERRORS as exc:
        raise MalformedFrameError(_explain_rtds(exc), excerpt(raw)) from None
    else:
        for index, envelope in enumerate(envelopes):
            try:
                out.append(_rtds_item(envelope))
            except MalformedFrameError as exc:
                out.append(MalformedFrameError(f"element {index}: {exc.reason}", excerpt(raw)))
        return out
    for index, element in enumerate(_raw_elements(raw)):
        try:
            out.append(_rtds_item(_RTDS_ONE.decode(element)))
        except (*DECODE_ERRORS, MalformedFrameError) as exc:
            why = exc.reason if isinstance(exc, MalformedFrameError) else _explain_rtds(exc)
            out.append(MalformedFrameError(f"element {index}: {why}", excerpt(bytes(element))))
    return out


# --- frames a client sends ---------------------------------------------------------------


def _compact_filters(filters: str | Mapping[str, Any] | None) -> str | None:
    """Normalise RTDS filters to the compact JSON string the server insists on.

    A mapping is encoded; a string that is JSON is re-encoded compactly (``{"symbol": "x"}``
    with a space silently stops the stream after the snapshot); any other string (such as
    the comma form ``"btcusdt,ethusdt"``) is kept as given.
    """
    if filters is None or isinstance(filters, Mapping):
        return None if filters is None else compact_json(filters)
    try:
        value = _ANY.decode(filters)
    except (msgspec.DecodeError, RecursionError):
        return filters
    return compact_json(value)


@attrs.frozen(slots=True)
class RtdsSubscription:
    """One entry of an RTDS ``subscriptions`` array.

    Attributes:
        topic: the topic, e.g. ``crypto_prices_chainlink``, ``activity``.
        type: the message type, or ``"*"`` for all of the topic's types.
        filters: a compact JSON string such as ``{"symbol":"btc/usd"}``, or ``None``; a
            mapping or a spaced JSON string is normalised to compact JSON. One symbol per
            entry: a list of symbols inside one filter returns nothing.
    """

    topic: str
    type: str = "*"
    filters: str | None = attrs.field(default=None, converter=_compact_filters)

    def to_wire(self) -> dict[str, str]:
        """The entry as the JSON object the server expects (``filters`` omitted when None)."""
        entry = {"topic": self.topic, "type": self.type}
        if self.filters is not None:
            entry["filters"] = self.filters
        return entry


def rtds_symbol_subscriptions(
    topic: str, symbols: Iterable[str], type: str = "*"
) -> list[RtdsSubscription]:
    """One subscription per symbol, each filtered with ``{"symbol":"<symbol>"}``."""
    return [RtdsSubscription(topic, type, compact_json({"symbol": s})) for s in symbols]


def _rtds_frame(action: str, subscriptions: Iterable[RtdsSubscription]) -> str:
    return compact_json(
        {"action": action, "subscriptions": [sub.to_wire() for sub in subscriptions]}
    )


def encode_rtds_subscribe(subscriptions: Iterable[RtdsSubscription]) -> str:
    """The RTDS subscribe frame, e.g.
    ``{"action":"subscribe","subscriptions":[{"topic":"activity","type":"trades"}]}``.

    Every topic must be known: one unknown topic makes the server reject the whole batch.
    """
    return _rtds_frame("subscribe", subscriptions)


def encode_rtds_unsubscribe(subscriptions: Iterable[RtdsSubscription]) -> str:
    """The RTDS unsubscribe frame: the subscribe frame's shape with ``"action":"unsubscribe"``."""
    return _rtds_frame("unsubscribe", subscriptions)
