"""``LevelsBook``: a :class:`~agbotkit.strategies.api.BookView` made from ``(price, size)``
levels, for tests of strategies and signals.

A strategy reads books only through :class:`~agbotkit.strategies.api.BookView`; a test
gives it one of these, built from plain levels, instead of a real order book fed with
wire events.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["LevelsBook"]

Levels = Iterable[tuple[float, float]]


class LevelsBook:
    """An immutable book of one token from its levels (a BookView).

    Args:
        token_id: the token.
        bids: bid levels ``(price, size)``, in any order (sorted best first here); levels
            of size 0 are dropped.
        asks: ask levels ``(price, size)``, in any order.
        market_id: the token's market.
        timestamp_ms: the time of the update that made it.
        tick_size: the token's tick size.
        valid: False for a book waiting for its snapshot.
    """

    __slots__ = (
        "_asks",
        "_bids",
        "_market_id",
        "_tick_size",
        "_timestamp_ms",
        "_token_id",
        "_valid",
    )

    def __init__(
        self,
        token_id: str,
        bids: Levels = (),
        asks: Levels = (),
        *,
        market_id: str = "",
        timestamp_ms: int = 0,
        tick_size: float = 0.01,
        valid: bool = True,
    ) -> None:
        self._token_id = token_id
        self._market_id = market_id
        self._timestamp_ms = timestamp_ms
        self._tick_size = float(tick_size)
        self._valid = valid
        self._bids = _levels(bids, best_high=True)
        self._asks = _levels(asks, best_high=False)

    def __repr__(self) -> str:
        return f"LevelsBook({self._token_id!r}, bids={self._bids!r}, asks={self._asks!r})"

    @property
    def token_id(self) -> str:
        """The token."""
        return self._token_id

    @property
    def market_id(self) -> str:
        """Its market."""
        return self._market_id

    @property
    def timestamp_ms(self) -> int:
        """The time of the update that made it, Unix ms."""
        return self._timestamp_ms

    @property
    def valid(self) -> bool:
        """Whether it may be traded on."""
        return self._valid

    @property
    def best_bid(self) -> float | None:
        """The best bid, ``None`` for an empty side."""
        return self._bids[0][0] if self._bids else None

    @property
    def best_ask(self) -> float | None:
        """The best ask, ``None`` for an empty side."""
        return self._asks[0][0] if self._asks else None

    @property
    def best_bid_size(self) -> float:
        """Shares at the best bid (0 for an empty side)."""
        return self._bids[0][1] if self._bids else 0.0

    @property
    def best_ask_size(self) -> float:
        """Shares at the best ask (0 for an empty side)."""
        return self._asks[0][1] if self._asks else 0.0

    @property
    def mid(self) -> float | None:
        """``(best_bid + best_ask) / 2`` when both sides have a level."""
        if not (self._bids and self._asks):
            return None
        return (self._bids[0][0] + self._asks[0][0]) / 2

    @property
    def tick_size(self) -> float:
        """The token's tick size."""
        return self._tick_size

    def bids(self, depth: int = 10) -> Sequence[tuple[float, float]]:
        """Up to ``depth`` bid levels, best (highest) first."""
        return self._bids[:depth]

    def asks(self, depth: int = 10) -> Sequence[tuple[float, float]]:
        """Up to ``depth`` ask levels, best (lowest) first."""
        return self._asks[:depth]


def _levels(levels: Levels, *, best_high: bool) -> tuple[tuple[float, float], ...]:
    kept = [(float(price), float(size)) for price, size in levels if float(size) > 0]
    kept.sort(key=lambda level: level[0], reverse=best_high)
    return tuple(kept)
