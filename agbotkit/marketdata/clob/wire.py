"""Wire format of the CLOB market channel (``/ws/market``): typed structs and decoders.

Sans-IO and pure. Frames are bare JSON objects tagged by ``event_type``, or JSON arrays of
them (the subscribe answer is an array of ``book`` snapshots); the control words (``PONG``,
``NO NEW ASSETS``, ``INVALID OPERATION``) are recognised by
:func:`~agbotkit.marketdata.codec.classify_frame` before these decoders run. Numbers come as
strings (prices, sizes, and timestamps in Unix milliseconds). Input nested too deeply to
decode is malformed like any other (see :data:`~agbotkit.marketdata.codec.DECODE_ERRORS`).
"""

# Safe with msgspec: it resolves these string annotations from this module's globals when
# the decoders below are built, and every type they name is defined at module level.
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, get_args

import msgspec

from agbotkit.errors import MalformedFrameError
from agbotkit.marketdata.codec import (
    DECODE_ERRORS,
    TOO_DEEP,
    _raw_elements,
    _Wire,
    compact_json,
    excerpt,
)
from agbotkit.model.books import Side

__all__ = [
    "BestBidAskMessage",
    "BookMessage",
    "ClobMessage",
    "EventMessage",
    "LastTradePriceMessage",
    "LegacyLevelChange",
    "MarketResolvedMessage",
    "NewMarketMessage",
    "PriceChangeEntry",
    "PriceChangeMessage",
    "TickSizeChangeMessage",
    "WireLevel",
    "decode_clob_array",
    "decode_clob_message",
    "encode_clob_initial_subscribe",
    "encode_clob_subscribe",
    "encode_clob_unsubscribe",
]


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

_CLOB_EVENT_TYPES = frozenset(str(cls.__struct_config__.tag) for cls in get_args(ClobMessage))


class _EventTypeProbe(_Wire):
    """Used only to explain a failed decode: what ``event_type`` did the object claim?"""

    event_type: Any = None


# --- decoders (built once) -----------------------------------------------------------------


# strict=False lets msgspec read the CLOB's string-encoded integers ("1757908892351") as
# ints in C; it only widens string -> number/bool coercions, a number is still no string.
_CLOB_LIST: msgspec.json.Decoder[list[ClobMessage]] = msgspec.json.Decoder(
    list[ClobMessage], strict=False
)
_CLOB_ONE: msgspec.json.Decoder[ClobMessage] = msgspec.json.Decoder(ClobMessage, strict=False)
_PROBE = msgspec.json.Decoder(_EventTypeProbe)


def _explain_clob(element: bytes | str, exc: Exception) -> str:
    """Turn a failed decode of one market-channel object into a useful reason."""
    if isinstance(exc, RecursionError):
        return TOO_DEEP
    # ValidationError subclasses DecodeError: anything else is a JSON syntax error.
    if not isinstance(exc, msgspec.ValidationError):
        return f"invalid JSON ({exc})"
    try:
        event_type = _PROBE.decode(element).event_type
    except DECODE_ERRORS:
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
    except DECODE_ERRORS as exc:
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
    except DECODE_ERRORS as exc:
        raise MalformedFrameError(_explain_clob(raw, exc), excerpt(raw)) from None
    out: list[ClobMessage | MalformedFrameError] = []
    for index, element in enumerate(_raw_elements(raw)):
        try:
            out.append(_CLOB_ONE.decode(element))
        except DECODE_ERRORS as exc:
            reason = f"element {index}: {_explain_clob(element, exc)}"
            out.append(MalformedFrameError(reason, excerpt(bytes(element))))
    return out


# --- frames a client sends ---------------------------------------------------------------


def encode_clob_initial_subscribe(
    asset_ids: Iterable[str],
    *,
    custom_feature_enabled: bool = True,
    initial_dump: bool | None = None,
) -> str:
    """The first frame on a fresh market-channel socket.

    ``{"assets_ids":[…],"type":"market","custom_feature_enabled":true}``; send it once per
    connection (a second one gets ``INVALID OPERATION``), then use
    :func:`encode_clob_subscribe` / :func:`encode_clob_unsubscribe`.

    Args:
        asset_ids: token ids (not condition ids).
        custom_feature_enabled: also receive ``best_bid_ask``, ``new_market`` and
            ``market_resolved``; omitted from the frame when false.
        initial_dump: when given, sent as ``initial_dump`` (the Rust SDK sends ``true``).
    """
    frame: dict[str, Any] = {"assets_ids": list(asset_ids), "type": "market"}
    if custom_feature_enabled:
        frame["custom_feature_enabled"] = True
    if initial_dump is not None:
        frame["initial_dump"] = initial_dump
    return compact_json(frame)


def encode_clob_subscribe(asset_ids: Iterable[str], *, custom_feature_enabled: bool = True) -> str:
    """Add tokens on an initialised market socket.

    ``{"assets_ids":[…],"operation":"subscribe","custom_feature_enabled":true}``.
    """
    frame: dict[str, Any] = {"assets_ids": list(asset_ids), "operation": "subscribe"}
    if custom_feature_enabled:
        frame["custom_feature_enabled"] = True
    return compact_json(frame)


def encode_clob_unsubscribe(asset_ids: Iterable[str]) -> str:
    """Remove tokens: ``{"assets_ids":[…],"operation":"unsubscribe"}``."""
    return compact_json({"assets_ids": list(asset_ids), "operation": "unsubscribe"})
