"""Each built-in policy alone: at, below and above its limits; scopes; long and short."""

from __future__ import annotations

from typing import Any

import pytest

from agbotkit.model.risk import RiskContext
from agbotkit.risk.engine import RiskEngine
from agbotkit.risk.policies.inventory_limit import InventoryLimit, InventoryLimitConfig
from agbotkit.risk.policies.max_order_size import MaxOrderSize, MaxOrderSizeConfig
from agbotkit.risk.policies.no_trade_before_resolution import (
    NoTradeBeforeResolution,
    NoTradeBeforeResolutionConfig,
)
from agbotkit.risk.policies.position_limit import PositionLimit, PositionLimitConfig
from agbotkit.risk.policies.price_band import PriceBand, PriceBandConfig

HOUR_MS = 3_600_000
END_MS = 1_800_000_000_000


def ctx(**fields: Any) -> RiskContext:
    """A context with harmless defaults: flat, no inventory, market m1 / token t1."""
    values: dict[str, Any] = {
        "market_id": "m1",
        "token_id": "t1",
        "current_position": 0.0,
        "proposed_size": 0.0,
        "inventory_value_usd": 0.0,
    }
    values.update(fields)
    return RiskContext(**values)


def limit(max_size: float, **scope: str) -> PositionLimit:
    return PositionLimit(PositionLimitConfig(max_size=max_size, **scope))


# -- PositionLimit -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "proposed", "allowed"),
    [
        pytest.param(0, 99, True, id="long-below"),
        pytest.param(0, 100, True, id="long-at"),
        pytest.param(0, 101, False, id="long-above"),
        pytest.param(60, 40, True, id="adds-to-at"),
        pytest.param(60, 41, False, id="adds-to-above"),
        pytest.param(0, -100, True, id="short-at"),
        pytest.param(0, -101, False, id="short-above"),
        pytest.param(-50, -51, False, id="adds-to-short-above"),
        pytest.param(80, -180, True, id="flip-to-short-at"),
        pytest.param(80, -181, False, id="flip-to-short-above"),
        pytest.param(150, -20, True, id="reduce-while-over"),
        pytest.param(-150, 20, True, id="reduce-short-while-over"),
        pytest.param(150, -300, False, id="flip-while-over-is-not-a-reduction"),
    ],
)
def test_position_limit_boundaries(current: float, proposed: float, allowed: bool) -> None:
    reason = limit(100).check(ctx(current_position=current, proposed_size=proposed))
    assert (reason is None) is allowed


def test_position_limit_tolerates_float_rounding_at_the_limit() -> None:
    # 0.1 + 0.2 == 0.30000000000000004 in binary floats: still "at" a limit of 0.3.
    assert limit(0.3).check(ctx(current_position=0.1, proposed_size=0.2)) is None
    assert limit(0.3).check(ctx(current_position=0.1, proposed_size=0.2001)) is not None


def test_position_limit_reason_has_the_numbers() -> None:
    reason = limit(100, market_id="0xabc").check(ctx(market_id="0xabc", proposed_size=150))
    assert reason == "position 150 would exceed max_size 100 (market 0xabc)"


def test_zero_limit_allows_only_flat_or_reducing() -> None:
    policy = limit(0)
    assert policy.check(ctx(proposed_size=1)) is not None
    assert policy.check(ctx(current_position=5, proposed_size=-5)) is None


def test_per_market_overrides_global_up_and_down() -> None:
    engine = RiskEngine(
        [
            limit(100),
            limit(500, market_id="big"),
            limit(10, market_id="thin"),
            limit(3, token_id="t9"),
        ]
    )
    assert engine.evaluate(ctx(market_id="other", proposed_size=100)).allowed
    assert not engine.evaluate(ctx(market_id="other", proposed_size=101)).allowed
    assert engine.evaluate(ctx(market_id="big", proposed_size=500)).allowed
    assert not engine.evaluate(ctx(market_id="big", proposed_size=501)).allowed
    assert engine.evaluate(ctx(market_id="thin", proposed_size=10)).allowed
    denied = engine.evaluate(ctx(market_id="thin", proposed_size=11))
    assert [v.reason for v in denied.violated_policies] == [
        "position 11 would exceed max_size 10 (market thin)"
    ]
    # The token's own entry beats its market's.
    assert not engine.evaluate(ctx(market_id="big", token_id="t9", proposed_size=4)).allowed
    assert engine.evaluate(ctx(market_id="big", token_id="t9", proposed_size=3)).allowed


def test_per_market_only_leaves_other_markets_unlimited() -> None:
    engine = RiskEngine([limit(10, market_id="m1")])
    assert not engine.evaluate(ctx(market_id="m1", proposed_size=11)).allowed
    assert engine.evaluate(ctx(market_id="m2", proposed_size=1e9)).allowed


# -- InventoryLimit ------------------------------------------------------------------------


def inventory(max_usd: float) -> InventoryLimit:
    return InventoryLimit(InventoryLimitConfig(max_value_usd=max_usd))


@pytest.mark.parametrize(
    ("fields", "allowed"),
    [
        # Seed semantics, no price: only the current inventory is checked.
        pytest.param({"inventory_value_usd": 999.0}, True, id="no-price-below"),
        pytest.param({"inventory_value_usd": 1000.0}, True, id="no-price-at"),
        pytest.param({"inventory_value_usd": 1000.01}, False, id="no-price-above"),
        # 900 held + 200 shares * 0.50 = 1000: at the limit.
        pytest.param(
            {"inventory_value_usd": 900.0, "proposed_size": 200, "price": 0.5}, True, id="order-at"
        ),
        # 900 + 201 * 0.50 = 1000.50: above.
        pytest.param(
            {"inventory_value_usd": 900.0, "proposed_size": 201, "price": 0.5},
            False,
            id="order-above",
        ),
        # The order's price wins over the mid: 900 + 201 * 0.50 = 1000.50 (at the mid of
        # 0.10 it would be 920.10 and pass).
        pytest.param(
            {"inventory_value_usd": 900.0, "proposed_size": 201, "price": 0.5, "mid": 0.1},
            False,
            id="price-not-mid-above",
        ),
        # ...and the other way round: 900 + 200 * 0.10 = 920 (at the mid of 0.90: 1080).
        pytest.param(
            {"inventory_value_usd": 900.0, "proposed_size": 200, "price": 0.1, "mid": 0.9},
            True,
            id="price-not-mid-below",
        ),
        # No price: valued at the mid. 900 + 201 * 0.5 = 1000.50.
        pytest.param(
            {"inventory_value_usd": 900.0, "proposed_size": 201, "mid": 0.5}, False, id="mid-above"
        ),
        # Selling a long lowers the inventory, even when it is over the limit.
        pytest.param(
            {
                "inventory_value_usd": 5000.0,
                "current_position": 100,
                "proposed_size": -50,
                "price": 0.5,
            },
            True,
            id="reduce-while-over",
        ),
        pytest.param(
            {"inventory_value_usd": 5000.0, "current_position": 100, "proposed_size": -50},
            True,
            id="reduce-while-over-no-price",
        ),
        # A short adds exposure like a long: 900 + 201 * 0.5.
        pytest.param(
            {"inventory_value_usd": 900.0, "proposed_size": -201, "price": 0.5},
            False,
            id="short-above",
        ),
    ],
)
def test_inventory_limit(fields: dict[str, Any], allowed: bool) -> None:
    assert (inventory(1000).check(ctx(**fields)) is None) is allowed


def test_inventory_limit_reason() -> None:
    reason = inventory(1000).check(ctx(inventory_value_usd=900.0, proposed_size=400, price=0.3))
    assert reason == "inventory $1,020.00 would exceed max_value_usd $1,000.00"


# -- MaxOrderSize --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proposed", "allowed"),
    [(49, True), (50, True), (51, False), (-50, True), (-51, False)],
)
def test_max_order_size_shares_both_sides(proposed: float, allowed: bool) -> None:
    policy = MaxOrderSize(MaxOrderSizeConfig(max_size=50))
    assert (policy.check(ctx(proposed_size=proposed)) is None) is allowed


def test_max_order_size_applies_to_reducing_orders_too() -> None:
    policy = MaxOrderSize(MaxOrderSizeConfig(max_size=50))
    assert policy.check(ctx(current_position=500, proposed_size=-51)) is not None


@pytest.mark.parametrize(
    ("proposed", "price", "allowed"),
    [(40, 0.5, True), (40, 0.5000001, False), (100, 0.2, True), (100, 0.21, False)],
)
def test_max_order_size_notional(proposed: float, price: float, allowed: bool) -> None:
    policy = MaxOrderSize(MaxOrderSizeConfig(max_notional_usd=20))
    assert (policy.check(ctx(proposed_size=proposed, price=price)) is None) is allowed


def test_max_order_size_lists_both_limits_and_needs_a_price_for_notional() -> None:
    policy = MaxOrderSize(MaxOrderSizeConfig(max_size=10, max_notional_usd=5, market_id="m1"))
    assert policy.check(ctx(proposed_size=20, price=0.5)) == (
        "order size 20 exceeds max_size 10; order value $10.00 exceeds max_notional_usd $5.00"
        " (market m1)"
    )
    assert policy.check(ctx(proposed_size=1)) == (
        "the order has no price or mid to check max_notional_usd (market m1)"
    )
    assert policy.check(ctx(proposed_size=1, mid=0.5)) is None


# -- PriceBand -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "mid", "allowed"),
    [
        pytest.param(0.55, 0.50, True, id="at-upper-edge"),
        pytest.param(0.45, 0.50, True, id="at-lower-edge"),
        pytest.param(0.5501, 0.50, False, id="above-band"),
        pytest.param(0.4499, 0.50, False, id="below-band"),
        pytest.param(0.0, 0.02, False, id="zero"),
        pytest.param(1.0, 0.98, False, id="one"),
        pytest.param(-0.1, 0.02, False, id="negative"),
        pytest.param(1.2, 0.98, False, id="above-one"),
        pytest.param(0.01, 0.04, True, id="low-tick-inside"),
    ],
)
def test_price_band(price: float, mid: float, allowed: bool) -> None:
    policy = PriceBand(PriceBandConfig(max_distance=0.05))
    assert (policy.check(ctx(proposed_size=1, price=price, mid=mid)) is None) is allowed


def test_price_band_reasons_and_missing_values() -> None:
    policy = PriceBand(PriceBandConfig(max_distance=0.05))
    assert policy.check(ctx(price=0.7, mid=0.5)) == (
        "price 0.7 is 0.2 from the mid 0.5, more than max_distance 0.05"
    )
    assert policy.check(ctx(price=1.5, mid=0.5)) == "price 1.5 is outside (0, 1)"
    assert policy.check(ctx(mid=0.5)) == "the order has no price"
    assert policy.check(ctx(price=0.5)) == "no mid price to check the band against"


def test_price_band_without_distance_checks_only_the_range() -> None:
    policy = PriceBand(PriceBandConfig())
    assert policy.check(ctx(price=0.99)) is None
    assert policy.check(ctx(price=1.0)) is not None


# -- NoTradeBeforeResolution ---------------------------------------------------------------


def window(seconds: float) -> NoTradeBeforeResolution:
    return NoTradeBeforeResolution(NoTradeBeforeResolutionConfig(window_s=seconds))


@pytest.mark.parametrize(
    ("now_ms", "current", "proposed", "allowed"),
    [
        pytest.param(END_MS - HOUR_MS - 1, 0, 10, True, id="just-before-cutoff"),
        pytest.param(END_MS - HOUR_MS, 0, 10, False, id="at-cutoff"),
        pytest.param(END_MS - 1, 0, 10, False, id="inside-window"),
        pytest.param(END_MS + HOUR_MS, 0, 10, False, id="after-end"),
        pytest.param(END_MS - 1, 0, -10, False, id="new-short"),
        pytest.param(END_MS - 1, 10, 5, False, id="grows-long"),
        pytest.param(END_MS - 1, 10, -10, True, id="closing-allowed"),
        pytest.param(END_MS - 1, -10, 4, True, id="reducing-short-allowed"),
    ],
)
def test_no_trade_before_resolution(
    now_ms: int, current: float, proposed: float, allowed: bool
) -> None:
    context = ctx(
        current_position=current, proposed_size=proposed, now_ms=now_ms, market_end_ms=END_MS
    )
    assert (window(3600).check(context) is None) is allowed


def test_no_trade_before_resolution_reasons() -> None:
    policy = window(3600)
    assert policy.check(ctx(proposed_size=1, now_ms=END_MS - 600_000, market_end_ms=END_MS)) == (
        "market m1 ends in 600 s (end date 2027-01-15T08:00:00Z): "
        "no new positions in the last window_s 3600 s"
    )
    assert "ended" in (
        policy.check(ctx(proposed_size=1, now_ms=END_MS, market_end_ms=END_MS)) or ""
    )
    assert policy.check(ctx(proposed_size=1, now_ms=0)) == (
        "the market's end date is unknown (market_end_ms)"
    )
    assert (
        policy.check(ctx(proposed_size=1, market_end_ms=END_MS)) == "the order has no time (now_ms)"
    )


def test_no_trade_before_resolution_zero_window_stops_at_end() -> None:
    policy = window(0)
    assert policy.check(ctx(proposed_size=1, now_ms=END_MS - 1, market_end_ms=END_MS)) is None
    assert policy.check(ctx(proposed_size=1, now_ms=END_MS, market_end_ms=END_MS)) is not None
