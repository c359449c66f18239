"""Stress scenarios: what happens to the market, as values; and the three built-in ones.

A :class:`Scenario` is made of parts, each optional, applied by
:func:`~agbotkit.risk.advanced.stress.engine.stress_test` in this order:

1. ``reference``: the reference assets (BTC, ETH, ...) move; positions linked to one are
   re-priced as cash-or-nothing digitals, the others move by a log-odds shift;
2. ``price_shocks``: prices of selected tokens, markets or events are set or moved;
3. ``resolutions`` and ``resolve_against_us``: markets resolve, paying 1 or 0;
4. ``liquidity``: spreads widen and what is not resolved is valued at the bid (longs) or
   the ask (shorts), with a haircut for size beyond the displayed depth.

Every part is an attrs value structured by the project's one converter, so a scenario file
gets the same checks and messages (file, line, field) as every other config file; see
:mod:`agbotkit.risk.advanced.stress.scenario_file`. Formulas: ``docs/risk/STRESS_TESTING.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs

from agbotkit.config.checks import (
    FieldValueError,
    at_least,
    between,
    greater_than,
    non_empty,
    one_of,
    report,
)

__all__ = [
    "BUILTIN_SCENARIOS",
    "LiquidityShock",
    "PriceShock",
    "ReferenceShock",
    "Resolution",
    "Scenario",
    "all_resolve_against",
    "liquidity_vanishes",
    "reference_crash",
]


def _finite(instance: Any, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and not math.isfinite(value):
        report(instance, FieldValueError(attribute.name, f"expected a finite number, got {value}"))


def _exactly_one(instance: Any, names: tuple[str, ...], what: str) -> None:
    given = [name for name in names if getattr(instance, name) is not None]
    if len(given) != 1:
        field = given[1] if len(given) > 1 else names[0]
        listed = ", ".join(names)
        got = ", ".join(given) or "none"
        report(instance, FieldValueError(field, f"give exactly one {what} of {listed} (got {got})"))


@attrs.frozen
class PriceShock:
    """A price change for the tokens one selector picks.

    Selectors are ``fnmatch`` patterns (``*``, ``?``, ``[...]``; a plain id matches itself).
    A ``token`` selector moves the token's own price. A ``market`` or ``event`` selector
    speaks of the market's YES price: its NO token moves the other way (``set_price: 0.2``
    makes YES 0.2 and NO 0.8; ``logit: -1`` shifts NO's log-odds by +1).

    Attributes:
        token: pattern over token ids.
        market: pattern over market ids.
        event: pattern over neg-risk event ids (every market of a matching event).
        set_price: the new price, in [0, 1].
        change: added to the price (then clipped to [0, 1]), in [-1, 1].
        logit: added to the log-odds ``ln(p / (1 - p))`` of the price.
    """

    token: str | None = attrs.field(default=None, validator=non_empty())
    market: str | None = attrs.field(default=None, validator=non_empty())
    event: str | None = attrs.field(default=None, validator=non_empty())
    set_price: float | None = attrs.field(default=None, validator=[_finite, between(0.0, 1.0)])
    change: float | None = attrs.field(default=None, validator=[_finite, between(-1.0, 1.0)])
    logit: float | None = attrs.field(default=None, validator=_finite)

    def __attrs_post_init__(self) -> None:
        _exactly_one(self, ("token", "market", "event"), "selector")
        _exactly_one(self, ("set_price", "change", "logit"), "move")


@attrs.frozen
class Resolution:
    """A market that resolves in the scenario.

    In a neg-risk event exactly one market resolves YES: resolving one YES resolves every
    other market of the event NO.

    Attributes:
        market: pattern over market ids.
        winner: ``"yes"`` (the market's first outcome wins) or ``"no"``.
    """

    market: str = attrs.field(validator=non_empty())
    winner: str = attrs.field(validator=one_of("yes", "no"))


@attrs.frozen
class ReferenceShock:
    """Reference assets move; linked positions are re-priced as digitals.

    Attributes:
        move: the relative move of every reference asset (-0.2: a 20 % fall), > -1.
        per_symbol: moves for named symbols instead of ``move`` (``{ETH: -0.3}``).
        volatility: annual volatility for linked positions that carry none, > 0.
        unlinked_logit: log-odds shift (in YES terms) of positions linked to no asset.
    """

    move: float = attrs.field(default=0.0, validator=[_finite, greater_than(-1.0)])
    per_symbol: Mapping[str, float] = attrs.field(factory=dict, hash=False)
    volatility: float | None = attrs.field(default=None, validator=[_finite, greater_than(0.0)])
    unlinked_logit: float = attrs.field(default=0.0, validator=_finite)

    @per_symbol.validator
    def _check_moves(self, attribute: attrs.Attribute[Any], value: Mapping[str, float]) -> None:
        for symbol, move in value.items():
            if not (math.isfinite(move) and move > -1.0):
                message = f"expected moves > -1 (a price stays positive), got {symbol}: {move}"
                report(self, FieldValueError(attribute.name, message))
                return

    def move_of(self, symbol: str) -> float:
        """The relative move of ``symbol``."""
        return self.per_symbol.get(symbol, self.move)


@attrs.frozen
class LiquidityShock:
    """Spreads widen and depth thins: positions are valued at what an exit would fetch.

    Attributes:
        spread_factor: each half-spread (mid to bid, mid to ask) is multiplied by this, >= 0.
        depth_factor: the share of the displayed depth at the best price that stays, [0, 1].
        depth_haircut: shares beyond that depth lose this share of their exit value, [0, 1].
    """

    spread_factor: float = attrs.field(default=1.0, validator=[_finite, at_least(0.0)])
    depth_factor: float = attrs.field(default=1.0, validator=[_finite, between(0.0, 1.0)])
    depth_haircut: float = attrs.field(default=0.0, validator=[_finite, between(0.0, 1.0)])


@attrs.frozen
class Scenario:
    """A named stress scenario (see the module for the order its parts apply in).

    Attributes:
        name: how reports name it.
        description: one line saying what it models.
        reference: reference assets move.
        price_shocks: price moves, applied one after the other.
        resolutions: markets that resolve.
        resolve_against_us: every other market resolves the way that costs us most,
            one winner per neg-risk event.
        liquidity: spreads widen; valuation at exit prices.
    """

    name: str = attrs.field(validator=non_empty())
    description: str = ""
    reference: ReferenceShock | None = None
    price_shocks: tuple[PriceShock, ...] = ()
    resolutions: tuple[Resolution, ...] = ()
    resolve_against_us: bool = False
    liquidity: LiquidityShock | None = None


def all_resolve_against() -> Scenario:
    """Every market resolves against us: each position's worst outcome, with exactly one
    winner in each neg-risk event."""
    return Scenario(
        name="all_resolve_against",
        description="every market resolves against the portfolio (one winner per neg-risk event)",
        resolve_against_us=True,
    )


def reference_crash(
    move: float = -0.20,
    *,
    per_symbol: Mapping[str, float] | None = None,
    volatility: float | None = None,
    unlinked_logit: float = 0.0,
) -> Scenario:
    """A correlated crash of the reference assets.

    Args:
        move: the relative move of every reference asset; -0.2 is a 20 % fall.
        per_symbol: other moves for named symbols.
        volatility: for linked positions that carry no volatility of their own.
        unlinked_logit: log-odds shift (YES terms) for positions linked to no asset.
    """
    shock = ReferenceShock(
        move=move,
        per_symbol=dict(per_symbol or {}),
        volatility=volatility,
        unlinked_logit=unlinked_logit,
    )
    return Scenario(
        name="reference_crash",
        description=f"reference assets move {move:+.0%}; linked digitals re-priced",
        reference=shock,
    )


def liquidity_vanishes(
    spread_factor: float = 5.0, *, depth_factor: float = 0.5, depth_haircut: float = 0.10
) -> Scenario:
    """Spreads widen by ``spread_factor``; longs are valued at the bid, shorts at the ask,
    shares beyond ``depth_factor`` x the displayed depth with a ``depth_haircut``."""
    return Scenario(
        name="liquidity_vanishes",
        description=(
            f"spreads x{spread_factor:g}, depth x{depth_factor:g}, "
            f"{depth_haircut:.0%} haircut beyond it; valued at the bid (longs) / ask (shorts)"
        ),
        liquidity=LiquidityShock(
            spread_factor=spread_factor, depth_factor=depth_factor, depth_haircut=depth_haircut
        ),
    )


#: The built-in scenarios with their default parameters, by name.
BUILTIN_SCENARIOS: Mapping[str, Scenario] = {
    scenario.name: scenario
    for scenario in (all_resolve_against(), reference_crash(), liquidity_vanishes())
}
