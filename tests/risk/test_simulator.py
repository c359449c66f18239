"""PolymarketSimulator: PnL worked out by hand, settlement, no shorting, fees, properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agbotkit.errors import InsufficientPositionError, SettledTokenError
from agbotkit.model.orders import Fill, OrderIntent, Side
from agbotkit.model.risk import RiskContext
from agbotkit.risk.engine import RiskEngine
from agbotkit.risk.loading import parse_policies_yaml
from agbotkit.risk.simulator import PolymarketSimulator

D = Decimal


def test_buy_partial_sell_full_sell() -> None:
    sim = PolymarketSimulator()
    sim.buy("yes", 100, "0.40", market_id="m")
    # Second lot: cost 100*0.40 + 100*0.60 = 40 + 60 = 100 for 200 shares -> avg 0.50.
    pos = sim.buy("yes", 100, "0.60", market_id="m")
    assert (pos.size, pos.cost_basis_usd, pos.average_cost) == (D(200), D(100), D("0.5"))
    # No mid yet: marked at cost, so no invented PnL.
    assert (pos.mark, pos.unrealised_pnl_usd) == (D("0.5"), D(0))
    # Mid 0.55: value 200*0.55 = 110; unrealised 110 - 100 = 10.
    sim.update_mid("yes", "0.55")
    assert sim.inventory_value_usd == D(110)
    assert sim.unrealised_pnl_usd == D(10)
    # Sell 50 at 0.70: proceeds 35, removed cost 100*50/200 = 25, realised 35 - 25 = 10.
    pos = sim.sell("yes", 50, "0.70")
    assert (pos.size, pos.cost_basis_usd, pos.realised_pnl_usd) == (D(150), D(75), D(10))
    assert pos.average_cost == D("0.5")  # a sale does not move the average cost
    # Left: 150 at mid 0.55 = 82.50 value; unrealised 82.50 - 75 = 7.50; total 17.50.
    assert sim.unrealised_pnl_usd == D("7.5")
    assert sim.total_pnl_usd == D("17.5")
    # Sell the rest at 0.45: proceeds 67.50, cost 75, realised -7.50 -> total realised 2.50.
    pos = sim.sell("yes", 150, "0.45")
    assert (pos.size, pos.cost_basis_usd, pos.realised_pnl_usd) == (D(0), D(0), D("2.5"))
    assert sim.inventory_value_usd == D(0)
    assert sim.unrealised_pnl_usd == D(0)
    assert sim.total_pnl_usd == D("2.5")


def test_selling_more_than_held_is_refused_and_changes_nothing() -> None:
    sim = PolymarketSimulator()
    sim.buy("yes", 10, "0.5")
    with pytest.raises(InsufficientPositionError) as caught:
        sim.sell("yes", "10.5", "0.5")
    assert (caught.value.token_id, caught.value.held, caught.value.requested) == (
        "yes",
        D(10),
        D("10.5"),
    )
    assert "Polymarket has no short positions" in str(caught.value)
    assert sim.position("yes").size == D(10)
    with pytest.raises(InsufficientPositionError):
        sim.sell("never-bought", 1, "0.5")


def test_short_exposure_is_a_long_of_the_other_token() -> None:
    # "Flip from long YES to short YES" on Polymarket = sell the YES, buy NO.
    sim = PolymarketSimulator()
    sim.buy("yes", 100, "0.30", market_id="m")
    sim.sell("yes", 100, "0.35", market_id="m")  # realised 100 * (0.35 - 0.30) = 5
    sim.buy("no", 50, "0.65", market_id="m")
    assert sim.position("yes").size == D(0)
    assert sim.position("no").size == D(50)
    assert sim.realised_pnl_usd == D(5)


def test_resolution_settles_winner_at_one_and_loser_at_zero() -> None:
    sim = PolymarketSimulator()
    sim.buy("yes", 100, "0.30", market_id="m")  # cost 30
    sim.buy("no", 40, "0.60", market_id="m")  # cost 24
    sim.buy("other", 10, "0.5", market_id="m2")  # another market: untouched
    settled = sim.resolve("m", "yes")
    assert [(p.token_id, p.mark, p.size) for p in settled] == [
        ("yes", D(1), D(0)),
        ("no", D(0), D(0)),
    ]
    # YES pays 100 * 1 - 30 = +70; NO pays 40 * 0 - 24 = -24; realised 46.
    assert sim.realised_pnl_usd == D(46)
    assert sim.position("other").size == D(10)
    with pytest.raises(SettledTokenError):
        sim.buy("yes", 1, "0.5")
    sim.update_mid("yes", "0.2")  # ignored: a settled token keeps its payout
    assert sim.position("yes").mark == D(1)


def test_settle_at_half_and_resolving_an_unheld_winner() -> None:
    sim = PolymarketSimulator()
    sim.buy("yes", 10, "0.8")  # cost 8
    assert sim.settle("yes", "0.5").realised_pnl_usd == D(-3)  # 10 * 0.5 - 8
    sim.buy("a", 5, "0.2", market_id="m")
    sim.resolve("m", "b")  # we held only the loser: 5 * 0 - 1 = -1
    assert sim.position("a").realised_pnl_usd == D(-1)
    assert sim.position("b").settled
    with pytest.raises(ValueError, match="payout must lie in"):
        sim.settle("c", 2)


def test_fee_curve_and_reported_fees() -> None:
    sim = PolymarketSimulator(fee_rate="0.02")
    # Taker buy 100 at 0.40: fee = 100 * 0.02 * (0.40 * 0.60) = 2 * 0.24 = 0.48.
    pos = sim.apply_fill(Fill(token_id="t", side=Side.BUY, price="0.40", size=100))
    assert pos.fees_usd == D("0.48")
    assert pos.realised_pnl_usd == D("-0.48")
    assert pos.cost_basis_usd == D(40)  # fees are not part of the cost basis
    # Maker fills pay nothing; a fill that reports its fee is charged exactly that.
    sim.apply_fill(Fill(token_id="t", side=Side.BUY, price="0.40", size=100, taker=False))
    sim.apply_fill(Fill(token_id="t", side=Side.SELL, price="0.40", size=100, fee_usd="0.1"))
    assert sim.fees_usd == D("0.58")
    # Sold 100 of 200 at the average cost 0.40: no trading PnL, only -0.58 in fees.
    assert sim.realised_pnl_usd == D("-0.58")
    # Rounded down to 0.00001: 3 * 0.02 * (0.333 * 0.667) = 0.01332666 -> 0.01332.
    fee = sim.fee_for(Fill(token_id="t", side=Side.BUY, price="0.333", size=3))
    assert fee == D("0.01332")
    squared = PolymarketSimulator(fee_rate="0.25", fee_exponent=2)
    # 10 * 0.25 * (0.5 * 0.5) ** 2 = 2.5 * 0.0625 = 0.15625.
    assert squared.fee_for(Fill(token_id="t", side=Side.BUY, price="0.5", size=10)) == D("0.15625")


def test_reset_and_positions() -> None:
    sim = PolymarketSimulator()
    sim.buy("a", 1, "0.1")
    sim.update_mid("b", "0.5")
    assert [p.token_id for p in sim.positions()] == ["a", "b"]
    sim.reset()
    assert sim.positions() == ()
    assert sim.position("a").size == D(0)
    assert sim.total_pnl_usd == D(0)


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="fee_rate"):
        PolymarketSimulator(fee_rate=-1)
    with pytest.raises(ValueError, match="fee_exponent"):
        PolymarketSimulator(fee_exponent=0)
    with pytest.raises(ValueError, match="mid must lie"):
        PolymarketSimulator().update_mid("t", "1.01")
    with pytest.raises(ValueError, match="fee_usd must be >= 0"):
        Fill(token_id="t", side=Side.BUY, price="0.5", size=1, fee_usd=-1)
    with pytest.raises(ValueError, match="expected a number, got True"):
        Fill(token_id="t", side=Side.BUY, price=True, size=1)
    with pytest.raises(ValueError, match="expected a number, got 'half'"):
        Fill(token_id="t", side=Side.BUY, price="half", size=1)


def test_fill_and_position_values() -> None:
    fill = Fill(token_id="t", side=Side.SELL, price=0.1, size="2.5")
    assert (fill.price, fill.signed_size) == (D("0.1"), D("-2.5"))  # a float goes through str()
    sim = PolymarketSimulator()
    sim.buy("t", 10, "0.2")
    sim.sell("t", 5, "0.3")  # realised 5 * (0.3 - 0.2) = 0.5
    sim.update_mid("t", "0.4")  # unrealised 5 * (0.4 - 0.2) = 1.0
    assert sim.position("t").total_pnl_usd == D("1.5")


def test_simulator_feeds_the_engine() -> None:
    engine = RiskEngine(
        parse_policies_yaml(
            "policies:\n  - type: PositionLimit\n    max_size: 100\n"
            "  - type: InventoryLimit\n    max_value_usd: 60\n"
            "  - type: KillSwitch\n    max_daily_loss_usd: 10\n"
        )
    )
    sim = PolymarketSimulator()
    sim.buy("yes", 100, "0.5", market_id="m")
    sim.update_mid("yes", "0.55")  # value 55
    intent = OrderIntent(market_id="m", token_id="yes", side=Side.BUY, price="0.55", size="10")
    context = RiskContext.from_intent(
        intent,
        current_position=float(sim.position("yes").size),
        inventory_value_usd=float(sim.inventory_value_usd),
        mid=float(sim.position("yes").mark),
    )
    assert (context.current_position, context.inventory_value_usd, context.mid) == (100, 55, 0.55)
    # 100 + 10 = 110 shares > 100; 55 + 10 * 0.55 = 60.50 USD > 60.
    assert [v.policy for v in engine.evaluate(context).violated_policies] == [
        "PositionLimit",
        "InventoryLimit",
    ]
    sim.update_mid("yes", "0.39")  # unrealised 100 * 0.39 - 50 = -11
    assert engine.record_pnl(float(sim.total_pnl_usd), now_ms=0)
    assert "daily loss $11.00" in engine.kill_state.reason


# -- properties ----------------------------------------------------------------------------

prices = st.decimals(min_value="0.001", max_value="0.999", places=3)
sizes = st.decimals(min_value="0.01", max_value="10000", places=2)


@given(
    price=prices, lots=st.lists(sizes, min_size=1, max_size=20), rate=st.sampled_from(["0", "0.02"])
)
def test_round_trip_at_one_price_leaves_minus_fees(
    price: Decimal, lots: list[Decimal], rate: str
) -> None:
    sim = PolymarketSimulator(fee_rate=rate)
    for lot in lots:
        sim.buy("t", lot, price)
    assert sim.position("t").size == sum(lots)
    for lot in reversed(lots):
        sim.sell("t", lot, price)
    assert sim.position("t").size == 0
    assert sim.inventory_value_usd == 0
    assert sim.realised_pnl_usd == -sim.fees_usd
    assert sim.total_pnl_usd == -sim.fees_usd


@given(
    fills=st.lists(st.tuples(st.booleans(), sizes, prices), min_size=1, max_size=30),
    mid=prices,
)
def test_position_is_the_sum_of_fills_and_pnl_adds_up(
    fills: list[tuple[bool, Decimal, Decimal]], mid: Decimal
) -> None:
    sim = PolymarketSimulator()
    held = Decimal(0)
    cash = Decimal(0)  # what we paid (negative) and received (positive)
    for is_buy, size, price in fills:
        if not is_buy and size > held:
            with pytest.raises(InsufficientPositionError):
                sim.sell("t", size, price)
            continue
        if is_buy:
            sim.buy("t", size, price)
            held += size
            cash -= size * price
        else:
            sim.sell("t", size, price)
            held -= size
            cash += size * price
    sim.update_mid("t", mid)
    position = sim.position("t")
    assert position.size == held
    assert position.size >= 0
    # Total PnL is cash flow plus what is held at the mark (average-cost accounting
    # only moves PnL between realised and unrealised; it never creates or loses any).
    assert abs(sim.total_pnl_usd - (cash + held * mid)) < Decimal("1e-20")
