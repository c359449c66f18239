"""Order-side values: what a strategy wants to trade, what was traded, what is held.

Prices are probabilities in ``[0, 1]`` (USD per share, a winning share pays 1 USD) and sizes
are numbers of shares. Both are :class:`~decimal.Decimal`: these values end up in signed
orders and in the books of a simulator, where ``0.1 + 0.2`` must equal ``0.3``. A float, an
int or a numeric string is accepted and converted exactly (a float through its ``str()``).

The risk engine works on floats (see :mod:`agbotkit.model.risk`); convert once, with
:meth:`agbotkit.model.risk.RiskContext.from_intent`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypeAlias

import attrs

# One Side for books, trades and orders: re-exported so order code imports it from here.
from agbotkit.model.books import Side as Side

__all__ = [
    "Fill",
    "OrderAccepted",
    "OrderIntent",
    "OrderOutcome",
    "OrderRejected",
    "Position",
    "PositionSnapshot",
    "Side",
    "to_decimal",
]


def to_decimal(value: Decimal | int | float | str) -> Decimal:
    """``value`` as an exact, finite Decimal (a float goes through ``str()``: 0.1 -> 0.1).

    Raises:
        ValueError: ``value`` is a bool, not a number, or not finite.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError:
        raise ValueError(f"expected a number, got {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"expected a finite number, got {value!r}")
    return result


def _optional_decimal(value: Decimal | int | float | str | None) -> Decimal | None:
    return None if value is None else to_decimal(value)


def _probability(_: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if not 0 <= value <= 1:
        raise ValueError(f"{attribute.name} must lie in [0, 1], got {value}")


def _positive(_: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be > 0, got {value}")


def _non_negative(
    _: object, attribute: attrs.Attribute[Decimal | None], value: Decimal | None
) -> None:
    if value is not None and value < 0:
        raise ValueError(f"{attribute.name} must be >= 0, got {value}")


@attrs.frozen(slots=True, kw_only=True)
class OrderIntent:
    """An order a strategy wants to place; it passes the risk engine before anything else.

    Attributes:
        market_id: the market (condition id) the token belongs to.
        token_id: the outcome token traded (YES and NO are separate tokens).
        side: ``BUY`` adds shares of ``token_id``, ``SELL`` removes them.
        price: limit price, USD per share, in ``[0, 1]``.
        size: number of shares, > 0.
        client_order_id: the strategy's own id for the order (empty when it has none).
        strategy: name of the strategy that wants the order (for logs and metrics).
    """

    market_id: str
    token_id: str
    side: Side
    price: Decimal = attrs.field(converter=to_decimal, validator=_probability)
    size: Decimal = attrs.field(converter=to_decimal, validator=_positive)
    client_order_id: str = ""
    strategy: str = ""

    @property
    def signed_size(self) -> Decimal:
        """``size`` for a buy, ``-size`` for a sell (the risk engine's ``proposed_size``)."""
        return self.size if self.side is Side.BUY else -self.size

    @property
    def notional_usd(self) -> Decimal:
        """``price * size``: what a buy costs or a sell brings in, before fees."""
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
        order_id: the venue's or the strategy's id of the order that filled.
    """

    token_id: str
    side: Side
    price: Decimal = attrs.field(converter=to_decimal, validator=_probability)
    size: Decimal = attrs.field(converter=to_decimal, validator=_positive)
    market_id: str = ""
    fee_usd: Decimal | None = attrs.field(
        default=None, converter=_optional_decimal, validator=_non_negative
    )
    taker: bool = True
    timestamp_ms: int = 0
    order_id: str = ""

    @property
    def signed_size(self) -> Decimal:
        """``size`` for a buy, ``-size`` for a sell."""
        return self.size if self.side is Side.BUY else -self.size


@attrs.frozen(slots=True)
class Position:
    """What is held of one token, valued at the latest mid: a snapshot.

    Attributes:
        token_id: the outcome token.
        market_id: its market (empty when unknown).
        size: shares held, >= 0 (Polymarket has no short positions in a token).
        cost_basis_usd: what the shares held cost, fees excluded.
        realised_pnl_usd: profit taken so far on this token (sales and settlement), net of
            every fee paid on it.
        fees_usd: fees paid on this token so far (already inside ``realised_pnl_usd``).
        mark: the price the shares are valued at: the latest mid, the settlement payout
            once settled, or the average cost while no mid is known.
        settled: whether the market resolved and the token paid out.
    """

    token_id: str
    market_id: str
    size: Decimal
    cost_basis_usd: Decimal
    realised_pnl_usd: Decimal
    fees_usd: Decimal
    mark: Decimal
    settled: bool = False

    @property
    def average_cost(self) -> Decimal:
        """Cost per share held (0 when flat)."""
        return self.cost_basis_usd / self.size if self.size else Decimal(0)

    @property
    def value_usd(self) -> Decimal:
        """``size * mark``: what the shares are worth now."""
        return self.size * self.mark

    @property
    def unrealised_pnl_usd(self) -> Decimal:
        """``value_usd - cost_basis_usd``: the profit a sale at the mark would take."""
        return self.value_usd - self.cost_basis_usd

    @property
    def total_pnl_usd(self) -> Decimal:
        """Realised plus unrealised PnL."""
        return self.realised_pnl_usd + self.unrealised_pnl_usd


@attrs.frozen(slots=True, kw_only=True)
class PositionSnapshot:
    """A position as a component held it at one time (for storage and monitors).

    Attributes:
        position: the position.
        timestamp_ms: when, Unix epoch milliseconds.
        component: the component that holds the books (a risk component's name).
    """

    position: Position
    timestamp_ms: int
    component: str = ""


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
