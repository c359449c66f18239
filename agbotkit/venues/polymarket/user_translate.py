"""Pure translation of user-channel frames into order updates and fills.

No I/O, no trio: tested without an event loop. :func:`decode_user_frame` is what the
user-channel connection calls on every text frame; it needs to know who we are
(:class:`UserIdentity`: our API keys and wallet addresses) because a trade event describes
every side of the trade, and only our orders' shares are our fills.

* An ``order`` event becomes one :class:`~agbotkit.model.venues.VenueOrderUpdate` (see
  :func:`translate_order` for the status mapping).
* A ``trade`` event becomes the :class:`~agbotkit.model.orders.Fill` values of our orders
  in it (see :func:`translate_trade`). The venue re-sends a trade at each settlement step
  (``MATCHED -> MINED -> CONFIRMED``) with the same trade id, so the same fills come again
  with a new ``trade_status``: the order manager counts a fill once per trade and order.
  A ``FAILED`` trade's fills come back marked ``FAILED`` for the caller to reverse them
  (the reversal is not built yet: the venue is unfinished).
"""

from __future__ import annotations

import decimal
import functools
from collections.abc import Container, Iterable
from decimal import Decimal

import attrs

from agbotkit.errors import MalformedFrameError
from agbotkit.marketdata.codec import (
    ControlWord,
    FrameEvents,
    _decimal,
    _optional_decimal,
    classify_frame,
    excerpt,
    translate_array,
)
from agbotkit.model.books import Side
from agbotkit.model.execution import OrderStatus
from agbotkit.model.feeds import InvalidOperation, NoNewAssets, Pong
from agbotkit.model.orders import Fill, TradeStatus
from agbotkit.model.venues import VenueOrderUpdate
from agbotkit.venues.polymarket.user_wire import (
    MakerOrderEntry,
    OrderMessage,
    TradeMessage,
    UserMessage,
    decode_user_array,
    decode_user_message,
)

__all__ = [
    "GTD_EXPIRY_BUFFER_MS",
    "UserEvent",
    "UserIdentity",
    "decode_user_frame",
    "translate_order",
    "translate_trade",
    "translate_user_message",
]

#: What a user-channel frame becomes.
UserEvent = VenueOrderUpdate | Fill | Pong | NoNewAssets | InvalidOperation

#: The venue takes a GTD order off the book this long before its ``expiration`` (its
#: "security threshold": to live N seconds, an order says ``now + 60 + N``).
GTD_EXPIRY_BUFFER_MS = 60_000


def _lower_set(values: str | Iterable[str]) -> frozenset[str]:
    if isinstance(values, str):
        values = (values,)
    return frozenset(value.lower() for value in values)


@attrs.frozen
class UserIdentity:
    """Who we are on the venue: what tells our orders from others' in a trade event.

    Compared without regard to case (addresses come checksummed or lower case).

    Attributes:
        api_keys: our API keys (the ``owner`` of our orders).
        addresses: our wallet addresses: the funder (``maker`` of our orders) and, when it
            differs, the signer.
    """

    api_keys: frozenset[str] = attrs.field(converter=_lower_set)
    addresses: frozenset[str] = attrs.field(default=frozenset(), converter=_lower_set)

    def owns(self, api_key: str | None, address: str | None) -> bool:
        """Whether an order with this owner key or maker address is ours."""
        return bool(
            (api_key and api_key.lower() in self.api_keys)
            or (address and address.lower() in self.addresses)
        )


# --- numbers and times -----------------------------------------------------------------

# Unix seconds stay below 1e11 until the year 5138 and Unix milliseconds pass it in 1973:
# a smaller stamp is in seconds (some trade events give seconds where others give ms).
_SECONDS_BELOW = 10**11


def _epoch_ms(value: str | int | None, what: str) -> int:
    """A wire timestamp (seconds or milliseconds) in milliseconds; 0 when not given."""
    if value is None or value == "":
        return 0
    if isinstance(value, str):
        # isascii: isdigit alone accepts "²", which int refuses; the bound keeps int()
        # from meeting thousands of digits.
        if not (len(value) <= 19 and value.isascii() and value.isdigit()):
            raise MalformedFrameError(
                f"{what}: expected Unix seconds or milliseconds, got {value[:40]!r}"
            )
        value = int(value)
    if value < 0 or value >= 10**19:
        raise MalformedFrameError(f"{what}: timestamp out of range")
    return value * 1000 if value < _SECONDS_BELOW else value


def _required(value: str | None, what: str) -> str:
    if not value:
        raise MalformedFrameError(f"missing field {what!r}")
    return value


# --- order events ------------------------------------------------------------------------

_S = OrderStatus
_RESTING_WORDS = frozenset({"LIVE", "DELAYED", "UNMATCHED"})


def _by_fill(
    matched: Decimal | None, original: Decimal | None, default: OrderStatus
) -> OrderStatus:
    """FILLED or PARTIALLY_FILLED when the sizes say the order traded, else ``default``."""
    if not matched:
        return default
    if original is not None and matched >= original:
        return _S.FILLED
    return _S.PARTIALLY_FILLED


def _order_status(
    msg: OrderMessage, matched: Decimal | None, stamp_ms: int
) -> tuple[OrderStatus, str]:
    text = (msg.status or "").strip()
    if text[:13].upper() == "ORDER_STATUS_":  # some documents spell statuses so
        text = text[13:]
    word, _, detail = text.partition("_")
    word = word.upper()
    kind = (msg.type or "").upper()
    original = _optional_decimal(msg.original_size, "original_size")
    if word in _RESTING_WORDS or (not word and kind == "PLACEMENT"):
        return _by_fill(matched, original, _S.ACCEPTED), ""
    if word == "MATCHED":
        # A matched order of unknown sizes matched entirely (a partial match rests: LIVE).
        return (
            _S.PARTIALLY_FILLED if original and matched and matched < original else _S.FILLED
        ), ""
    if word == "CANCELED" or (not word and kind == "CANCELLATION"):
        if detail.upper() == "MARKET_RESOLVED":
            return _S.CANCELED, "market resolved"
        if detail:
            return _S.CANCELED, detail  # e.g. a FOK that could not fill entirely
        if _expired(msg, stamp_ms):
            return _S.EXPIRED, "expired"
        return _S.CANCELED, ""
    if word == "INVALID":
        reason = detail or "invalid order"
        # Refused when placed; an order the venue later finds invalid was live: cancelled.
        return (_S.REJECTED if kind == "PLACEMENT" else _S.CANCELED), reason
    if not word and kind == "UPDATE":
        return _by_fill(matched, original, _S.ACCEPTED), ""
    raise MalformedFrameError(f"order: unknown status {text[:60]!r}")


def _expired(msg: OrderMessage, stamp_ms: int) -> bool:
    """Whether a cancelled GTD order went because its time was up (the venue reports an
    expiry as a plain cancellation)."""
    if (msg.order_type or "").upper() != "GTD" or not stamp_ms:
        return False
    expiry_ms = _epoch_ms(msg.expiration, "expiration")
    return bool(expiry_ms) and stamp_ms >= expiry_ms - GTD_EXPIRY_BUFFER_MS


def translate_order(msg: OrderMessage) -> VenueOrderUpdate:
    """The order update an ``order`` event says.

    Status mapping: ``LIVE`` -> ``ACCEPTED`` (``PARTIALLY_FILLED`` once ``size_matched``
    is positive); ``MATCHED`` -> ``FILLED``, or ``PARTIALLY_FILLED`` while ``size_matched``
    is below ``original_size``; ``CANCELED`` -> ``CANCELED``, or ``EXPIRED`` for a GTD
    order whose expiry (less the venue's one-minute buffer) had passed when the event was
    sent; ``CANCELED_MARKET_RESOLVED`` and ``CANCELED_<text>`` -> ``CANCELED`` with the
    reason; ``INVALID`` -> ``REJECTED`` on placement, else ``CANCELED``. A missing status
    is read from the event's ``type``. ``filled_size`` is ``size_matched``.

    Raises:
        MalformedFrameError: (without excerpt) an unknown status, or a size or timestamp
            that is not a number.
    """
    stamp_ms = _epoch_ms(msg.timestamp, "timestamp")
    matched = _optional_decimal(msg.size_matched, "size_matched")
    status, reason = _order_status(msg, matched, stamp_ms)
    return VenueOrderUpdate(
        venue_order_id=_required(msg.id, "id"),
        status=status,
        filled_size=matched,
        reason=reason,
        timestamp_ms=stamp_ms,
    )


# --- trade events ------------------------------------------------------------------------


def _trade_status(text: str | None) -> TradeStatus | None:
    try:
        return TradeStatus((text or "").strip().upper())
    except ValueError:
        return None  # unknown or missing: the fill still happened


def _maker_side(entry: MakerOrderEntry, msg: TradeMessage) -> Side:
    if entry.side is not None:
        return entry.side
    # Older events leave the maker's side out. Against the same token a maker takes the
    # other side of the taker; against the complementary token (a match that mints or
    # merges a YES/NO pair) it takes the same side.
    taker = msg.side
    if taker is None:
        raise MalformedFrameError("missing field 'side'")
    if entry.asset_id and entry.asset_id != msg.asset_id:
        return taker
    return Side.SELL if taker is Side.BUY else Side.BUY


def _we_took(msg: TradeMessage, me: UserIdentity, order_ids: Container[str]) -> bool:
    """Whether the taker's side of the trade is ours. ``trade_owner`` and the top-level
    ``maker_address`` are the taker's; ``owner`` (the event's owner) says nothing of it."""
    return (
        (msg.trader_side or "").upper() == "TAKER"
        or (msg.taker_order_id is not None and msg.taker_order_id in order_ids)
        or me.owns(msg.trade_owner, msg.maker_address)
    )


# What one fill is made of: token, side, price, size, order id (as the event has them).
_Parts = tuple[str | None, Side | None, str | None, str | None, str | None]


def _fill(
    msg: TradeMessage, parts: _Parts, taker: bool, status: TradeStatus | None, stamp_ms: int
) -> Fill | None:
    token_id, side, price, size, order_id = parts
    exact_size = _decimal(_required(size, "size" if taker else "matched_amount"), "size")
    if not exact_size:
        return None  # nothing changed hands for this order
    exact_price = _decimal(_required(price, "price"), "price")
    fee = None
    if taker and msg.fee_rate_bps:
        # The venue's taker fee: C * rate * p * (1 - p); makers pay none.
        rate = _decimal(msg.fee_rate_bps, "fee_rate_bps")
        try:
            fee = exact_size * rate / 10_000 * exact_price * (1 - exact_price)
        except decimal.DecimalException:  # a hostile exponent overflows the context
            raise MalformedFrameError("trade: size or fee rate out of range") from None
    if side is None:
        raise MalformedFrameError("missing field 'side'")
    token_id = _required(token_id, "asset_id")
    order_id = _required(order_id, "taker_order_id" if taker else "order_id")
    try:
        return Fill(
            token_id=token_id,
            side=side,
            price=exact_price,
            size=exact_size,
            market_id=msg.market or "",
            fee_usd=fee,
            taker=taker,
            timestamp_ms=stamp_ms,
            order_id=order_id,
            trade_id=msg.id,
            trade_status=status,
        )
    except ValueError as exc:  # a price outside [0, 1], a negative fee
        raise MalformedFrameError(f"trade: {exc}") from None


def translate_trade(
    msg: TradeMessage, me: UserIdentity, *, order_ids: Container[str] = frozenset()
) -> list[Fill]:
    """The fills of our orders in a ``trade`` event, taker's first.

    * We took liquidity (``trader_side`` is ``TAKER``, or the taker order, its owner key
      or its address is ours): one fill at the trade's ``price`` and ``size`` on its
      ``side``, ``taker=True``, with the fee its ``fee_rate_bps`` gives.
    * Each ``maker_orders`` entry whose owner key, maker address or order id is ours: one
      fill at that entry's ``price`` and ``matched_amount`` on the maker's side,
      ``taker=False``, ``fee_usd=None``.

    Every fill carries the trade id and the trade's status; the time is ``match_time``
    (the same in every re-send), else the event's ``timestamp``.

    Args:
        msg: the decoded event.
        me: who we are.
        order_ids: venue ids of orders known to be ours (they count like our keys).

    Raises:
        MalformedFrameError: (without excerpt) a fill of ours lacks a field it needs, or a
            number is not a number or out of range.
    """
    status = _trade_status(msg.status)
    stamp_ms = _epoch_ms(msg.match_time, "match_time") or _epoch_ms(msg.timestamp, "timestamp")
    fills: list[Fill] = []
    if _we_took(msg, me, order_ids):
        parts = (msg.asset_id, msg.side, msg.price, msg.size, msg.taker_order_id)
        fill = _fill(msg, parts, True, status, stamp_ms)
        if fill is not None:
            fills.append(fill)
    for entry in msg.maker_orders:
        ours = me.owns(entry.owner, entry.maker_address) or (
            entry.order_id is not None and entry.order_id in order_ids
        )
        if not ours:
            continue
        token_id = entry.asset_id or msg.asset_id
        side = _maker_side(entry, msg)
        parts = (token_id, side, entry.price, entry.matched_amount, entry.order_id)
        fill = _fill(msg, parts, False, status, stamp_ms)
        if fill is not None:
            fills.append(fill)
    return fills


# --- frames --------------------------------------------------------------------------------

_CONTROL_EVENTS: dict[ControlWord, Pong | NoNewAssets | InvalidOperation] = {
    ControlWord.PONG: Pong(),
    ControlWord.NO_NEW_ASSETS: NoNewAssets(),
    ControlWord.INVALID_OPERATION: InvalidOperation(),
}


def translate_user_message(
    message: UserMessage | ControlWord,
    me: UserIdentity,
    *,
    order_ids: Container[str] = frozenset(),
) -> list[UserEvent]:
    """Translate one decoded user-channel message or control word.

    Raises:
        MalformedFrameError: (without excerpt) see :func:`translate_order` and
            :func:`translate_trade`.
    """
    if isinstance(message, ControlWord):
        return [_CONTROL_EVENTS[message]]
    if isinstance(message, OrderMessage):
        return [translate_order(message)]
    return list(translate_trade(message, me, order_ids=order_ids))


def decode_user_frame(
    raw: bytes | str, me: UserIdentity, *, order_ids: Container[str] = frozenset()
) -> FrameEvents[UserEvent]:
    """Decode and translate one user-channel text frame.

    Args:
        raw: the frame as received (text or its UTF-8 bytes).
        me: who we are.
        order_ids: venue ids of orders known to be ours.

    Returns:
        The frame's events in order (empty for an empty frame, or a trade with no fill of
        ours); bad elements of an array frame are in ``.errors`` and do not stop the others.

    Raises:
        MalformedFrameError: with a reason and an excerpt, when the frame is not JSON and no
            known control word, or is one object that cannot be decoded or translated.
    """
    kind = classify_frame(raw)
    if kind is None:
        return FrameEvents()
    if isinstance(kind, ControlWord):
        return FrameEvents((_CONTROL_EVENTS[kind],))
    if kind == "[":
        translate = functools.partial(translate_user_message, me=me, order_ids=order_ids)
        return translate_array(raw, decode_user_array(raw), translate)
    message = decode_user_message(raw)
    try:
        return FrameEvents(translate_user_message(message, me, order_ids=order_ids))
    except MalformedFrameError as exc:
        raise MalformedFrameError(exc.reason, excerpt(raw)) from None
