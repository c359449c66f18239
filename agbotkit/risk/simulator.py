"""``PolymarketSimulator``: positions, average cost, PnL and inventory value from fills.

Polymarket's rules, as modelled here:

* YES and NO are separate tokens, each with its own position; a "short YES" is a long NO.
* A token cannot be sold short: a fill that sells more than is held raises
  :class:`InsufficientPositionError` and changes nothing. Fills are facts and the exchange
  never matches such a sale, so one arriving means the caller's books are wrong: that is a
  bug to surface, not an order to deny (order denials are the risk engine's job).
* Prices lie in ``[0, 1]``; a resolved market settles each token at its payout (1 for the
  winner, 0 for the loser, 0.5 each for a 50-50 resolution).
* Fees are in USD and hit realised PnL when paid. A fill that reports ``fee_usd`` is
  charged that; otherwise taker fills pay the market's fee curve
  ``size * fee_rate * (price * (1 - price)) ** fee_exponent``, floored to 0.00001 USD
  (docs.polymarket.com/trading/fees), and maker fills pay nothing. The default rate is 0.

Amounts are Decimal: the simulator keeps books, where ``0.1 + 0.2`` must be ``0.3`` and
buying then selling everything at one price must leave exactly the fees as PnL.

Accounting (average cost): a buy adds ``size * price`` to the cost basis; a sale removes the
sold fraction of the cost basis and realises ``proceeds - removed cost - fee``. Unrealised
PnL is ``size * mark - cost basis`` at the latest mid (the average cost until a mid is
known, so no PnL is invented).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

import attrs

from agbotkit.errors import InsufficientPositionError, SettledTokenError
from agbotkit.model.members import BUY, SELL
from agbotkit.model.numbers import to_decimal
from agbotkit.model.orders import Fill, Side
from agbotkit.model.positions import Position

__all__ = [
    "PolymarketSimulator",
]

_ZERO = Decimal(0)
_ONE = Decimal(1)
_FEE_QUANTUM = Decimal("0.00001")


@attrs.define
class _Book:
    """Mutable books of one token."""

    market_id: str = ""
    size: Decimal = _ZERO
    cost: Decimal = _ZERO
    realised: Decimal = _ZERO
    fees: Decimal = _ZERO
    mid: Decimal | None = None
    settled: bool = False

    def snapshot(self, token_id: str) -> Position:
        mark = self.mid
        if mark is None:  # no mid yet: mark at cost, so no PnL is invented
            mark = self.cost / self.size if self.size else _ZERO
        return Position(
            token_id,
            self.market_id,
            self.size,
            self.cost,
            self.realised,
            self.fees,
            mark,
            self.settled,
        )


class PolymarketSimulator:
    """Tracks positions per token from fills, marked at the latest mid.

    Args:
        fee_rate: the taker fee rate of the fee curve (``0.02`` is 2 %); 0 by default.
        fee_exponent: the fee curve's exponent (Polymarket's default is 1).
    """

    def __init__(self, *, fee_rate: Decimal | float | str = 0, fee_exponent: int = 1) -> None:
        self.fee_rate = to_decimal(fee_rate)
        if self.fee_rate < 0:
            raise ValueError(f"fee_rate must be >= 0, got {fee_rate}")
        if fee_exponent < 1:
            raise ValueError(f"fee_exponent must be >= 1, got {fee_exponent}")
        self.fee_exponent = fee_exponent
        self._books: dict[str, _Book] = {}

    # -- trading ------------------------------------------------------------------------

    def restore(self, position: Position) -> None:
        """Take ``position`` as the token's books (a restart picking up where it stopped).

        Its mark is not kept: the next book of the token gives the mid.
        """
        self._books[position.token_id] = _Book(
            market_id=position.market_id,
            size=position.size,
            cost=position.cost_basis_usd,
            realised=position.realised_pnl_usd,
            fees=position.fees_usd,
            settled=position.settled,
        )

    def fee_for(self, fill: Fill) -> Decimal:
        """The fee charged for ``fill``: its own ``fee_usd``, else the fee curve's."""
        if fill.fee_usd is not None:
            return fill.fee_usd
        if not fill.taker or not self.fee_rate:
            return _ZERO
        curve = (fill.price * (_ONE - fill.price)) ** self.fee_exponent
        return (fill.size * self.fee_rate * curve).quantize(_FEE_QUANTUM, rounding=ROUND_DOWN)

    def apply_fill(self, fill: Fill) -> Position:
        """Book one fill and return the token's position after it.

        Raises:
            InsufficientPositionError: a sale of more than is held; nothing changed.
            SettledTokenError: the token's market was settled; nothing changed.
        """
        book = self._books.get(fill.token_id)
        if book is None:
            book = self._books[fill.token_id] = _Book()
        if book.settled:
            raise SettledTokenError(fill.token_id)
        if fill.side is SELL and fill.size > book.size:
            raise InsufficientPositionError(fill.token_id, book.size, fill.size)
        if fill.market_id:
            book.market_id = fill.market_id
        fee = self.fee_for(fill)
        if fill.side is BUY:
            book.size += fill.size
            book.cost += fill.size * fill.price
        else:
            # Selling everything releases the whole cost basis (no division, no rounding).
            removed = book.cost if fill.size == book.size else book.cost * fill.size / book.size
            book.realised += fill.size * fill.price - removed
            book.size -= fill.size
            book.cost -= removed
        book.realised -= fee
        book.fees += fee
        return book.snapshot(fill.token_id)

    def buy(
        self,
        token_id: str,
        size: Decimal | float | str,
        price: Decimal | float | str,
        *,
        market_id: str = "",
        fee_usd: Decimal | float | str | None = None,
    ) -> Position:
        """Book a buy fill (a shortcut for :meth:`apply_fill`)."""
        return self._trade(BUY, token_id, size, price, market_id, fee_usd)

    def sell(
        self,
        token_id: str,
        size: Decimal | float | str,
        price: Decimal | float | str,
        *,
        market_id: str = "",
        fee_usd: Decimal | float | str | None = None,
    ) -> Position:
        """Book a sell fill (a shortcut for :meth:`apply_fill`)."""
        return self._trade(SELL, token_id, size, price, market_id, fee_usd)

    def _trade(
        self,
        side: Side,
        token_id: str,
        size: Decimal | float | str,
        price: Decimal | float | str,
        market_id: str,
        fee_usd: Decimal | float | str | None,
    ) -> Position:
        fill = Fill(
            token_id=token_id,
            side=side,
            price=price,
            size=size,
            market_id=market_id,
            fee_usd=fee_usd,
        )
        return self.apply_fill(fill)

    def update_mid(self, token_id: str, mid: Decimal | float | str) -> None:
        """Mark ``token_id`` at ``mid`` (in ``[0, 1]``) from now on; settled tokens keep
        their payout."""
        value = to_decimal(mid)
        if not _ZERO <= value <= _ONE:
            raise ValueError(f"mid must lie in [0, 1], got {mid}")
        book = self._books.get(token_id)
        if book is None:
            book = self._books[token_id] = _Book()
        if not book.settled:
            book.mid = value

    def settle(self, token_id: str, payout: Decimal | float | str) -> Position:
        """Settle ``token_id`` at ``payout`` per share (1 won, 0 lost) and close it.

        The shares held are redeemed: ``size * payout - cost basis`` is realised, the
        position goes flat and later fills of the token raise :class:`SettledTokenError`.
        """
        value = to_decimal(payout)
        if not _ZERO <= value <= _ONE:
            raise ValueError(f"payout must lie in [0, 1], got {payout}")
        book = self._books.get(token_id)
        if book is None:
            book = self._books[token_id] = _Book()
        if not book.settled:
            book.realised += book.size * value - book.cost
            book.size = _ZERO
            book.cost = _ZERO
            book.mid = value
            book.settled = True
        return book.snapshot(token_id)

    def resolve(self, market_id: str, winning_token_id: str) -> tuple[Position, ...]:
        """Settle every known token of ``market_id``: the winner at 1, the others at 0."""
        tokens = [token for token, book in self._books.items() if book.market_id == market_id]
        if winning_token_id not in tokens:
            tokens.append(winning_token_id)
            self._books.setdefault(winning_token_id, _Book(market_id=market_id))
        return tuple(
            self.settle(token, _ONE if token == winning_token_id else _ZERO) for token in tokens
        )

    def reset(self) -> None:
        """Forget every position, mark and PnL (a new session)."""
        self._books.clear()

    # -- reading ------------------------------------------------------------------------

    def position(self, token_id: str) -> Position:
        """The position in ``token_id`` (flat when never traded)."""
        book = self._books.get(token_id)
        return (book if book is not None else _Book()).snapshot(token_id)

    def size(self, token_id: str) -> Decimal:
        """Shares held of ``token_id`` (0 when never traded); :meth:`position` without
        building the whole position, for callers that ask per order."""
        book = self._books.get(token_id)
        return _ZERO if book is None else book.size

    def positions(self) -> tuple[Position, ...]:
        """Every token traded, marked or settled this session, in first-seen order."""
        return tuple(book.snapshot(token) for token, book in self._books.items())

    @property
    def inventory_value_usd(self) -> Decimal:
        """What everything held is worth at the marks."""
        return sum((p.value_usd for p in self.positions()), _ZERO)

    @property
    def realised_pnl_usd(self) -> Decimal:
        """Profit taken (sales and settlements), net of every fee."""
        return sum((book.realised for book in self._books.values()), _ZERO)

    @property
    def unrealised_pnl_usd(self) -> Decimal:
        """Profit a sale of everything at the marks would take (before its fees)."""
        return sum((p.unrealised_pnl_usd for p in self.positions()), _ZERO)

    @property
    def total_pnl_usd(self) -> Decimal:
        """Realised plus unrealised: what to feed :meth:`RiskEngine.record_pnl`."""
        return self.realised_pnl_usd + self.unrealised_pnl_usd

    @property
    def fees_usd(self) -> Decimal:
        """Fees paid this session."""
        return sum((book.fees for book in self._books.values()), _ZERO)
