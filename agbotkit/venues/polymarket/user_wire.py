"""Wire format of the CLOB user channel (``/ws/user``): typed structs, decoders, and the
frames a client sends.

Sans-IO and pure. The channel reports our own orders and trades. Frames are bare JSON
objects tagged by ``event_type`` (``order`` or ``trade``), or JSON arrays of them; the
control words (``PONG``, ...) are recognised by
:func:`~agbotkit.marketdata.codec.classify_frame` before these decoders run. An object
without ``event_type`` is still understood from its ``type`` (``PLACEMENT``, ``UPDATE``,
``CANCELLATION`` for an order, ``TRADE`` for a trade): such frames have been seen.

Parsing is lenient where the venue is known to be sloppy: every field but ``id`` may be
missing, null or empty (a killed FOK order arrives with empty ``size_matched``,
``outcome`` and ``created_at``), and timestamps may be strings or numbers. Numbers stay
text here; :mod:`agbotkit.venues.polymarket.user_translate` checks them. What cannot be
decoded at all (not JSON, a wrongly typed field, JSON nested too deeply) raises
:class:`~agbotkit.errors.MalformedFrameError`, which the connection counts and drops.

The subscribe frame carries the API secret and passphrase in clear (over TLS): it is built
by :class:`UserSubscribe`, whose ``repr`` never shows them.
"""

# Safe with msgspec: it resolves these string annotations from this module's globals when
# the decoders below are built, and every type they name is defined at module level.
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs
import msgspec

from agbotkit.errors import MalformedFrameError
from agbotkit.marketdata.codec import (
    DECODE_ERRORS,
    _raw_elements,
    _Wire,
    compact_json,
    excerpt,
    explain_decode_error,
)
from agbotkit.model.books import Side

__all__ = [
    "MakerOrderEntry",
    "OrderMessage",
    "TradeMessage",
    "UserMessage",
    "UserSubscribe",
    "decode_user_array",
    "decode_user_message",
    "encode_user_add_markets",
    "encode_user_remove_markets",
]

#: A timestamp field: Unix seconds or milliseconds, as a string or a number.
_Stamp = str | int | None


class _UserMessage(_Wire, tag_field="event_type"):
    """Base of the user-channel messages, tagged by ``event_type``."""


class OrderMessage(_UserMessage, tag="order"):
    """``order``: one of our orders was placed, updated (it traded) or cancelled.

    Attributes:
        id: the order hash (``0x…``), the venue's order id.
        type: ``PLACEMENT``, ``UPDATE`` or ``CANCELLATION``.
        status: ``LIVE``, ``MATCHED``, ``CANCELED``, ``INVALID``,
            ``CANCELED_MARKET_RESOLVED``, or ``CANCELED_<free text>`` (a killed FOK).
        original_size: shares ordered (decimal text).
        size_matched: shares matched so far (decimal text; may be empty).
        created_at: when it was placed, Unix seconds.
        expiration: a GTD order's expiry, Unix seconds (``"0"`` for none).
        timestamp: when this event was sent, Unix milliseconds.
        associate_trades: ids of the trades that filled it.
    """

    id: str
    type: str | None = None
    owner: str | None = None
    order_owner: str | None = None
    market: str | None = None
    asset_id: str | None = None
    # Text, not Side: the translation does not need it and a sloppy value must not cost
    # the update.
    side: str | None = None
    price: str | None = None
    original_size: str | None = None
    size_matched: str | None = None
    associate_trades: list[str] | None = None
    outcome: str | None = None
    order_type: str | None = None
    status: str | None = None
    created_at: _Stamp = None
    expiration: _Stamp = None
    maker_address: str | None = None
    timestamp: _Stamp = None


class MakerOrderEntry(_Wire):
    """One resting order a trade matched (an entry of ``maker_orders``).

    Attributes:
        order_id: the maker order's hash.
        owner: the maker's API key.
        maker_address: the maker's wallet (funder) address.
        matched_amount: shares of this order the trade matched (decimal text).
        price: this order's limit price, the price it traded at (decimal text).
        side: the maker's side; older events leave it out.
    """

    order_id: str | None = None
    owner: str | None = None
    maker_address: str | None = None
    matched_amount: str | None = None
    price: str | None = None
    fee_rate_bps: str | None = None
    asset_id: str | None = None
    outcome: str | None = None
    side: Side | None = None


class TradeMessage(_UserMessage, tag="trade"):
    """``trade``: a trade involving one of our orders, re-sent at each settlement step.

    The top-level fields describe the taker's side of the trade; each maker order it
    matched is an entry of ``maker_orders``.

    Attributes:
        id: the trade id (the same in every re-send).
        taker_order_id: the taker order's hash.
        side: the taker's side.
        size: shares the taker traded (decimal text).
        price: the taker's price (decimal text).
        fee_rate_bps: the taker's fee rate in basis points (decimal text).
        status: ``MATCHED``, ``MINED``, ``CONFIRMED``, ``RETRYING`` or ``FAILED``.
        match_time: when it matched, Unix seconds.
        trader_side: ``TAKER`` or ``MAKER``: our side in it.
        owner: API key of the event's owner; ``trade_owner``: of the taker order's owner.
        maker_address: the taker's wallet address (despite the name).
        timestamp: when this event was sent (milliseconds; some events give seconds).
    """

    id: str
    type: str | None = None
    taker_order_id: str | None = None
    market: str | None = None
    asset_id: str | None = None
    side: Side | None = None
    size: str | None = None
    price: str | None = None
    fee_rate_bps: str | None = None
    status: str | None = None
    match_time: _Stamp = None
    last_update: _Stamp = None
    outcome: str | None = None
    owner: str | None = None
    trade_owner: str | None = None
    maker_address: str | None = None
    transaction_hash: str | None = None
    bucket_index: int | str | None = None
    trader_side: str | None = None
    timestamp: _Stamp = None
    maker_orders: list[MakerOrderEntry] = []


#: Every user-channel message kind.
UserMessage = OrderMessage | TradeMessage


class _Probe(_Wire):
    """Used only when a decode failed: what did the object claim to be?"""

    event_type: Any = None
    type: Any = None


# strict=False reads numbers sent as strings ("0" for bucket_index) in C; a number is
# still no string, so prices and sizes sent as JSON numbers are malformed.
_ONE: msgspec.json.Decoder[UserMessage] = msgspec.json.Decoder(UserMessage, strict=False)
_LIST: msgspec.json.Decoder[list[UserMessage]] = msgspec.json.Decoder(
    list[UserMessage], strict=False
)
_PROBE = msgspec.json.Decoder(_Probe)
# An object without event_type is decoded as the kind its ``type`` names (a tagged struct
# decoded on its own does not need its tag).
_ORDER: msgspec.json.Decoder[OrderMessage] = msgspec.json.Decoder(OrderMessage, strict=False)
_TRADE: msgspec.json.Decoder[TradeMessage] = msgspec.json.Decoder(TradeMessage, strict=False)
_BY_TYPE: dict[str, tuple[str, msgspec.json.Decoder[Any]]] = {
    "PLACEMENT": ("order", _ORDER),
    "UPDATE": ("order", _ORDER),
    "CANCELLATION": ("order", _ORDER),
    "TRADE": ("trade", _TRADE),
}


def _retry_untagged(raw: bytes | str, exc: msgspec.ValidationError) -> UserMessage:
    """After a failed decode: decode an object without ``event_type`` by its ``type``, or
    raise the best explanation of what is wrong."""
    try:
        probe = _PROBE.decode(raw)
    except DECODE_ERRORS:
        raise MalformedFrameError(f"expected a JSON object ({exc})", excerpt(raw)) from None
    event_type = probe.event_type
    if event_type is None:
        kind = _BY_TYPE.get(probe.type.upper()) if isinstance(probe.type, str) else None
        if kind is None:
            raise MalformedFrameError("missing field 'event_type'", excerpt(raw))
        try:
            message: UserMessage = kind[1].decode(raw)
        except DECODE_ERRORS as again:
            raise MalformedFrameError(f"{kind[0]}: {again}", excerpt(raw)) from None
        return message
    if not isinstance(event_type, str):
        reason = f"event_type must be a string, got {type(event_type).__name__}"
    elif event_type not in ("order", "trade"):
        reason = f"unknown event_type {event_type!r}"
    else:
        reason = f"{event_type}: {exc}"
    raise MalformedFrameError(reason, excerpt(raw))


def decode_user_message(raw: bytes | str) -> UserMessage:
    """Decode a frame that is one JSON object into its message.

    Raises:
        MalformedFrameError: invalid JSON, not an object, an unknown ``event_type`` (and no
            known ``type``), a missing ``id``, or a wrongly typed field.
    """
    try:
        return _ONE.decode(raw)
    except msgspec.ValidationError as exc:
        return _retry_untagged(raw, exc)
    except DECODE_ERRORS as exc:
        raise MalformedFrameError(
            explain_decode_error(exc, "expected a JSON object"), excerpt(raw)
        ) from None


def decode_user_array(raw: bytes | str) -> list[UserMessage | MalformedFrameError]:
    """Decode a frame that is a JSON array, element by element.

    Returns:
        One entry per element, in order: its message, or a :class:`MalformedFrameError`
        (reason prefixed ``element <i>:``). A bad element does not stop the others.

    Raises:
        MalformedFrameError: the frame is not valid JSON or not an array.
    """
    try:
        return list(_LIST.decode(raw))
    except msgspec.ValidationError:
        pass  # some element is bad, or has no event_type: decode them one by one below
    except DECODE_ERRORS as exc:
        raise MalformedFrameError(explain_decode_error(exc), excerpt(raw)) from None
    out: list[UserMessage | MalformedFrameError] = []
    for index, element in enumerate(_raw_elements(raw)):
        try:
            out.append(decode_user_message(bytes(element)))
        except MalformedFrameError as exc:
            out.append(MalformedFrameError(f"element {index}: {exc.reason}", exc.excerpt))
    return out


# --- frames a client sends ---------------------------------------------------------------

_REDACTED = "<redacted>"


def _markets(value: Iterable[str]) -> tuple[str, ...]:
    # A lone string is an iterable of characters: refuse it rather than subscribe to "0".
    if isinstance(value, str | bytes):
        raise TypeError("markets must be an iterable of condition ids, not one string")
    markets = tuple(value)
    if not all(isinstance(market, str) for market in markets):
        raise TypeError("markets must be condition ids (strings)")
    return markets


@attrs.frozen(repr=False)
class UserSubscribe:
    """The first frame on a user-channel socket: our API credentials and our markets.

    ``{"auth":{"apiKey":…,"secret":…,"passphrase":…},"markets":[…],"assets_ids":[],
    "type":"user"}``; send it again after every reconnect. It holds the secret and the
    passphrase: its ``repr`` and ``str`` show neither (nor does any error it raises), and
    :meth:`encode`'s text must never be logged.

    Attributes:
        api_key: the API key (a UUID; not secret, but shown shortened).
        secret: the API secret.
        passphrase: the API passphrase.
        markets: condition ids to follow; empty: every market of the account.

    Raises:
        TypeError: a credential is not a non-empty string, or ``markets`` is not an
            iterable of strings.
    """

    api_key: str
    secret: str
    passphrase: str
    markets: tuple[str, ...] = attrs.field(default=(), converter=_markets)

    def __attrs_post_init__(self) -> None:
        # Own checks instead of attrs validators: theirs quote the offending value.
        for name in ("api_key", "secret", "passphrase"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise TypeError(f"UserSubscribe.{name} must be a non-empty string")

    def encode(self) -> str:
        """The frame's text (it contains the secret: send it, never log it)."""
        return compact_json(
            {
                "auth": {
                    "apiKey": self.api_key,
                    "secret": self.secret,
                    "passphrase": self.passphrase,
                },
                "markets": list(self.markets),
                "assets_ids": [],
                "type": "user",
            }
        )

    def __repr__(self) -> str:
        return (
            f"UserSubscribe(api_key={self.api_key[:8] + '…'!r}, secret={_REDACTED}, "
            f"passphrase={_REDACTED}, markets={self.markets!r})"
        )

    __str__ = __repr__


def encode_user_add_markets(markets: Iterable[str]) -> str:
    """Follow more markets on a subscribed user socket:
    ``{"operation":"subscribe","markets":[…]}``."""
    return compact_json({"operation": "subscribe", "markets": list(_markets(markets))})


def encode_user_remove_markets(markets: Iterable[str]) -> str:
    """Stop following markets: ``{"operation":"unsubscribe","markets":[…]}``."""
    return compact_json({"operation": "unsubscribe", "markets": list(_markets(markets))})
