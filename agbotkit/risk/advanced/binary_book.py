"""Polymarket positions for the binary Monte Carlo, and the arrays the simulation runs on.

A :class:`BinaryPosition` is a signed holding of one outcome token at its current price.
:func:`layout` checks a portfolio of them and groups them into *events*: sets of mutually
exclusive outcomes of which exactly one wins (a neg-risk event, or the YES and NO tokens
of one market under one ``event_id``). A position without ``event_id`` is an event of its
own whose other outcome (the complement, 1 - price) is not held.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs
import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

__all__ = ["BinaryPosition", "Layout", "layout"]


@attrs.frozen
class BinaryPosition:
    """One outcome token held (or sold short).

    Attributes:
        token_id: the outcome token; unique within a portfolio.
        shares: shares held, negative for a short; each pays 1 USD if the outcome wins.
        price: the current price, read as the probability that the outcome wins, in [0, 1].
        daily_logit_volatility: the standard deviation of the daily change of the price's
            log-odds ``ln(p / (1 - p))``, >= 0 (0 keeps the price still until resolution).
        days_to_resolution: calendar days until the market resolves; ``None`` when it
            resolves after any horizon of interest.
        event_id: the neg-risk event (or market) whose outcomes exclude each other;
            ``None`` for a market standing alone.

    Raises:
        ValueError: on a non-finite number of shares, a price outside [0, 1], a negative
            volatility or a negative time to resolution.
    """

    token_id: str
    shares: float
    price: float
    daily_logit_volatility: float
    days_to_resolution: float | None = None
    event_id: str | None = None

    def __attrs_post_init__(self) -> None:
        where = f"position {self.token_id!r}"
        if not math.isfinite(self.shares):
            raise ValueError(f"{where}: shares must be finite; got {self.shares!r}")
        if not 0.0 <= self.price <= 1.0:  # NaN fails too
            raise ValueError(f"{where}: price must be in [0, 1]; got {self.price!r}")
        vol = self.daily_logit_volatility
        if not (math.isfinite(vol) and vol >= 0.0):
            raise ValueError(f"{where}: daily_logit_volatility must be >= 0; got {vol!r}")
        days = self.days_to_resolution
        if days is not None and not days >= 0.0:
            raise ValueError(f"{where}: days_to_resolution must be >= 0; got {days!r}")


@attrs.frozen
class Layout:
    """A portfolio's positions reordered for vectorised simulation: the ``moving`` columns
    (not resolved within the horizon) first, then the ``resolving`` ones.

    Attributes:
        order: position index of each internal column.
        moving: how many leading columns move in logit space.
        singles: how many of those (the first) are markets standing alone.
        prices: current prices, internal order (float64).
        shares: shares, internal order (float64).
        weight: each moving column's event-normalised probability ``q``.
        step: each moving column's logit step, ``daily_logit_volatility * sqrt(h)``.
        scale: each moving column's event normaliser ``max(1, sum of its event's prices)``.
        odds: for each single, ``(1 - price) / price`` (inf at price 0).
        events: each moving event of several outcomes as ``(start, stop, rest)``: its
            columns and the probability held by its outcomes outside the portfolio.
        source: each resolving column's decisive draw: its event's first column.
        z_low: each resolving column wins when its draw lies in ``[z_low, z_high)``.
        z_high: see ``z_low``.
    """

    order: NDArray[np.intp]
    moving: int
    singles: int
    prices: NDArray[np.float64]
    shares: NDArray[np.float64]
    weight: NDArray[np.float32]
    step: NDArray[np.float32]
    scale: NDArray[np.float32]
    odds: NDArray[np.float32]
    events: tuple[tuple[int, int, np.float32], ...]
    source: NDArray[np.intp]
    z_low: NDArray[np.float32]
    z_high: NDArray[np.float32]


def layout(positions: Sequence[BinaryPosition], time_horizon_days: float) -> Layout:
    """Check ``positions`` and lay them out for a horizon of ``time_horizon_days``.

    Raises:
        ValueError: if a token appears twice, or the outcomes of one event resolve at
            different times.
    """
    grouped: dict[object, list[int]] = {}
    seen: set[str] = set()
    for index, position in enumerate(positions):
        if position.token_id in seen:
            raise ValueError(f"positions: token {position.token_id!r} appears twice")
        seen.add(position.token_id)
        key: object = index if position.event_id is None else f"event {position.event_id!r}"
        grouped.setdefault(key, []).append(index)
    moving_events: list[list[int]] = []
    resolving_events: list[list[int]] = []
    for key, members in grouped.items():
        days = {positions[i].days_to_resolution for i in members}
        if len(days) > 1:
            raise ValueError(f"positions: {key} mixes days_to_resolution {sorted(days, key=str)}")
        (resolves_in,) = days
        resolving = resolves_in is not None and resolves_in <= time_horizon_days
        (resolving_events if resolving else moving_events).append(members)
    # Singles first: their step is a plain logit walk, computed in one block.
    moving_events.sort(key=len)
    singles = sum(1 for members in moving_events if len(members) == 1)
    ordered = moving_events + resolving_events
    order = np.array([i for members in ordered for i in members], dtype=np.intp)
    prices = np.array([positions[i].price for i in order], dtype=np.float64)
    shares = np.array([positions[i].shares for i in order], dtype=np.float64)
    probability = np.empty_like(prices)
    normaliser = np.empty_like(prices)
    spans: list[tuple[int, int]] = []
    column = 0
    for members in ordered:
        stop = column + len(members)
        total = float(prices[column:stop].sum())
        # Quotes of a complete event may sum above 1 (the book's over-round): normalise.
        normaliser[column:stop] = max(1.0, total)
        probability[column:stop] = prices[column:stop] / normaliser[column:stop]
        spans.append((column, stop))
        column = stop
    moving = sum(len(members) for members in moving_events)
    events = tuple(
        (start, stop, np.float32(max(0.0, 1.0 - float(probability[start:stop].sum()))))
        for start, stop in spans[singles : len(moving_events)]
    )
    source = np.empty(len(order) - moving, dtype=np.intp)
    low = np.empty(len(order) - moving, dtype=np.float64)
    high = np.empty_like(low)
    for start, stop in spans[len(moving_events) :]:
        cumulative = np.cumsum(probability[start:stop])
        low[start - moving : stop - moving] = cumulative - probability[start:stop]
        high[start - moving : stop - moving] = cumulative
        source[start - moving : stop - moving] = start
    vols = np.array([positions[i].daily_logit_volatility for i in order[:moving]])
    # A price of 0 or 1 cannot move (its log-odds are infinite): a zero step keeps it.
    vols[(prices[:moving] == 0.0) | (prices[:moving] == 1.0)] = 0.0
    # A price of 0, or one so small its odds overflow float32, has odds inf; one near 1 may
    # have odds 0. Such prices stay where they are (a zero step), which also keeps
    # inf * 0 out of the simulation.
    with np.errstate(divide="ignore", over="ignore"):
        odds = ((1.0 - prices[:singles]) / prices[:singles]).astype(np.float32)
    vols[:singles][~np.isfinite(odds) | (odds == 0.0)] = 0.0
    return Layout(
        order=order,
        moving=moving,
        singles=singles,
        prices=prices,
        shares=shares,
        weight=probability[:moving].astype(np.float32),
        step=(vols * math.sqrt(time_horizon_days)).astype(np.float32),
        scale=normaliser[:moving].astype(np.float32),
        odds=odds,
        events=events,
        source=source,
        # A draw below Phi^-1(high) has probability high: the winner is the outcome whose
        # slice [low, high) of the unit interval the draw's uniform falls in.
        z_low=ndtri(low).astype(np.float32),
        z_high=ndtri(high).astype(np.float32),
    )
