"""The fake CLOB's order book of one token and its matching (pure: no trio, no I/O).

A book holds resting orders on two sides, best price first and, at one price, oldest first
(price-time priority). Liquidity a test seeds with :meth:`FakeClob.set_book` rests as
anonymous orders (no owner); orders placed through the fake rest with their owner's API key.

Matching follows the CLOB's rules as far as a test needs them: a BUY at limit ``p`` takes
asks priced ``<= p``, a SELL takes bids ``>= p``, always at the resting order's price; an
order never trades with a resting order of its own API key (the venue forbids self-trades:
that order is skipped). Only the matching is here: what an order type does with the rest
(rest, kill, refuse) is :mod:`.exchange`'s.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from decimal import Decimal

import attrs

from agbotkit.model.books import Side

__all__ = ["Book", "Match", "Resting"]


def _price(order: Resting) -> Decimal:
    return order.price


def _negated_price(order: Resting) -> Decimal:
    return -order.price


@attrs.define(eq=False)
class Resting:
    """An order on the book (mutable: its remaining size shrinks as it trades).

    Attributes:
        order_id: the order's id (its hash; ``seed-…`` for seeded liquidity).
        side: BUY rests on the bids, SELL on the asks.
        price: its limit price.
        size: shares still open.
        owner: the API key that placed it; empty for seeded liquidity.
        maker_address: the wallet that funds it.
        seq: arrival order, for time priority.
    """

    order_id: str
    side: Side
    price: Decimal
    size: Decimal
    owner: str = ""
    maker_address: str = ""
    seq: int = 0


@attrs.frozen
class Match:
    """One resting order an incoming order traded with.

    Attributes:
        resting: the order on the book (its ``size`` already reduced).
        price: the price they traded at (the resting order's).
        size: shares traded.
    """

    resting: Resting
    price: Decimal
    size: Decimal


@attrs.define
class Book:
    """The resting orders of one token (see the module docstring).

    Attributes:
        bids: BUY orders, best (highest) price first.
        asks: SELL orders, best (lowest) price first.
    """

    bids: list[Resting] = attrs.Factory(list)
    asks: list[Resting] = attrs.Factory(list)
    _seq: int = 0

    def add(self, order: Resting) -> None:
        """Rest an order behind every order at its price or better (a binary search: the
        fake keeps thousands of resting orders in long benchmarks)."""
        self._seq += 1
        order.seq = self._seq
        if order.side is Side.BUY:
            index = bisect.bisect_right(self.bids, -order.price, key=_negated_price)
            self.bids.insert(index, order)
        else:
            index = bisect.bisect_right(self.asks, order.price, key=_price)
            self.asks.insert(index, order)

    def remove(self, order_id: str) -> Resting | None:
        """Take an order off the book; ``None`` when it is not there."""
        for side in (self.bids, self.asks):
            for index, order in enumerate(side):
                if order.order_id == order_id:
                    return side.pop(index)
        return None

    def _crossing(
        self, side: Side, limit: Decimal, owner: str, owned_only: bool = False
    ) -> Iterator[Resting]:
        """Resting orders an incoming ``side`` order at ``limit`` may trade with, best first
        (with ``owned_only``, only those an account placed)."""
        opposite = self.asks if side is Side.BUY else self.bids
        for order in opposite:
            crosses = order.price <= limit if side is Side.BUY else order.price >= limit
            if not crosses:
                return
            if (owner and order.owner == owner) or (owned_only and not order.owner):
                continue  # no self-trade; seeded liquidity does not trade with itself
            yield order

    def available(self, side: Side, limit: Decimal, owner: str = "") -> Decimal:
        """Shares an incoming order could trade at once (what FOK checks)."""
        return sum((order.size for order in self._crossing(side, limit, owner)), Decimal(0))

    def crosses(self, side: Side, limit: Decimal) -> bool:
        """Whether an order at ``limit`` would trade at once (what postOnly refuses)."""
        opposite = self.asks if side is Side.BUY else self.bids
        if not opposite:
            return False
        best = opposite[0].price
        return best <= limit if side is Side.BUY else best >= limit

    def match(
        self,
        side: Side,
        limit: Decimal,
        size: Decimal,
        owner: str = "",
        *,
        owned_only: bool = False,
    ) -> list[Match]:
        """Trade an incoming order of ``size`` shares against the book, best price first
        (with ``owned_only``, against accounts' orders only); the orders it empties leave
        the book."""
        matches: list[Match] = []
        left = size
        for order in list(self._crossing(side, limit, owner, owned_only)):
            if left <= 0:
                break
            traded = min(left, order.size)
            order.size -= traded
            left -= traded
            matches.append(Match(order, order.price, traded))
        emptied = {id(m.resting) for m in matches if m.resting.size <= 0}
        if emptied:
            opposite = self.asks if side is Side.BUY else self.bids
            opposite[:] = [o for o in opposite if id(o) not in emptied]
        return matches

    def levels(self, side: Side) -> list[tuple[Decimal, Decimal]]:
        """Aggregated ``(price, size)`` levels of one side, best first."""
        levels: dict[Decimal, Decimal] = {}
        for order in self.bids if side is Side.BUY else self.asks:
            levels[order.price] = levels.get(order.price, Decimal(0)) + order.size
        return list(levels.items())
