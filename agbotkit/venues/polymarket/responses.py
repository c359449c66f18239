"""The CLOB REST API's answers, decoded with msgspec into small typed structs (pure).

Field names are the venue's (``orderID``, ``not_canceled``), renamed to Python's style;
every field a response may leave out has a default, and unknown fields are ignored, so a
field the venue adds later breaks nothing. Prices, sizes and amounts stay the venue's
decimal strings: the adapter turns them into ``Decimal`` where it uses them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypeVar

import msgspec

from agbotkit.errors import MalformedFrameError

__all__ = [
    "FIRST_CURSOR",
    "LAST_CURSOR",
    "BalanceAllowance",
    "CancelResponse",
    "ErrorBody",
    "FeeRate",
    "HeartbeatResponse",
    "MakerOrder",
    "NegRisk",
    "OpenOrder",
    "OrderResponse",
    "OrdersPage",
    "TickSize",
    "Trade",
    "TradesPage",
    "VersionResponse",
    "decode",
    "error_text",
]

#: The cursor of the first page of a paginated list, and the one that says "no more".
FIRST_CURSOR = "MA=="
LAST_CURSOR = "LTE="

T = TypeVar("T")


class OrderResponse(msgspec.Struct, rename="camel", frozen=True):
    """The answer to one order of ``POST /order`` or ``POST /orders``.

    Attributes:
        success: the venue took the order; when false, ``error_msg`` says why.
        order_id: the order's id (its EIP-712 hash), ``None`` on some rejections.
        status: ``live``, ``matched``, ``delayed`` or ``unmatched``.
        making_amount: what the order gave up in its first match (decimal string).
        taking_amount: what it received.
        transactions_hashes: settlement transactions of the first match.
        trade_ids: trades the order made when it was placed.
        error_msg: the venue's reason for a rejection (empty or ``None`` otherwise).
    """

    success: bool = False
    order_id: str | None = msgspec.field(default=None, name="orderID")
    status: str = ""
    making_amount: str = ""
    taking_amount: str = ""
    transactions_hashes: list[str] | None = None
    trade_ids: list[str] | None = msgspec.field(default=None, name="tradeIDs")
    error_msg: str | None = None


class CancelResponse(msgspec.Struct, frozen=True):
    """The answer to every cancel endpoint.

    Attributes:
        canceled: ids of the orders cancelled.
        not_canceled: the others, each with the venue's reason (``already canceled or
            matched``).
    """

    canceled: list[str] = msgspec.field(default_factory=list)
    not_canceled: dict[str, str] = msgspec.field(default_factory=dict)


class OpenOrder(msgspec.Struct, frozen=True):
    """One order of ``GET /data/orders`` or ``GET /data/order/{id}``.

    Attributes:
        id: the order's id (hash).
        status: ``LIVE``, ``MATCHED``, ``CANCELED``, ... (sometimes ``ORDER_STATUS_`` first).
        market: the condition id.
        asset_id: the token id.
        side: ``BUY`` or ``SELL``.
        original_size: the size ordered (decimal string).
        size_matched: the size filled so far.
        price: the limit price.
        outcome: the token's outcome name.
        order_type: ``GTC``, ``GTD``, ``FOK`` or ``FAK``.
        created_at: Unix seconds.
        expiration: Unix seconds, ``0`` for none.
        owner: the API key that placed the order.
        maker_address: the funding wallet.
        associate_trades: trade ids of its fills.
    """

    id: str
    status: str = ""
    market: str = ""
    asset_id: str = ""
    side: str = ""
    original_size: str = ""
    size_matched: str = ""
    price: str = ""
    outcome: str = ""
    order_type: str = ""
    created_at: int | str | None = None
    expiration: int | str | None = None
    owner: str = ""
    maker_address: str = ""
    associate_trades: list[str] | None = None


class MakerOrder(msgspec.Struct, frozen=True):
    """A resting order that a trade matched (``Trade.maker_orders``)."""

    order_id: str
    owner: str = ""
    maker_address: str = ""
    matched_amount: str = ""
    price: str = ""
    fee_rate_bps: str = ""
    asset_id: str = ""
    outcome: str = ""
    side: str = ""


class Trade(msgspec.Struct, frozen=True):
    """One trade of ``GET /data/trades``; top-level fields describe the taker's side.

    ``status`` goes ``MATCHED`` -> ``MINED`` -> ``CONFIRMED``, or ``RETRYING`` -> ``FAILED``.
    ``match_time`` and ``last_update`` are Unix seconds as strings.
    """

    id: str
    taker_order_id: str = ""
    market: str = ""
    asset_id: str = ""
    side: str = ""
    size: str = ""
    fee_rate_bps: str = ""
    price: str = ""
    status: str = ""
    match_time: str = ""
    last_update: str = ""
    outcome: str = ""
    bucket_index: int = 0
    owner: str = ""
    maker_address: str = ""
    transaction_hash: str = ""
    trader_side: str = ""
    maker_orders: list[MakerOrder] = msgspec.field(default_factory=list)


class OrdersPage(msgspec.Struct, frozen=True):
    """A page of ``GET /data/orders``: ``next_cursor`` is :data:`LAST_CURSOR` on the last."""

    data: list[OpenOrder] = msgspec.field(default_factory=list)
    next_cursor: str = LAST_CURSOR


class TradesPage(msgspec.Struct, frozen=True):
    """A page of ``GET /data/trades``."""

    data: list[Trade] = msgspec.field(default_factory=list)
    next_cursor: str = LAST_CURSOR


class BalanceAllowance(msgspec.Struct, frozen=True):
    """``GET /balance-allowance``: amounts in the token's base units (6 decimals).

    Attributes:
        balance: the balance held.
        allowance: the allowance of the exchange (older answers).
        allowances: the allowance per spender contract (newer answers).
    """

    balance: str = "0"
    allowance: str | None = None
    allowances: dict[str, str] = msgspec.field(default_factory=dict)


class TickSize(msgspec.Struct, frozen=True):
    """``GET /tick-size``: ``{"minimum_tick_size": 0.01}`` (exact: decoded from the text)."""

    minimum_tick_size: Decimal


class NegRisk(msgspec.Struct, frozen=True):
    """``GET /neg-risk``: whether the token trades on the neg-risk exchange."""

    neg_risk: bool


class FeeRate(msgspec.Struct, frozen=True):
    """``GET /fee-rate``: the base fee in basis points (a number or a numeric string)."""

    base_fee: int | str = 0


class HeartbeatResponse(msgspec.Struct, frozen=True):
    """The answer to a heartbeat; ``heartbeat_id``, when given, goes in the next one."""

    status: str = ""
    heartbeat_id: str = ""


class VersionResponse(msgspec.Struct, frozen=True):
    """``GET /version``: the order version the CLOB takes (2 since 2026-04-28)."""

    version: int = 0


class ErrorBody(msgspec.Struct, frozen=True):
    """A request-level error: ``{"error": "<message>"}``."""

    error: str = ""


def decode(data: bytes, type_: type[T]) -> T:
    """``data`` decoded as ``type_``.

    Raises:
        MalformedFrameError: not JSON, or not of that shape.
    """
    try:
        return msgspec.json.decode(data, type=type_)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise MalformedFrameError(str(exc), data[:120].decode("utf-8", "replace")) from None


def error_text(data: bytes) -> str:
    """The venue's ``error`` message in ``data``, else the start of ``data`` as text."""
    try:
        body = msgspec.json.decode(data, type=ErrorBody)
    except (msgspec.DecodeError, RecursionError):
        body = ErrorBody()
    text = body.error or data[:200].decode("utf-8", "replace").strip()
    return text[:300]
