"""Polymarket wire formats: typed msgspec structs, frame decoders and client-frame encoders.

Sans-IO and pure. Two feeds are covered (see PROTOCOL.md sections 1 and 2):

* the CLOB market channel (``/ws/market``): bare JSON objects tagged by ``event_type``, or
  JSON arrays of them, plus the text words ``PONG``, ``NO NEW ASSETS`` and
  ``INVALID OPERATION``;
* RTDS (``ws-live-data``): ``{topic, type, timestamp, payload}`` envelopes (or arrays of
  them), error frames without a topic, an empty text frame at connect, maybe ``PONG``.

The decoders here give wire structs (strings stay strings, as sent);
:mod:`agbotkit.marketdata.translate` turns them into domain events. Each ``msgspec`` decoder
is built once, at import. Unknown extra fields are ignored everywhere, so additions on the
server side do not break decoding.

Error policy, shared by both feeds: a frame that is not JSON, not a known control word, or a
single object that cannot be understood raises :class:`MalformedFrameError`. In a frame that
is a JSON array, each element stands alone: the array decoders return an error in place of
each bad element and still decode the good ones, so one odd book in the initial dump does
not cost the other books.
"""

# Safe with msgspec: it resolves these string annotations from this module's globals when
# the decoders below are built, and every type they name is defined at module level.
from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any, Literal

import msgspec

from agbotkit.errors import MalformedFrameError
from agbotkit.model.marketdata import Side

__all__ = [
    "ActivityTradePayload",
    "BestBidAskMessage",
    "BookMessage",
    "ClobMessage",
    "ControlWord",
    "EventMessage",
    "GammaMarket",
    "LastTradePriceMessage",
    "LegacyLevelChange",
    "MarketResolvedMessage",
    "NewMarketMessage",
    "PriceChangeEntry",
    "PriceChangeMessage",
    "PricePointPayload",
    "PriceSnapshotPayload",
    "PriceUpdatePayload",
    "RtdsEnvelope",
    "RtdsErrorBody",
    "RtdsErrorFrame",
    "RtdsMessage",
    "RtdsPayload",
    "TickSizeChangeMessage",
    "WireLevel",
    "classify_frame",
    "decode_clob_array",
    "decode_clob_message",
    "decode_json_string_list",
    "decode_rtds_array",
    "decode_rtds_message",
    "excerpt",
    "parse_gamma_response",
]


_EXCERPT_CHARS = 120


class ControlWord(enum.Enum):
    """A non-JSON text frame with a meaning."""

    PONG = "PONG"
    NO_NEW_ASSETS = "NO NEW ASSETS"
    INVALID_OPERATION = "INVALID OPERATION"


_CONTROL_WORDS = {word.value: word for word in ControlWord}


class _Wire(msgspec.Struct, gc=False):
    """Base of all wire structs: they never take part in a reference cycle, so no GC."""


# --- CLOB market channel -------------------------------------------------------------------


class WireLevel(_Wire):
    """One ``{price, size}`` book level; both decimal strings."""

    price: str
    size: str


class _ClobMessage(_Wire, tag_field="event_type"):
    """Base of the market-channel messages, tagged by ``event_type``."""


class BookMessage(_ClobMessage, tag="book"):
    """``book``: a full snapshot of one token's book (levels in any order)."""

    asset_id: str
    market: str
    timestamp: int
    bids: list[WireLevel]
    asks: list[WireLevel]
    hash: str | None = None
    # Strings, not Decimal: a book of a market that never traded may carry "" here.
    tick_size: str | None = None
    last_trade_price: str | None = None


class PriceChangeEntry(_Wire):
    """One entry of a batched ``price_change``; ``size`` is the new absolute level size."""

    asset_id: str
    price: str
    side: Side
    size: str
    hash: str | None = None
    best_bid: str | None = None
    best_ask: str | None = None


class LegacyLevelChange(_Wire):
    """One entry of the old-docs ``changes`` list (legacy per-asset form)."""

    price: str
    side: Side
    size: str


class PriceChangeMessage(_ClobMessage, tag="price_change"):
    """``price_change``, in any of its three shapes.

    * current (since 2025-09-15): ``market``, ``timestamp``, ``price_changes[]``;
    * legacy flat: ``asset_id``, ``price``, ``side``, ``size``, ``hash`` at the top level;
    * legacy old-docs: ``asset_id`` plus ``changes[{price, side, size}]``.
    """

    market: str
    timestamp: int
    price_changes: list[PriceChangeEntry] | None = None
    asset_id: str | None = None
    price: str | None = None
    side: Side | None = None
    size: str | None = None
    hash: str | None = None
    changes: list[LegacyLevelChange] | None = None
    best_bid: str | None = None
    best_ask: str | None = None


class LastTradePriceMessage(_ClobMessage, tag="last_trade_price"):
    """``last_trade_price``: one settlement; ``side``/``size`` are the taker's."""

    asset_id: str
    market: str
    price: str
    side: Side
    size: str
    timestamp: int
    fee_rate_bps: str | None = None
    transaction_hash: str | None = None


class TickSizeChangeMessage(_ClobMessage, tag="tick_size_change"):
    """``tick_size_change``: the token's tick size changed; its book must be rebuilt."""

    asset_id: str
    market: str
    old_tick_size: Decimal
    new_tick_size: Decimal
    timestamp: int


class BestBidAskMessage(_ClobMessage, tag="best_bid_ask"):
    """``best_bid_ask`` (custom feature): top of one token's book."""

    asset_id: str
    market: str
    timestamp: int
    best_bid: str | None = None
    best_ask: str | None = None
    spread: str | None = None


class EventMessage(_Wire):
    """The parent event inside ``new_market`` / ``market_resolved``."""

    id: str | int | None = None
    ticker: str | None = None
    slug: str | None = None
    title: str | None = None


class NewMarketMessage(_ClobMessage, tag="new_market"):
    """``new_market`` (custom feature): a market was created."""

    timestamp: int
    market: str | None = None
    condition_id: str | None = None
    id: str | int | None = None
    question: str | None = None
    slug: str | None = None
    assets_ids: list[str] | None = None
    clob_token_ids: list[str] | None = None
    outcomes: list[str] | None = None
    event_message: EventMessage | None = None
    tags: list[str] | None = None
    active: bool | None = None
    order_price_min_tick_size: str | None = None


class MarketResolvedMessage(_ClobMessage, tag="market_resolved"):
    """``market_resolved`` (custom feature): a market was resolved."""

    market: str
    winning_asset_id: str
    winning_outcome: str
    timestamp: int
    id: str | int | None = None
    assets_ids: list[str] | None = None
    tags: list[str] | None = None


#: Every market-channel message kind.
ClobMessage = (
    BookMessage
    | PriceChangeMessage
    | LastTradePriceMessage
    | TickSizeChangeMessage
    | BestBidAskMessage
    | NewMarketMessage
    | MarketResolvedMessage
)

_CLOB_EVENT_TYPES = frozenset(
    str(cls.__struct_config__.tag)
    for cls in (
        BookMessage,
        PriceChangeMessage,
        LastTradePriceMessage,
        TickSizeChangeMessage,
        BestBidAskMessage,
        NewMarketMessage,
        MarketResolvedMessage,
    )
)


class _EventTypeProbe(_Wire):
    """Used only to explain a failed decode: what ``event_type`` did the object claim?"""

    event_type: Any = None


# --- RTDS ----------------------------------------------------------------------------------


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


# --- Gamma REST ----------------------------------------------------------------------------


class GammaMarket(_Wire, rename="camel"):
    """One item of Gamma ``GET /markets`` (only the fields a trading bot needs).

    ``outcomes``, ``clobTokenIds`` and ``positionIds`` are JSON arrays encoded as strings
    inside the JSON (a real list is accepted too).
    """

    condition_id: str
    id: str | int | None = None
    question: str | None = None
    slug: str | None = None
    outcomes: str | list[str] | None = None
    clob_token_ids: str | list[str] | None = None
    position_ids: str | list[str] | None = None
    order_price_min_tick_size: Decimal | None = None
    order_min_size: Decimal | None = None
    neg_risk: bool | None = None
    end_date: str | None = None
    active: bool | None = None
    closed: bool | None = None


class _GammaPage(_Wire):
    """``{"data": [...]}``, the wrapped form of a market list; ``None`` means not wrapped."""

    data: list[GammaMarket] | None = None


# --- decoders (built once) -----------------------------------------------------------------

# strict=False lets msgspec read the CLOB's string-encoded integers ("1757908892351") as
# ints in C; it only widens string -> number/bool coercions, a number is still no string.
_CLOB_LIST: msgspec.json.Decoder[list[ClobMessage]] = msgspec.json.Decoder(
    list[ClobMessage], strict=False
)
_CLOB_ONE: msgspec.json.Decoder[ClobMessage] = msgspec.json.Decoder(ClobMessage, strict=False)
_RAW_LIST = msgspec.json.Decoder(list[msgspec.Raw])
_PROBE = msgspec.json.Decoder(_EventTypeProbe)
_ANY = msgspec.json.Decoder()
_RTDS_LIST = msgspec.json.Decoder(list[RtdsEnvelope], strict=False)
_RTDS_ONE = msgspec.json.Decoder(RtdsEnvelope, strict=False)
_ACTIVITY = msgspec.json.Decoder(ActivityTradePayload, strict=False)
_PRICE_UPDATE = msgspec.json.Decoder(PriceUpdatePayload, strict=False)
_PRICE_SNAPSHOT = msgspec.json.Decoder(PriceSnapshotPayload, strict=False)

_GAMMA_LIST: msgspec.json.Decoder[list[GammaMarket] | _GammaPage] = msgspec.json.Decoder(
    list[GammaMarket] | _GammaPage, strict=False
)
_GAMMA_ONE = msgspec.json.Decoder(GammaMarket, strict=False)
_STR_LIST = msgspec.json.Decoder(list[str])

_ACTIVITY_TYPES = frozenset({"trades", "orders_matched"})


def excerpt(raw: bytes | str, limit: int = _EXCERPT_CHARS) -> str:
    """Return the start of ``raw`` as text, for an error message or a log line."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return text if len(text) <= limit else text[:limit] + "…"


# JSON whitespace, as the ints that indexing bytes gives and as the strs indexing text gives.
_JSON_WHITESPACE = frozenset({32, 9, 10, 13, " ", "\t", "\n", "\r"})


def _container_start(raw: bytes | str) -> Literal["{", "["] | None:
    """``"{"`` or ``"["`` when the frame starts so (after whitespace), else ``None``."""
    if raw:
        # Indexing gives an int for bytes and a str for text; comparing either with the
        # other kind is just False (no bytes/str comparison, so no BytesWarning).
        first = raw[0]
        if first == 123 or first == "{":
            return "{"
        if first == 91 or first == "[":
            return "["
        if first in _JSON_WHITESPACE:
            return _container_start(raw.lstrip())
    return None


def classify_frame(raw: bytes | str) -> Literal["{", "["] | ControlWord | None:
    """Say what a text frame is before decoding it.

    Returns:
        ``"{"`` for a JSON object, ``"["`` for a JSON array (leading whitespace allowed), a
        :class:`ControlWord` (any case, surrounding whitespace allowed), or ``None`` for an
        empty or blank frame.

    Raises:
        MalformedFrameError: any other text, including bare JSON scalars.
    """
    start = _container_start(raw)
    if start is not None:
        return start
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    word = text.strip()
    if not word:
        return None
    control = _CONTROL_WORDS.get(word.upper())
    if control is not None:
        return control
    try:
        value = _ANY.decode(raw)
    except msgspec.DecodeError as exc:
        raise MalformedFrameError(
            f"not JSON and not a known control word ({exc})", excerpt(raw)
        ) from None
    raise MalformedFrameError(
        f"expected a JSON object or array, got {type(value).__name__}", excerpt(raw)
    )


def _explain_clob(element: bytes | str, exc: msgspec.MsgspecError) -> str:
    """Turn a msgspec error about one market-channel object into a useful reason."""
    # ValidationError subclasses DecodeError: anything else is a JSON syntax error.
    if not isinstance(exc, msgspec.ValidationError):
        return f"invalid JSON ({exc})"
    try:
        event_type = _PROBE.decode(element).event_type
    except msgspec.MsgspecError:
        return f"expected a JSON object ({exc})"
    if event_type is None:
        return "missing field 'event_type'"
    if not isinstance(event_type, str):
        return f"event_type must be a string, got {type(event_type).__name__}"
    if event_type not in _CLOB_EVENT_TYPES:
        return f"unknown event_type {event_type!r}"
    return f"{event_type}: {exc}"


def decode_clob_message(raw: bytes | str) -> ClobMessage:
    """Decode a frame that is one JSON object (the common case) into its message.

    Raises:
        MalformedFrameError: invalid JSON, not an object, an unknown ``event_type``, a
            missing field or a wrongly typed one.
    """
    try:
        return _CLOB_ONE.decode(raw)
    except msgspec.MsgspecError as exc:
        raise MalformedFrameError(_explain_clob(raw, exc), excerpt(raw)) from None


def decode_clob_array(raw: bytes | str) -> list[ClobMessage | MalformedFrameError]:
    """Decode a frame that is a JSON array, element by element.

    Returns:
        One entry per array element, in order: its message, or a
        :class:`MalformedFrameError` (reason prefixed ``element <i>:``) if it cannot be
        decoded. A bad element does not stop the others.

    Raises:
        MalformedFrameError: the frame is not valid JSON or not an array.
    """
    try:
        return list(_CLOB_LIST.decode(raw))
    except msgspec.ValidationError:
        pass  # some element is bad: decode them one by one below
    except msgspec.MsgspecError as exc:
        raise MalformedFrameError(f"invalid JSON ({exc})", excerpt(raw)) from None
    out: list[ClobMessage | MalformedFrameError] = []
    for index, element in enumerate(_raw_elements(raw)):
        try:
            out.append(_CLOB_ONE.decode(element))
        except msgspec.MsgspecError as exc:
            reason = f"element {index}: {_explain_clob(element, exc)}"
            out.append(MalformedFrameError(reason, excerpt(bytes(element))))
    return out


def _raw_elements(raw: bytes | str) -> list[msgspec.Raw]:
    try:
        return _RAW_LIST.decode(raw)
    except msgspec.MsgspecError as exc:
        kind = (
            "expected a JSON array" if isinstance(exc, msgspec.ValidationError) else "invalid JSON"
        )
        raise MalformedFrameError(f"{kind} ({exc})", excerpt(raw)) from None


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
    except msgspec.MsgspecError as exc:
        raise MalformedFrameError(f"{topic}/{msg_type}: payload: {exc}") from None
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


def _explain_rtds(exc: msgspec.MsgspecError) -> str:
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
    except msgspec.MsgspecError as exc:
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
    except msgspec.MsgspecError as exc:
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
        except msgspec.MsgspecError as exc:
            reason = f"element {index}: {_explain_rtds(exc)}"
            out.append(MalformedFrameError(reason, excerpt(bytes(element))))
        except MalformedFrameError as exc:
            reason = f"element {index}: {exc.reason}"
            out.append(MalformedFrameError(reason, excerpt(bytes(element))))
    return out


def parse_gamma_response(raw: bytes | str) -> list[GammaMarket]:
    """Decode a Gamma markets response: a JSON array, ``{"data": [...]}`` or one market.

    Raises:
        MalformedFrameError: the body is not JSON or a market lacks ``conditionId`` or has a
            wrongly typed field.
    """
    try:
        decoded = _GAMMA_LIST.decode(raw)
        if isinstance(decoded, list):
            return decoded
        if decoded.data is not None:
            return decoded.data
        return [_GAMMA_ONE.decode(raw)]
    except msgspec.MsgspecError as exc:
        raise MalformedFrameError(f"Gamma markets: {exc}", excerpt(raw)) from None


def decode_json_string_list(text: str | list[str] | None, what: str) -> tuple[str, ...]:
    """Decode one of Gamma's lists sent as a JSON array inside a string; a real list passes.

    Raises:
        MalformedFrameError: ``text`` is not a JSON array of strings.
    """
    if text is None:
        return ()
    if isinstance(text, list):
        return tuple(text)
    if not text.strip():
        return ()
    try:
        return tuple(_STR_LIST.decode(text))
    except msgspec.MsgspecError as exc:
        raise MalformedFrameError(f"{what}: expected a JSON array of strings ({exc})") from None
