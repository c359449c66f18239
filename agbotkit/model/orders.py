"""Order-side values: what a strategy wants, the order sent for it, its fills and answers.

Prices are probabilities in ``[0, 1]`` (USD per share, a winning share pays 1 USD) and sizes
are numbers of shares, both exact :class:`~decimal.Decimal` (see
:mod:`agbotkit.model.numbers`): a float, an int or a numeric string is accepted and
converted exactly (a float through its ``str()``).

The risk engine works on floats (see :mod:`agbotkit.model.risk`); convert once, with
:meth:`agbotkit.model.risk.RiskContext.from_intent`.
"""

from __future__ import annotations

import enum
import uuid
from decimal import Decimal
from typing import TypeAlias

import attrs

# One Side for books, trades and orders: re-exported so order code imports it from here.
from agbotkit.model.books import Side as Side
from agbotkit.model.numbers import (
    non_empty,
    non_negative,
    optional_decimal,
    positive,
    probability,
    to_decimal,
)

# Enum members as module constants: reading one off its class costs ~6x a global.
_BUY = Side.BUY

__all__ = [
    "Fill",
    "Order",
    "OrderAccepted",
    "OrderIntent",
    "OrderOutcome",
    "OrderRejected",
    "OrderType",
    "Side",
    "TradeStatus",
    "as_order_type",
    "new_client_order_id",
]


class OrderType(enum.StrEnum):
    """How long an order lives, in Polymarket's names (its ``orderType`` field).

    ``GTC`` rests until filled or cancelled; ``GTD`` rests until its expiry; ``FOK`` fills
    entirely at once or not at all; ``FAK`` fills what it can at once and the rest is
    cancelled. FOK and FAK never rest: they are Polymarket's "market" orders.
    """

    GTC = "GTC"
    GTD = "GTD"
    FOK = "FOK"
    FAK = "FAK"

    @property
    def rests(self) -> bool:
        """Whether what does not fill at once stays on the book (GTC, GTD)."""
        return self in _RESTING_TYPES


_GTC = OrderType.GTC
_GTD = OrderType.GTD
_RESTING_TYPES = frozenset({_GTC, _GTD})


def as_order_type(value: OrderType | str) -> OrderType:
    """``value`` as an :class:`OrderType` (an attrs converter: a member passes as is, without
    the enum's lookup, which every order would otherwise pay)."""
    return value if value.__class__ is OrderType else OrderType(value)


class TradeStatus(enum.StrEnum):
    """Where a trade is on its way to the chain (Polymarket re-sends a trade per step).

    ``MATCHED -> MINED -> CONFIRMED`` is the normal path; ``RETRYING -> FAILED`` means the
    settlement transaction failed. A paper venue's trades are ``CONFIRMED`` at once.
    """

    MATCHED = "MATCHED"
    MINED = "MINED"
    CONFIRMED = "CONFIRMED"
    RETRYING = "RETRYING"
    FAILED = "FAILED"


def new_client_order_id() -> str:
    """A fresh client order id: ``ak-`` and 32 random hex digits (unique without
    coordination between processes)."""
    return f"ak-{uuid.uuid4().hex}"


def _check_lifetime(order_type: OrderType, expires_at_ms: int | None, post_only: bool) -> None:
    if order_type is _GTD and expires_at_ms is None:
        raise ValueError("a GTD order needs expires_at_ms")
    if order_type is not _GTD and expires_at_ms is not None:
        raise ValueError(f"expires_at_ms is only for GTD orders, not {order_type}")
    if post_only and order_type not in _RESTING_TYPES:
        raise ValueError(f"post_only is only for GTC and GTD orders, not {order_type}")


@attrs.frozen(slots=True, kw_only=True)
class OrderIntent:
    """An order a strategy wants to place; it passes the risk engine before anything else.

    Attributes:
        market_id: the market (condition id) the token belongs to.
        token_id: the outcome token traded (YES and NO are separate tokens).
        side: ``BUY`` adds shares of ``token_id``, ``SELL`` removes them.
        price: limit price, USD per share, in ``[0, 1]``.
        size: number of shares, > 0.
        client_order_id: the strategy's own id for the order; empty: the execution
            component makes one (:func:`new_client_order_id`). Give one to follow the
            order from its decision to its fills.
        strategy: name of the strategy that wants the order (for logs and metrics).
        order_type: GTC (default), GTD, FOK or FAK (see :class:`OrderType`).
        expires_at_ms: when a GTD order expires, Unix epoch milliseconds (GTD only).
        post_only: refuse the order rather than let it take liquidity (GTC and GTD only).
        venue: the venue to send it to; empty: the execution component's default venue.

    Raises:
        ValueError: a value is out of range, or the order type and its options disagree.
    """

    market_id: str
    token_id: str
    side: Side
    price: Decimal = attrs.field(converter=to_decimal, validator=probability)
    size: Decimal = attrs.field(converter=to_decimal, validator=positive)
    client_order_id: str = ""
    strategy: str = ""
    order_type: OrderType = attrs.field(default=_GTC, converter=as_order_type)
    expires_at_ms: int | None = None
    post_only: bool = False
    venue: str = ""

    def __attrs_post_init__(self) -> None:
        _check_lifetime(self.order_type, self.expires_at_ms, self.post_only)

    @property
    def signed_size(self) -> Decimal:
        """``size`` for a buy, ``-size`` for a sell (the risk engine's ``proposed_size``)."""
        return self.size if self.side is _BUY else -self.size

    @property
    def notional_usd(self) -> Decimal:
        """``price * size``: what a buy costs or a sell brings in, before fees."""
        return self.price * self.size


@attrs.frozen(slots=True, kw_only=True)
class Order:
    """An order as the execution layer sends it: an approved intent, its venue and its id.

    Attributes:
        client_order_id: our id of the order, unique in the process (never empty).
        venue: the venue it goes to (a name under the execution component's ``venues``).
        market_id: the market (condition id).
        token_id: the outcome token.
        side: ``BUY`` or ``SELL``.
        price: limit price, USD per share, in ``[0, 1]`` (for FOK/FAK: the worst price
            accepted while walking the book).
        size: shares, > 0.
        order_type: GTC, GTD, FOK or FAK.
        expires_at_ms: when a GTD order expires, Unix epoch milliseconds (GTD only).
        post_only: refuse rather than take liquidity (GTC and GTD only).
        strategy: the strategy that wanted it.
        created_ms: when the execution layer made it, Unix epoch milliseconds.
    """

    client_order_id: str = attrs.field(validator=non_empty)
    venue: str
    market_id: str
    token_id: str
    side: Side
    price: Decimal = attrs.field(converter=to_decimal, validator=probability)
    size: Decimal = attrs.field(converter=to_decimal, validator=positive)
    order_type: OrderType = attrs.field(default=_GTC, converter=as_order_type)
    expires_at_ms: int | None = None
    post_only: bool = False
    strategy: str = ""
    created_ms: int = 0

    def __attrs_post_init__(self) -> None:
        _check_lifetime(self.order_type, self.expires_at_ms, self.post_only)

    @classmethod
    def from_intent(
        cls, intent: OrderIntent, *, venue: str, created_ms: int, client_order_id: str = ""
    ) -> Order:
        """The order for an approved ``intent``: its own client order id, else
        ``client_order_id``, else a fresh one."""
        return cls(
            client_order_id=intent.client_order_id or client_order_id or new_client_order_id(),
            venue=venue,
            market_id=intent.market_id,
            token_id=intent.token_id,
            side=intent.side,
            price=intent.price,
            size=intent.size,
            order_type=intent.order_type,
            expires_at_ms=intent.expires_at_ms,
            post_only=intent.post_only,
            strategy=intent.strategy,
            created_ms=created_ms,
        )

    @property
    def time_in_force(self) -> OrderType:
        """The seed design's name for :attr:`order_type` (Polymarket calls it the type)."""
        return self.order_type

    @property
    def notional_usd(self) -> Decimal:
        """``price * size``."""
        return self.price * self.size


@attrs.frozen(slots=True, kw_only=True)
class Fill:
    """Shares that changed hands for one of our orders: a fact, past tense.

    Attributes:
        token_id: the outcome token traded.
        side: ``BUY`` (we received shares) or ``SELL`` (we gave shares away).
        price: execution price, USD per share, in ``[0, 1]``.
        size: shares traded, > 0.
        market_id: the token's market (condition id); empty when unknown. The simulator
            needs it to settle every token of a market at once.
        fee_usd: the fee the venue charged for this fill, in USD; ``None`` when the venue did
            not say, in which case the simulator applies its own fee model.
        taker: whether our order took liquidity (on Polymarket only takers pay fees).
        timestamp_ms: when the fill happened, Unix epoch milliseconds (0 when unknown).
        order_id: the venue's id of the order that filled (else the client order id).
        trade_id: the venue's id of the trade; one trade is counted once, however often the
            venue reports it. Empty when the venue gives none.
        trade_status: where the trade is on its way to settlement (``None``: not said).
        client_order_id: our id of the order that filled (empty when not known).
        venue: the venue it happened on (empty when not known).
    """

    token_id: str
    side: Side
    price: Decimal = attrs.field(converter=to_decimal, validator=probability)
    size: Decimal = attrs.field(converter=to_decimal, validator=positive)
    market_id: str = ""
    fee_usd: Decimal | None = attrs.field(
        default=None, converter=optional_decimal, validator=non_negative
    )
    taker: bool = True
    timestamp_ms: int = 0
    order_id: str = ""
    trade_id: str = ""
    trade_status: TradeStatus | None = attrs.field(
        default=None, converter=attrs.converters.optional(TradeStatus)
    )
    client_order_id: str = ""
    venue: str = ""

    @property
    def signed_size(self) -> Decimal:
        """``size`` for a buy, ``-size`` for a sell."""
        return self.size if self.side is _BUY else -self.size

    @property
    def notional_usd(self) -> Decimal:
        """``price * size``."""
        return self.price * self.size


@attrs.frozen(slots=True, kw_only=True)
class OrderAccepted:
    """The venue accepted an order we sent (it rests or trades).

    Attributes:
        client_order_id: the strategy's id of the order (empty when it had none).
        order_id: the venue's id of the order.
        market_id: the market (condition id).
        token_id: the outcome token.
        timestamp_ms: when the venue answered, Unix epoch milliseconds.
    """

    client_order_id: str = ""
    order_id: str = ""
    market_id: str = ""
    token_id: str = ""
    timestamp_ms: int = 0


@attrs.frozen(slots=True, kw_only=True)
class OrderRejected:
    """The venue rejected an order we sent, or sending it failed.

    Attributes:
        client_order_id: the strategy's id of the order (empty when it had none).
        order_id: the venue's id of the order, when it gave one.
        market_id: the market (condition id).
        token_id: the outcome token.
        reason: the venue's message or the error.
        timestamp_ms: when it was rejected, Unix epoch milliseconds.
    """

    client_order_id: str = ""
    order_id: str = ""
    market_id: str = ""
    token_id: str = ""
    reason: str = ""
    timestamp_ms: int = 0


#: The venue's answer to an order we sent.
OrderOutcome: TypeAlias = OrderAccepted | OrderRejected
