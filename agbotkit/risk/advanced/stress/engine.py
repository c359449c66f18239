"""A scenario applied to a portfolio: the PnL of every position, the total, the worst.

PnL is measured against the marks: ``shares x (price after - mid)``, in USD (a share pays
$1), negative for a loss. Formulas and worked examples: ``docs/risk/STRESS_TESTING.md``.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterable

import attrs
import numpy as np
import numpy.typing as npt

from agbotkit.risk.advanced.stress.positions import StressPortfolio
from agbotkit.risk.advanced.stress.repricing import (
    digital_log_odds,
    exit_prices,
    shift_log_odds,
)
from agbotkit.risk.advanced.stress.resolutions import (
    FORCED_NO,
    FORCED_YES,
    given_resolution,
    worst_resolution,
)
from agbotkit.risk.advanced.stress.scenarios import PriceShock, ReferenceShock, Scenario

__all__ = ["PositionPnl", "StressResult", "stress_test", "stress_tests"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@attrs.frozen
class PositionPnl:
    """What one position makes or loses in a scenario.

    Attributes:
        token: the token id.
        market: its market.
        shares: shares held, signed.
        price_before: the mark (the mid).
        price_after: the price it is valued at in the scenario (1 or 0 once resolved; the
            average exit price under a liquidity shock).
        pnl_usd: ``shares x (price_after - price_before)``.
    """

    token: str
    market: str
    shares: float
    price_before: float
    price_after: float
    pnl_usd: float


@attrs.frozen(eq=False)
class StressResult:
    """The outcome of one scenario on one portfolio.

    Attributes:
        scenario: the scenario's name.
        description: what it models.
        tokens: per position, its token (the portfolio's order).
        markets: per position, its market.
        shares: per position (read-only array).
        price_before: per position, the mark.
        price_after: per position, the scenario's price.
        pnl_usd: per position, the PnL.
        total_pnl_usd: the sum of ``pnl_usd`` (negative: a loss).
    """

    scenario: str
    description: str
    tokens: tuple[str, ...]
    markets: tuple[str, ...]
    shares: FloatArray
    price_before: FloatArray
    price_after: FloatArray
    pnl_usd: FloatArray
    total_pnl_usd: float

    def position(self, index: int) -> PositionPnl:
        """The result of the position at ``index``."""
        return PositionPnl(
            token=self.tokens[index],
            market=self.markets[index],
            shares=float(self.shares[index]),
            price_before=float(self.price_before[index]),
            price_after=float(self.price_after[index]),
            pnl_usd=float(self.pnl_usd[index]),
        )

    @property
    def positions(self) -> tuple[PositionPnl, ...]:
        """Every position's result, in the portfolio's order."""
        return tuple(self.position(i) for i in range(len(self.tokens)))

    @property
    def worst_position(self) -> PositionPnl | None:
        """The position of least PnL (the first of equals); ``None`` for no positions."""
        if not self.tokens:
            return None
        return self.position(int(np.argmin(self.pnl_usd)))


def stress_tests(portfolio: StressPortfolio, scenarios: Iterable[Scenario]) -> list[StressResult]:
    """:func:`stress_test` for each scenario, in order."""
    return [stress_test(portfolio, scenario) for scenario in scenarios]


def stress_test(portfolio: StressPortfolio, scenario: Scenario) -> StressResult:
    """Apply ``scenario`` to ``portfolio``.

    Raises:
        ValueError: a linked position without a volatility (none on the position or in the
            scenario), or resolutions that contradict one another or a neg-risk event.
    """
    price = portfolio.mid.copy()
    if scenario.reference is not None:
        price = _reference(portfolio, price, scenario.reference)
    for shock in scenario.price_shocks:
        price = _shock(portfolio, price, shock)
    if scenario.liquidity is not None:
        liquidity = scenario.liquidity
        price = exit_prices(
            price,
            portfolio.mid,
            portfolio.bid,
            portfolio.ask,
            portfolio.shares,
            portfolio.bid_depth,
            portfolio.ask_depth,
            spread_factor=liquidity.spread_factor,
            depth_factor=liquidity.depth_factor,
            depth_haircut=liquidity.depth_haircut,
        )
    if scenario.resolutions or scenario.resolve_against_us:
        resolved, yes_wins = _resolve(portfolio, scenario)
        market = portfolio.market_index
        pays = (yes_wins[market] == (portfolio.yes_sign > 0)).astype(np.float64)
        price = np.where(resolved[market], pays, price)
    pnl = portfolio.shares * (price - portfolio.mid)
    price.flags.writeable = False
    pnl.flags.writeable = False
    return StressResult(
        scenario=scenario.name,
        description=scenario.description,
        tokens=portfolio.tokens,
        markets=portfolio.markets,
        shares=portfolio.shares,
        price_before=portfolio.mid,
        price_after=price,
        pnl_usd=pnl,
        total_pnl_usd=math.fsum(pnl),
    )


def _reference(portfolio: StressPortfolio, price: FloatArray, shock: ReferenceShock) -> FloatArray:
    linked = portfolio.linked
    if shock.unlinked_logit != 0.0:
        unlinked = np.ones(len(portfolio), dtype=bool)
        unlinked[linked] = False
        moved = shift_log_odds(price, portfolio.yes_sign * shock.unlinked_logit)
        price = np.where(unlinked, moved, price)
    if linked.size == 0:
        return price
    moves = np.array([shock.move_of(symbol) for symbol in portfolio.symbol_ids])
    vol = portfolio.link_vol
    if shock.volatility is not None:
        vol = np.where(np.isnan(vol), shock.volatility, vol)
    if np.isnan(vol).any():
        token = portfolio.tokens[linked[int(np.flatnonzero(np.isnan(vol))[0])]]
        raise ValueError(
            f"volatility: position {token!r} is linked to a reference asset but neither it "
            "nor the scenario gives a volatility"
        )
    spot = portfolio.link_spot
    args = (portfolio.link_strike, portfolio.link_years, vol, portfolio.link_sign)
    shocked = spot * (1.0 + moves[portfolio.link_symbol])
    shift = digital_log_odds(shocked, *args) - digital_log_odds(spot, *args)
    price = price.copy()
    price[linked] = shift_log_odds(price[linked], portfolio.yes_sign[linked] * shift)
    return price


def _matching(ids: tuple[str | None, ...], pattern: str) -> BoolArray:
    distinct = sorted({name for name in ids if name is not None})
    chosen = set(fnmatch.filter(distinct, pattern)) if _is_glob(pattern) else {pattern}
    return np.array([name in chosen for name in ids], dtype=bool)


def _is_glob(pattern: str) -> bool:
    return any(char in pattern for char in "*?[")


def _shock(portfolio: StressPortfolio, price: FloatArray, shock: PriceShock) -> FloatArray:
    if shock.token is not None:
        mask = _matching(portfolio.tokens, shock.token)
        sign = np.ones(len(portfolio))
    else:
        if shock.market is not None:
            mask = _matching(portfolio.markets, shock.market)
        else:
            mask = _matching(portfolio.events, str(shock.event))
        sign = portfolio.yes_sign  # the shock speaks of YES; a NO token moves the other way
    if shock.set_price is not None:
        moved = np.where(sign > 0, shock.set_price, 1.0 - shock.set_price)
    elif shock.change is not None:
        moved = np.clip(price + sign * shock.change, 0.0, 1.0)
    else:
        moved = shift_log_odds(price, sign * float(shock.logit or 0.0))
    result: FloatArray = np.where(mask, moved, price)
    return result


def _resolve(portfolio: StressPortfolio, scenario: Scenario) -> tuple[BoolArray, BoolArray]:
    forced = np.zeros(len(portfolio.market_ids), dtype=np.intp)
    for resolution in scenario.resolutions:
        state = FORCED_YES if resolution.winner == "yes" else FORCED_NO
        mask = _matching(portfolio.market_ids, resolution.market)
        clash = mask & (forced != 0) & (forced != state)
        if clash.any():
            market = portfolio.market_ids[int(np.flatnonzero(clash)[0])]
            raise ValueError(
                f"resolutions: market {market!r} resolves both YES and NO "
                f"in scenario {scenario.name!r}"
            )
        forced[mask] = state
    events = portfolio.market_event
    if not scenario.resolve_against_us:
        return given_resolution(
            events, len(portfolio.event_ids), forced, event_ids=portfolio.event_ids
        )
    payout_yes = (portfolio.yes_sign > 0).astype(np.float64)
    count = len(portfolio.market_ids)
    pnl_if_yes = _per_market(portfolio, portfolio.shares * (payout_yes - portfolio.mid))
    pnl_if_no = _per_market(portfolio, portfolio.shares * (1.0 - payout_yes - portfolio.mid))
    yes_wins = worst_resolution(
        pnl_if_yes,
        pnl_if_no,
        events,
        portfolio.event_complete,
        forced,
        event_ids=portfolio.event_ids,
    )
    return np.ones(count, dtype=bool), yes_wins


def _per_market(portfolio: StressPortfolio, values: FloatArray) -> FloatArray:
    count = len(portfolio.market_ids)
    sums = np.bincount(portfolio.market_index, values, minlength=count)
    return sums.astype(np.float64, copy=False)
