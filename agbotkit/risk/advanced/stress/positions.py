"""The positions a stress test values: Polymarket shares with their books and links.

A :class:`StressPosition` is one token held (or short): its market, its neg-risk event if
any, its mid, bid and ask, and optionally the reference asset its market is about (``BTC
above 100k on 31 Dec`` is a digital call on BTC). A :class:`StressPortfolio` checks them
once and lays them out as numpy arrays, so every scenario is a few vector operations.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from agbotkit.config.checks import at_least, between, greater_than, non_empty, one_of
from agbotkit.risk.advanced.stress.repricing import DAYS_PER_YEAR

__all__ = ["StressPortfolio", "StressPosition", "Underlying"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


def _finite(_: Any, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and not math.isfinite(value):
        raise ValueError(f"{attribute.name}: expected a finite number, got {value}")


_price = [_finite, between(0.0, 1.0)]
_positive = [_finite, greater_than(0.0)]


@attrs.frozen
class Underlying:
    """The reference asset a market's YES outcome is a digital option on.

    ``direction="above"``: YES pays 1 if the asset ends above ``strike`` (a cash-or-nothing
    call); ``"below"``: a cash-or-nothing put.

    Attributes:
        symbol: the reference asset, e.g. ``BTC``.
        spot: its price now, > 0.
        strike: the market's threshold, > 0.
        days_to_expiry: calendar days to the market's resolution, > 0 (T = days / 365).
        direction: ``"above"`` or ``"below"``.
        volatility: annual volatility to price with; ``None``: the scenario's.
    """

    symbol: str = attrs.field(validator=non_empty())
    spot: float = attrs.field(validator=_positive)
    strike: float = attrs.field(validator=_positive)
    days_to_expiry: float = attrs.field(validator=_positive)
    direction: str = attrs.field(default="above", validator=one_of("above", "below"))
    volatility: float | None = attrs.field(default=None, validator=_positive)


@attrs.frozen
class StressPosition:
    """One token held: ``shares > 0`` long, ``< 0`` short.

    Attributes:
        token: the token id.
        market: the market (condition) id; a market has a YES and a NO token.
        shares: shares held, signed.
        mid: the mark, in [0, 1].
        outcome: ``"yes"`` (the market's first outcome) or ``"no"``.
        event: the neg-risk event the market belongs to, if any.
        bid: best bid; ``None``: the mid.
        ask: best ask; ``None``: the mid.
        bid_size: shares displayed at the best bid; ``None``: unknown (no depth haircut).
        ask_size: shares displayed at the best ask; ``None``: unknown.
        underlying: the reference asset the market is about, if any (it describes the
            market's YES outcome: given on one token, it links both).
    """

    token: str = attrs.field(validator=non_empty())
    market: str = attrs.field(validator=non_empty())
    shares: float = attrs.field(validator=_finite)
    mid: float = attrs.field(validator=_price)
    outcome: str = attrs.field(default="yes", validator=one_of("yes", "no"))
    event: str | None = attrs.field(default=None, validator=non_empty())
    bid: float | None = attrs.field(default=None, validator=_price)
    ask: float | None = attrs.field(default=None, validator=_price)
    bid_size: float | None = attrs.field(default=None, validator=[_finite, at_least(0.0)])
    ask_size: float | None = attrs.field(default=None, validator=[_finite, at_least(0.0)])
    underlying: Underlying | None = None

    def __attrs_post_init__(self) -> None:
        bid = self.mid if self.bid is None else self.bid
        ask = self.mid if self.ask is None else self.ask
        if not bid <= self.mid <= ask:
            raise ValueError(
                f"position {self.token!r}: expected bid <= mid <= ask, "
                f"got {bid} / {self.mid} / {ask}"
            )


class StressPortfolio:
    """Positions checked and laid out as arrays (built once, stressed many times).

    Args:
        positions: one per token.
        complete_events: neg-risk events whose every market is among the positions' markets,
            so that one of them must win; in other events a market not held may win.

    Attributes:
        positions: the positions, in the given order.
        tokens, markets: per position.
        shares, mid, bid, ask: per position.
        bid_depth, ask_depth: displayed sizes per position (``inf`` when unknown).
        yes_sign: +1 for a YES token, -1 for a NO token (YES-terms moves flip for NO).
        market_index: per position, its market's number in ``market_ids``.
        market_ids: the distinct markets; ``market_event`` numbers their events in
            ``event_ids`` (-1: no event); ``event_complete`` per event.
        linked: indexes of positions whose market has an underlying (given on any of its
            tokens: it describes the market's YES outcome); ``link_*`` arrays describe those
            underlyings in the same order (``link_years`` = days / 365, ``link_sign`` +1
            above / -1 below, ``link_vol`` NaN where the position gives none,
            ``link_symbol`` numbers ``symbol_ids``).

    Raises:
        ValueError: a token twice, two tokens for one outcome of a market, a market in two
            events, two underlyings for one market, or a complete event the positions do not
            hold.
    """

    def __init__(
        self, positions: Iterable[StressPosition], *, complete_events: Collection[str] = ()
    ) -> None:
        self.positions = tuple(positions)
        self.tokens = tuple(p.token for p in self.positions)
        self.markets = tuple(p.market for p in self.positions)
        _check_unique(self.positions)
        self.shares = np.array([p.shares for p in self.positions], dtype=np.float64)
        self.mid = np.array([p.mid for p in self.positions], dtype=np.float64)
        self.bid = np.array([_or(p.bid, p.mid) for p in self.positions], dtype=np.float64)
        self.ask = np.array([_or(p.ask, p.mid) for p in self.positions], dtype=np.float64)
        self.bid_depth = np.array([_or(p.bid_size, math.inf) for p in self.positions])
        self.ask_depth = np.array([_or(p.ask_size, math.inf) for p in self.positions])
        self.yes_sign = np.array([1.0 if p.outcome == "yes" else -1.0 for p in self.positions])
        index: dict[str, int] = {}
        self.market_index: IntArray = np.array(
            [index.setdefault(p.market, len(index)) for p in self.positions], dtype=np.intp
        )
        self.market_ids = tuple(index)
        events: dict[str, int] = {}
        market_event = np.full(len(index), -1, dtype=np.intp)
        for position, market in zip(self.positions, self.market_index, strict=True):
            if position.event is not None:
                market_event[market] = events.setdefault(position.event, len(events))
        self.market_event: IntArray = market_event
        self.event_ids = tuple(events)
        _check_events(self.positions, self.market_index, market_event, self.event_ids)
        unknown = sorted(set(complete_events) - set(events))
        if unknown:
            raise ValueError(f"complete_events: no position is in event(s) {unknown}")
        self.event_complete = np.array([event in complete_events for event in events], dtype=bool)
        self.events = tuple(p.event for p in self.positions)
        underlyings = _market_underlyings(self.positions)
        links = [
            (i, underlyings[p.market])
            for i, p in enumerate(self.positions)
            if p.market in underlyings
        ]
        self.linked: IntArray = np.array([i for i, _ in links], dtype=np.intp)
        symbols: dict[str, int] = {}
        self.link_symbol: IntArray = np.array(
            [symbols.setdefault(u.symbol, len(symbols)) for _, u in links], dtype=np.intp
        )
        self.symbol_ids = tuple(symbols)
        self.link_spot = np.array([u.spot for _, u in links], dtype=np.float64)
        self.link_strike = np.array([u.strike for _, u in links], dtype=np.float64)
        self.link_years = np.array([u.days_to_expiry for _, u in links]) / DAYS_PER_YEAR
        self.link_sign = np.array([1.0 if u.direction == "above" else -1.0 for _, u in links])
        self.link_vol = np.array([_or(u.volatility, math.nan) for _, u in links])

        for array in vars(self).values():
            if isinstance(array, np.ndarray):
                array.flags.writeable = False  # shared with every result, never changed

    def __len__(self) -> int:
        return len(self.positions)


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def _check_unique(positions: tuple[StressPosition, ...]) -> None:
    tokens: set[str] = set()
    outcomes: dict[tuple[str, str], str] = {}
    for position in positions:
        if position.token in tokens:
            raise ValueError(f"positions: token {position.token!r} appears twice (merge them)")
        tokens.add(position.token)
        other = outcomes.setdefault((position.market, position.outcome), position.token)
        if other != position.token:
            raise ValueError(
                f"positions: tokens {other!r} and {position.token!r} are both the "
                f"{position.outcome!r} outcome of market {position.market!r}"
            )


def _check_events(
    positions: tuple[StressPosition, ...],
    market_index: IntArray,
    market_event: IntArray,
    event_ids: tuple[str, ...],
) -> None:
    for position, market in zip(positions, market_index, strict=True):
        event = market_event[market]
        named = None if event < 0 else event_ids[event]
        if position.event != named:
            raise ValueError(
                f"positions: market {position.market!r} is given events {named!r} and "
                f"{position.event!r}; a market is in one neg-risk event or none"
            )


def _market_underlyings(positions: tuple[StressPosition, ...]) -> dict[str, Underlying]:
    found: dict[str, Underlying] = {}
    for position in positions:
        if position.underlying is None:
            continue
        known = found.setdefault(position.market, position.underlying)
        if known != position.underlying:
            raise ValueError(
                f"positions: market {position.market!r} is given two underlyings, "
                f"{known} and {position.underlying}"
            )
    return found
