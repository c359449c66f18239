"""A simulated venue's rules: fees, tick sizes and minimum sizes, and the checks they make.

Pure: no trio, no I/O. Part of the fill simulator (see :mod:`agbotkit.exec.fillsim`).
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from agbotkit.model.members import BUY
from agbotkit.model.numbers import to_decimal
from agbotkit.model.orders import Order, OrderType

__all__ = ["FillRules", "book_refusal", "order_refusal", "taker_fee"]

_ZERO = Decimal(0)
_ONE = Decimal(1)
_RESTS = frozenset(kind for kind in OrderType if kind.rests)  # GTC, GTD


@attrs.frozen(kw_only=True)
class FillRules:
    """The venue rules the simulator applies.

    Attributes:
        venue: the venue name put on fills.
        fee_rate: the taker fee rate (fee = shares * fee_rate * p * (1 - p)).
        min_size: the smallest resting order, in shares (a token's own, when set, wins).
        min_notional_usd: the smallest order that takes liquidity, in USD.
        default_tick_size: the tick size of a token not told otherwise.
        order_id_prefix: venue order id = prefix + client order id.
        trade_id_prefix: trade id = prefix + a running number.
        keep_closed: closed orders kept for lookups (the oldest are forgotten).
    """

    venue: str = "paper"
    fee_rate: Decimal = attrs.field(default=_ZERO, converter=to_decimal)
    min_size: Decimal = attrs.field(default=Decimal(5), converter=to_decimal)
    min_notional_usd: Decimal = attrs.field(default=_ONE, converter=to_decimal)
    default_tick_size: Decimal = attrs.field(default=Decimal("0.01"), converter=to_decimal)
    order_id_prefix: str = "paper-"
    trade_id_prefix: str = "paper-"
    keep_closed: int = 100_000


def taker_fee(size: Decimal, price: Decimal, fee_rate: Decimal) -> Decimal:
    """Polymarket's taker fee in USD for ``size`` shares at ``price``:
    ``size * fee_rate * price * (1 - price)``, exact."""
    return size * fee_rate * price * (_ONE - price)


def order_refusal(order: Order, tick: Decimal, min_size: Decimal, now_ms: int) -> str | None:
    """Why ``order`` is refused whatever the book (tick, range, expiry, size), or None."""
    if order.price % tick != 0:
        return f"price {order.price} is not a multiple of the tick size {tick}"
    if not tick <= order.price <= _ONE - tick:
        return f"price {order.price} is outside [{tick}, {_ONE - tick}] (tick size {tick})"
    if order.expires_at_ms is not None and order.expires_at_ms <= now_ms:
        return f"GTD expiry {order.expires_at_ms} is not after now ({now_ms})"
    if order.order_type in _RESTS and order.size < min_size:
        return f"size {order.size} is below the minimum of {min_size} shares for a resting order"
    return None


def book_refusal(
    order: Order, crossing: bool, best: Decimal | None, min_notional_usd: Decimal
) -> str | None:
    """Why ``order`` is refused given whether it crosses the book (best opposite price
    ``best``), or None: a post-only order that would cross, a marketable one too small."""
    if crossing and order.post_only:
        what = "ask" if order.side is BUY else "bid"
        return f"post-only order would cross (best {what} {best})"
    if (crossing or order.order_type not in _RESTS) and order.notional_usd < min_notional_usd:
        return (
            f"marketable order notional {order.notional_usd} USD is below "
            f"the minimum of {min_notional_usd} USD"
        )
    return None
