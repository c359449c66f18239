"""Probability-space exposure against a scenario-by-scenario count of what each token pays."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agbotkit.risk.advanced.exposure import OutcomePosition, probability_exposure


def paid(position: OutcomePosition, resolves_yes: bool) -> float:
    """What the tokens pay at resolution, token by token: the definition, not the formula."""
    return position.yes_shares * (1.0 if resolves_yes else 0.0) + position.no_shares * (
        0.0 if resolves_yes else 1.0
    )


def marked(position: OutcomePosition) -> float:
    return position.yes_shares * position.yes_price + position.no_shares * position.no_price


prices = st.floats(0.0, 1.0)
shares = st.floats(0.0, 1e5)


@st.composite
def events(draw: st.DrawFn) -> list[OutcomePosition]:
    n = draw(st.integers(1, 6))
    return [
        OutcomePosition(
            market_id=f"m{i}",
            event_id="election",
            yes_price=draw(prices),
            yes_shares=draw(shares),
            no_shares=draw(shares),
            yes_average_cost=draw(prices),
            no_average_cost=draw(prices),
        )
        for i in range(n)
    ]


@settings(max_examples=200, deadline=None)
@given(event=events(), complete=st.booleans())
def test_each_scenario_pays_what_its_tokens_pay(
    event: list[OutcomePosition], complete: bool
) -> None:
    exposure = probability_exposure(event, complete_events=complete)
    (summary,) = exposure.events
    value = sum(marked(p) for p in event)
    cost = sum(p.yes_shares * p.yes_average_cost + p.no_shares * p.no_average_cost for p in event)
    scale = 1e-9 * (1.0 + sum(p.yes_shares + p.no_shares for p in event))
    scenarios = []
    for winner in range(len(event)):
        payoff = sum(paid(p, resolves_yes=i == winner) for i, p in enumerate(event))
        assert summary.pnl_if_wins_usd[winner] == pytest.approx(payoff - value, abs=scale)
        assert summary.pnl_vs_cost_if_wins_usd[winner] == pytest.approx(payoff - cost, abs=scale)
        scenarios.append(payoff - value)
    none = sum(paid(p, resolves_yes=False) for p in event) - value
    assert summary.pnl_if_none_usd == pytest.approx(none, abs=scale)
    if not complete:
        scenarios.append(none)
    assert summary.worst_pnl_usd == pytest.approx(min(scenarios), abs=scale)
    assert summary.best_pnl_usd == pytest.approx(max(scenarios), abs=scale)
    # What winning adds over the NO shares' common floor is the net YES position.
    for i, p in enumerate(event):
        assert summary.net_yes_shares[i] == p.yes_shares - p.no_shares
    for market, p in zip(exposure.markets, event, strict=True):
        assert market.pnl_if_yes_usd == pytest.approx(paid(p, True) - marked(p), abs=scale)
        assert market.pnl_if_no_usd == pytest.approx(paid(p, False) - marked(p), abs=scale)


@settings(max_examples=100, deadline=None)
@given(event=events())
def test_fair_marks_mean_zero_expected_jump(event: list[OutcomePosition]) -> None:
    """With YES prices read as probabilities that sum to 1 and NO = 1 - YES, the expected
    jump to resolution is zero: the marks are the expectation of the payoff."""
    total = sum(p.yes_price for p in event)
    if total == 0:
        return
    fair = [
        OutcomePosition(
            market_id=p.market_id,
            event_id=p.event_id,
            yes_price=p.yes_price / total,
            yes_shares=p.yes_shares,
            no_shares=p.no_shares,
        )
        for p in event
    ]
    (summary,) = probability_exposure(fair).events
    expected = sum(p.yes_price * pnl for p, pnl in zip(fair, summary.pnl_if_wins_usd, strict=True))
    assert expected == pytest.approx(
        0.0, abs=1e-9 * (1 + sum(p.yes_shares + p.no_shares for p in event))
    )


def test_worked_example_of_the_guide() -> None:
    positions = [
        OutcomePosition(
            market_id="a", event_id="e", yes_price=0.5, yes_shares=100, yes_average_cost=0.4
        ),
        OutcomePosition(market_id="b", event_id="e", yes_price=0.3, no_shares=50),
        OutcomePosition(market_id="c", event_id="e", yes_price=0.2),
        OutcomePosition(market_id="x", yes_price=0.9, no_shares=10),
    ]
    exposure = probability_exposure(positions)
    (event,) = exposure.events
    assert event.pnl_if_wins_usd == pytest.approx((65.0, -85.0, -35.0))
    assert event.worst_market_id == "b"
    assert exposure.markets[3].pnl_if_no_usd == pytest.approx(9.0)
    assert exposure.markets[3].pnl_if_yes_usd == pytest.approx(-1.0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("yes_price", 1.5),
        ("no_price", -0.1),
        ("yes_shares", math.nan),
        ("no_average_cost", math.inf),
    ],
)
def test_bad_position_names_the_field(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"^{field} must"):
        OutcomePosition(**{"market_id": "m", "yes_price": 0.5, field: value})  # type: ignore[arg-type]


def test_a_market_twice_is_refused() -> None:
    twice = [OutcomePosition(market_id="m", yes_price=0.5)] * 2
    with pytest.raises(ValueError, match=r"positions: each market once, got \['m'\]"):
        probability_exposure(twice)
