"""The displayed liquidity an order can take, and what this account already took of it.

Pure: no trio, no I/O. Part of the fill simulator (see :mod:`agbotkit.exec.fillsim` for the
rules it implements).

A simulated fill cannot change the venue's book: the book we see next still shows the
liquidity we "took". So that one order (or two orders of the account) cannot take the same
displayed shares twice, :class:`TakenLiquidity` remembers, per level, how many shares the
account took that the level still displays. When the level grows, the new shares joined
behind and are there to take; when it shrinks, the shares that left are taken to be ours
first (the front of the level is what takers and our walk consume), so what is left to
take does not change until everything we took has gone. A level gone from the book is
forgotten. The simulator follows every change of a level (:meth:`TakenLiquidity.follow`);
a caller that skips some only sees the net change.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import NamedTuple, Protocol

from agbotkit.model.books import PriceLevel, Side
from agbotkit.model.members import BUY, SELL

__all__ = ["BookView", "Slice", "TakenLiquidity", "crosses", "opposite", "walk"]

_ZERO = Decimal(0)
# Levels fetched first when walking a book: most orders stop within a few levels, and asking
# a book for every level costs as much as the book is deep.
_FIRST_DEPTH = 16


class BookView(Protocol):
    """What the simulator reads of a token's book (:class:`agbotkit.marketdata.book.OrderBook`
    has it). ``Side.BUY`` is the bid side, ``Side.SELL`` the ask side."""

    def bids(self, depth: int | None = None) -> list[PriceLevel]:
        """Bid levels, best (highest) first, at most ``depth`` (all when None)."""
        ...

    def asks(self, depth: int | None = None) -> list[PriceLevel]:
        """Ask levels, best (lowest) first, at most ``depth`` (all when None)."""
        ...

    def size_at(self, side: Side, price: Decimal) -> Decimal:
        """The size displayed at ``price`` on ``side``, 0 when none."""
        ...


class Slice(NamedTuple):
    """Part of one displayed level an order can take.

    Attributes:
        price: the level's price.
        size: the shares taken from it.
        displayed: the level's displayed size when taken.
    """

    price: Decimal
    size: Decimal
    displayed: Decimal


def opposite(side: Side) -> Side:
    """The other side: a buy takes from the asks (``SELL`` side), a sell from the bids."""
    return SELL if side is BUY else BUY


def crosses(side: Side, limit: Decimal, level_price: Decimal) -> bool:
    """Whether an order of ``side`` at ``limit`` reaches an opposite level at ``level_price``."""
    return level_price <= limit if side is BUY else level_price >= limit


def _levels(book: BookView, side: Side) -> Iterator[PriceLevel]:
    """The levels an order of ``side`` meets, best first (a buy: asks ascending)."""
    fetch = book.asks if side is BUY else book.bids
    first = fetch(_FIRST_DEPTH)
    yield from first
    if len(first) == _FIRST_DEPTH:
        yield from fetch(None)[_FIRST_DEPTH:]


class TakenLiquidity:
    """Shares this account took from displayed levels, per token (see the module docstring)."""

    __slots__ = ("_tokens",)

    def __init__(self) -> None:
        # token -> (book side, price) -> (displayed size last seen, shares of it taken)
        self._tokens: dict[str, dict[tuple[Side, Decimal], tuple[Decimal, Decimal]]] = {}

    @staticmethod
    def _still_taken(entry: tuple[Decimal, Decimal], displayed: Decimal) -> Decimal:
        """What of ``entry`` is still taken now that the level displays ``displayed``."""
        seen, taken = entry
        if displayed < seen:  # shares left the level: ours first
            return max(taken - (seen - displayed), _ZERO)
        return taken

    def available(self, token_id: str, side: Side, price: Decimal, displayed: Decimal) -> Decimal:
        """What is left to take at a level that displays ``displayed``."""
        levels = self._tokens.get(token_id)
        entry = None if levels is None else levels.get((side, price))
        if entry is None:
            return displayed
        return max(displayed - self._still_taken(entry, displayed), _ZERO)

    def take(
        self, token_id: str, side: Side, price: Decimal, displayed: Decimal, size: Decimal
    ) -> None:
        """Record that ``size`` shares were taken at a level displaying ``displayed``."""
        levels = self._tokens.setdefault(token_id, {})
        key = (side, price)
        entry = levels.get(key)
        already = _ZERO if entry is None else self._still_taken(entry, displayed)
        levels[key] = (displayed, already + size)

    def follow(
        self, token_id: str, book: BookView, levels: Iterable[tuple[Side, Decimal]] | None
    ) -> None:
        """The book of ``token_id`` changed at ``levels`` (``None``: anywhere, a snapshot):
        bring the records of those levels up to date."""
        records = self._tokens.get(token_id)
        if not records:
            return
        # A delta may list one level twice: each key once (the book holds its last size).
        keys = (
            list(records) if levels is None else [k for k in dict.fromkeys(levels) if k in records]
        )
        for key in keys:
            displayed = book.size_at(key[0], key[1])
            taken = self._still_taken(records[key], displayed)
            if taken > 0 and displayed > 0:
                records[key] = (displayed, taken)
            else:
                del records[key]
        if not records:
            del self._tokens[token_id]

    def forget_token(self, token_id: str) -> None:
        """Drop every record of ``token_id`` (its book was reset)."""
        self._tokens.pop(token_id, None)


def walk(
    book: BookView,
    token_id: str,
    side: Side,
    limit: Decimal,
    want: Decimal,
    taken: TakenLiquidity,
) -> list[Slice]:
    """What an order of ``side`` limited at ``limit`` can take now, best level first, at
    most ``want`` shares, net of what this account already took. Records nothing: call
    :meth:`TakenLiquidity.take` for the slices actually filled."""
    book_side = opposite(side)
    slices: list[Slice] = []
    left = want
    for price, displayed in _levels(book, side):
        if left <= 0 or not crosses(side, limit, price):
            break
        size = min(taken.available(token_id, book_side, price, displayed), left)
        if size > 0:
            slices.append(Slice(price, size, displayed))
            left -= size
    return slices
