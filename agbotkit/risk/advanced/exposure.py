"""Probability-space exposure: what each resolution does to positions in YES/NO shares.

Most Polymarket markets have no underlying to take a delta against; their risk is the jump
at resolution, when each share becomes worth 1 or 0. For each binary market this module
gives the profit or loss if YES wins and if NO wins, against the current marks (the jump
to resolution) and against the average cost. For a neg-risk event, where exactly one of its
markets resolves YES, it gives the outcome of each scenario "market i wins": market i pays
its YES shares, every other market pays its NO shares, so the payoff is::

    payoff_i = yes_i + sum over j != i of no_j = N + (yes_i - no_i),   N = sum of no_j

``yes_i - no_i`` (``net_yes_shares``) is therefore the event's exposure to outcome i: the
USD gained, beyond the NO shares' common floor ``N``, if i wins. When the markets listed do
not cover every outcome (an unlisted "Other" wins), all listed markets resolve NO and the
payoff is ``N``: reported as ``pnl_if_none_usd`` and counted in the worst case unless the
event is declared complete.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "EventExposure",
    "MarketExposure",
    "OutcomePosition",
    "ProbabilityExposure",
    "probability_exposure",
]


def _unit_price(name: str, value: float) -> None:
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"{name} must be a price in [0, 1], got {value!r}")


def _shares(name: str, value: float) -> None:
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number of shares, got {value!r}")


@attrs.frozen(slots=True, kw_only=True)
class OutcomePosition:
    """Shares held in one binary market, with their marks and costs.

    Attributes:
        market_id: the market (condition id).
        yes_shares: YES shares held (signed; Polymarket holdings are >= 0).
        no_shares: NO shares held.
        yes_price: the YES share's mark now, in [0, 1] (mid or last trade).
        no_price: the NO share's mark; ``1 - yes_price`` when not given.
        yes_average_cost: average price paid per YES share; the mark when not given.
        no_average_cost: average price paid per NO share; the mark when not given.
        event_id: the neg-risk event the market belongs to (exactly one of its markets
            resolves YES), or ``None`` for a standalone market.
    """

    market_id: str
    yes_price: float
    yes_shares: float = 0.0
    no_shares: float = 0.0
    no_price: float = attrs.field(
        default=attrs.Factory(lambda self: 1.0 - self.yes_price, takes_self=True)
    )
    yes_average_cost: float = attrs.field(
        default=attrs.Factory(lambda self: self.yes_price, takes_self=True)
    )
    no_average_cost: float = attrs.field(
        default=attrs.Factory(lambda self: self.no_price, takes_self=True)
    )
    event_id: str | None = None

    def __attrs_post_init__(self) -> None:
        _shares("yes_shares", self.yes_shares)
        _shares("no_shares", self.no_shares)
        _unit_price("yes_price", self.yes_price)
        _unit_price("no_price", self.no_price)
        _unit_price("yes_average_cost", self.yes_average_cost)
        _unit_price("no_average_cost", self.no_average_cost)


@attrs.frozen(slots=True, kw_only=True)
class MarketExposure:
    """One market's two resolutions.

    Attributes:
        market_id: the market.
        event_id: its neg-risk event, or ``None``.
        value_usd: the positions at their marks now.
        cost_usd: what the positions cost.
        pnl_if_yes_usd: jump-to-resolution profit if YES wins (payoff minus ``value_usd``).
        pnl_if_no_usd: the same if NO wins.
        pnl_vs_cost_if_yes_usd: profit against cost if YES wins (payoff minus ``cost_usd``).
        pnl_vs_cost_if_no_usd: the same if NO wins.
        net_yes_shares: ``yes_shares - no_shares``: payoff if YES minus payoff if NO.
    """

    market_id: str
    event_id: str | None
    value_usd: float
    cost_usd: float
    pnl_if_yes_usd: float
    pnl_if_no_usd: float
    pnl_vs_cost_if_yes_usd: float
    pnl_vs_cost_if_no_usd: float
    net_yes_shares: float


@attrs.frozen(slots=True, kw_only=True)
class EventExposure:
    """A neg-risk event's scenarios: each listed market winning, or none of them.

    Attributes:
        event_id: the event.
        market_ids: its markets, in the order of the per-market tuples.
        net_yes_shares: per market, ``yes_i - no_i``: what winning adds to the NO floor.
        pnl_if_wins_usd: per market, jump-to-resolution profit if it is the one to win.
        pnl_vs_cost_if_wins_usd: per market, profit against cost if it wins.
        pnl_if_none_usd: profit if an outcome not listed wins (every listed market NO).
        complete: whether the listed markets cover every outcome (then ``pnl_if_none_usd``
            is not a possible scenario).
        worst_pnl_usd: the smallest jump-to-resolution profit over possible scenarios.
        best_pnl_usd: the largest.
        worst_market_id: the market whose win gives ``worst_pnl_usd`` (``None`` for the
            "none listed" scenario).
    """

    event_id: str
    market_ids: tuple[str, ...]
    net_yes_shares: tuple[float, ...]
    pnl_if_wins_usd: tuple[float, ...]
    pnl_vs_cost_if_wins_usd: tuple[float, ...]
    pnl_if_none_usd: float
    complete: bool
    worst_pnl_usd: float
    best_pnl_usd: float
    worst_market_id: str | None


@attrs.frozen(slots=True, kw_only=True)
class ProbabilityExposure:
    """Exposure per market and per neg-risk event.

    Attributes:
        markets: one entry per position, in the order given.
        events: one entry per neg-risk event, in order of first appearance.
    """

    markets: tuple[MarketExposure, ...]
    events: tuple[EventExposure, ...]


def _event(
    event_id: str,
    rows: list[int],
    ids: list[str],
    yes: NDArray[np.float64],
    no: NDArray[np.float64],
    value: float,
    cost: float,
    complete: bool,
) -> EventExposure:
    floor = float(no[rows].sum())
    net = yes[rows] - no[rows]
    payoff = floor + net
    pnl = payoff - value
    none = floor - value
    scenarios = pnl if complete else np.append(pnl, none)
    worst = int(np.argmin(scenarios))
    return EventExposure(
        event_id=event_id,
        market_ids=tuple(ids[i] for i in rows),
        net_yes_shares=tuple(net.tolist()),
        pnl_if_wins_usd=tuple(pnl.tolist()),
        pnl_vs_cost_if_wins_usd=tuple((payoff - cost).tolist()),
        pnl_if_none_usd=none,
        complete=complete,
        worst_pnl_usd=float(scenarios[worst]),
        best_pnl_usd=float(scenarios.max()),
        worst_market_id=ids[rows[worst]] if worst < len(rows) else None,
    )


def probability_exposure(
    positions: Sequence[OutcomePosition], *, complete_events: bool = True
) -> ProbabilityExposure:
    """Jump-to-resolution profit per market and per neg-risk event.

    Args:
        positions: one per market (markets of a neg-risk event share an ``event_id``).
        complete_events: whether each event's listed markets cover all its outcomes. When
            ``False``, "an unlisted outcome wins" counts among the event's scenarios.

    Returns:
        The exposure of every market and of every event.

    Raises:
        ValueError: a market is listed twice.
    """
    ids = [p.market_id for p in positions]
    if len(set(ids)) != len(ids):
        repeated = sorted({m for m in ids if ids.count(m) > 1})
        raise ValueError(f"positions: each market once, got {repeated} more than once")
    yes = np.array([p.yes_shares for p in positions], dtype=np.float64)
    no = np.array([p.no_shares for p in positions], dtype=np.float64)
    value = yes * [p.yes_price for p in positions] + no * [p.no_price for p in positions]
    cost = yes * [p.yes_average_cost for p in positions] + no * [
        p.no_average_cost for p in positions
    ]
    markets = tuple(
        MarketExposure(
            market_id=p.market_id,
            event_id=p.event_id,
            value_usd=float(value[i]),
            cost_usd=float(cost[i]),
            pnl_if_yes_usd=float(yes[i] - value[i]),
            pnl_if_no_usd=float(no[i] - value[i]),
            pnl_vs_cost_if_yes_usd=float(yes[i] - cost[i]),
            pnl_vs_cost_if_no_usd=float(no[i] - cost[i]),
            net_yes_shares=float(yes[i] - no[i]),
        )
        for i, p in enumerate(positions)
    )
    members: dict[str, list[int]] = {}
    for i, p in enumerate(positions):
        if p.event_id is not None:
            members.setdefault(p.event_id, []).append(i)
    events = tuple(
        _event(
            event_id,
            rows,
            ids,
            yes,
            no,
            float(value[rows].sum()),
            float(cost[rows].sum()),
            complete_events,
        )
        for event_id, rows in members.items()
    )
    return ProbabilityExposure(markets=markets, events=events)
