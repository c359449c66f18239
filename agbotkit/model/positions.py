"""What is held of a token, valued at the latest mid, and snapshots of it for monitors."""

from __future__ import annotations

from decimal import Decimal

import attrs

__all__ = ["Position", "PositionSnapshot"]


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
