"""Prices and sizes to order amounts, rounded as Polymarket's reference client rounds them."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest

from agbotkit.errors import SigningError, VenueError
from agbotkit.model.books import Side
from agbotkit.venues.polymarket.amounts import (
    ROUNDING_CONFIG,
    TICK_SIZES,
    OrderAmounts,
    RoundConfig,
    limit_order_amounts,
    market_order_amounts,
    price_valid,
    round_config,
)

D = Decimal


# The reference client's own amount vectors (its order builder tests), tick 0.01 unless noted.
@pytest.mark.parametrize(
    ("side", "size", "price", "tick", "maker", "taker"),
    [
        (Side.BUY, "15", "0.24", "0.01", 3_600_000, 15_000_000),
        (Side.BUY, "101", "0.82", "0.01", 82_820_000, 101_000_000),
        (Side.BUY, "12.8205", "0.78", "0.01", 9_999_600, 12_820_000),
        (Side.SELL, "2435.89", "0.39", "0.01", 2_435_890_000, 949_997_100),
        (Side.SELL, "19.1", "0.43", "0.01", 19_100_000, 8_213_000),
        (Side.BUY, "18233.33", "0.58", "0.01", 10_575_331_400, 18_233_330_000),
        (Side.BUY, "21.04", "0.5", "0.1", 10_520_000, 21_040_000),
        # Sizes on a cent boundary, where float arithmetic used to lose a unit.
        (Side.BUY, "16.90", "0.30", "0.01", 5_070_000, 16_900_000),
        (Side.BUY, "33.30", "0.30", "0.01", 9_990_000, 33_300_000),
        (Side.SELL, "66.60", "0.15", "0.01", 66_600_000, 9_990_000),
    ],
)
def test_limit_order_amounts_match_the_reference_vectors(
    side: Side, size: str, price: str, tick: str, maker: int, taker: int
) -> None:
    amounts = limit_order_amounts(side, D(price), D(size), D(tick))
    assert (amounts.maker_amount, amounts.taker_amount) == (maker, taker)


def test_rounding_config_per_tick_size() -> None:
    assert dict(ROUNDING_CONFIG) == {
        D("0.1"): RoundConfig(1, 2, 3),
        D("0.01"): RoundConfig(2, 2, 4),
        D("0.001"): RoundConfig(3, 2, 5),
        D("0.0001"): RoundConfig(4, 2, 6),
    }
    assert set(TICK_SIZES) == set(ROUNDING_CONFIG)
    # Ticks are looked up by value: the API's "0.010" or a float-made Decimal's trailing
    # zeros find the same entry.
    assert round_config(D("0.010")) == RoundConfig(2, 2, 4)


@pytest.mark.parametrize("tick", ["0.05", "0.00001", "1", "0"])
def test_an_unknown_tick_size_is_refused(tick: str) -> None:
    with pytest.raises(SigningError, match="unknown tick size") as caught:
        limit_order_amounts(Side.BUY, D("0.5"), D("10"), D(tick))
    # A signing error is a venue rejection: nothing was sent.
    assert isinstance(caught.value, VenueError)


@pytest.mark.parametrize("tick", TICK_SIZES)
def test_prices_are_valid_from_one_tick_to_one_minus_a_tick(tick: Decimal) -> None:
    assert price_valid(tick, tick)
    assert price_valid(1 - tick, tick)
    assert price_valid(D("0.5"), tick)
    for invalid in (D(0), tick / 2, 1 - tick / 2, D(1), D("1.5"), D("-0.5")):
        assert not price_valid(invalid, tick), invalid


@pytest.mark.parametrize("price", ["0", "0.009", "0.995", "1"])
def test_limit_and_market_orders_refuse_a_price_outside_the_range(price: str) -> None:
    with pytest.raises(SigningError, match="outside"):
        limit_order_amounts(Side.BUY, D(price), D("10"), D("0.01"))
    with pytest.raises(SigningError, match="outside"):
        market_order_amounts(Side.SELL, D("10"), D(price), D("0.01"))


def test_the_price_is_rounded_half_up_to_the_tick() -> None:
    # Half-even would give 0.24; the reference rounds half up.
    amounts = limit_order_amounts(Side.BUY, D("0.245"), D("10"), D("0.01"))
    assert amounts.price == D("0.25")
    assert (amounts.maker_amount, amounts.taker_amount) == (2_500_000, 10_000_000)
    below = limit_order_amounts(Side.SELL, D("0.2449"), D("10"), D("0.01"))
    assert below.price == D("0.24")
    assert (below.maker_amount, below.taker_amount) == (10_000_000, 2_400_000)


def test_the_size_is_floored_to_two_decimals() -> None:
    amounts = limit_order_amounts(Side.BUY, D("0.5"), D("10.019"), D("0.01"))
    assert amounts.size == D("10.01")
    assert amounts.taker_amount == 10_010_000
    assert amounts.maker_amount == 5_005_000


def test_a_size_that_floors_to_nothing_is_refused() -> None:
    with pytest.raises(SigningError, match="no shares"):
        limit_order_amounts(Side.BUY, D("0.5"), D("0.009"), D("0.01"))


@pytest.mark.parametrize(
    ("tick", "price", "size", "maker"),
    [
        ("0.001", "0.123", "10.01", 1_231_230),
        ("0.0001", "0.0005", "100", 50_000),
        ("0.0001", "0.9999", "0.01", 9_999),
    ],
)
def test_fine_ticks_keep_every_decimal_of_the_notional(
    tick: str, price: str, size: str, maker: int
) -> None:
    amounts = limit_order_amounts(Side.BUY, D(price), D(size), D(tick))
    assert amounts.maker_amount == maker
    assert amounts.taker_amount == int(D(size) * 1_000_000)


def test_a_market_buy_spends_dollars_at_a_price_rounded_down() -> None:
    # 0.567 rounds down to 0.56 (V2; V1 rounded half to 0.57). Shares = 100 / 0.56 =
    # 178.571428..., rounded up at 8 decimals then floored at 4: 178.5714.
    amounts = market_order_amounts(Side.BUY, D("100"), D("0.567"), D("0.01"))
    assert amounts == OrderAmounts(100_000_000, 178_571_400, D("0.56"), D("100.00"))


def test_a_market_buy_amount_is_floored_to_cents() -> None:
    amounts = market_order_amounts(Side.BUY, D("10.129"), D("0.3"), D("0.01"))
    # 10.12 / 0.30 = 33.7333...
    assert (amounts.maker_amount, amounts.taker_amount) == (10_120_000, 33_733_300)


def test_a_market_buy_whose_shares_round_up_to_whole_units() -> None:
    # 1 / 0.03 = 33.3333333333..., rounded up at 8 decimals is 33.33333334: still longer
    # than 4 decimals, so floored to 33.3333.
    amounts = market_order_amounts(Side.BUY, D("1"), D("0.03"), D("0.01"))
    assert amounts.taker_amount == 33_333_300
    # 2 / 0.7 at tick 0.1 (3 decimals): 2.857142857... -> 2.857.
    assert market_order_amounts(Side.BUY, D("2"), D("0.7"), D("0.1")).taker_amount == 2_857_000


def test_a_market_sell_sells_shares_at_a_price_rounded_down() -> None:
    amounts = market_order_amounts(Side.SELL, D("10"), D("0.567"), D("0.01"))
    assert amounts == OrderAmounts(10_000_000, 5_600_000, D("0.56"), D("10.00"))


def test_a_market_amount_that_floors_to_nothing_is_refused() -> None:
    with pytest.raises(SigningError, match="rounds to nothing"):
        market_order_amounts(Side.BUY, D("0.004"), D("0.5"), D("0.01"))


def test_the_callers_decimal_context_changes_nothing() -> None:
    expected = limit_order_amounts(Side.BUY, D("0.58"), D("18233.33"), D("0.01"))
    market = market_order_amounts(Side.BUY, D("100"), D("0.567"), D("0.01"))
    with decimal.localcontext() as context:
        context.prec = 3
        context.rounding = decimal.ROUND_DOWN
        assert limit_order_amounts(Side.BUY, D("0.58"), D("18233.33"), D("0.01")) == expected
        assert market_order_amounts(Side.BUY, D("100"), D("0.567"), D("0.01")) == market
