"""Resolutions: given ones, and the worst case checked against every possible outcome."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agbotkit.risk.advanced.stress.engine import stress_test
from agbotkit.risk.advanced.stress.positions import StressPortfolio, StressPosition
from agbotkit.risk.advanced.stress.scenarios import Resolution, Scenario, all_resolve_against

Outcome = dict[str, bool]  # market -> resolves YES


@st.composite
def portfolios(draw: st.DrawFn) -> StressPortfolio:
    """Up to 6 markets, some in up to 2 neg-risk events, 1 or 2 tokens held in each."""
    markets = draw(st.integers(min_value=1, max_value=6))
    positions = []
    for m in range(markets):
        event = draw(st.sampled_from([None, "e0", "e1"]))
        outcomes = draw(st.sampled_from([("yes",), ("no",), ("yes", "no")]))
        for outcome in outcomes:
            shares = draw(st.floats(min_value=-100, max_value=100, allow_nan=False))
            mid = draw(st.floats(min_value=0.0, max_value=1.0, allow_nan=False))
            positions.append(
                StressPosition(
                    f"m{m}-{outcome}", f"m{m}", shares, mid, outcome=outcome, event=event
                )
            )
    events = {p.event for p in positions if p.event is not None}
    complete = draw(st.sets(st.sampled_from(sorted(events)))) if events else set()
    return StressPortfolio(positions, complete_events=complete)


def outcomes(portfolio: StressPortfolio, forced: Outcome | None = None) -> Iterator[Outcome]:
    """Every way the portfolio's markets can resolve (exactly one winner per complete event,
    at most one per other event), agreeing with ``forced``."""
    forced = forced or {}
    markets = portfolio.market_ids
    event_of = {p.market: p.event for p in portfolio.positions}
    standalone = [m for m in markets if event_of[m] is None]
    choices: list[list[Outcome]] = [[{m: True}, {m: False}] for m in standalone]
    for index, event in enumerate(portfolio.event_ids):
        members = [m for m in markets if event_of[m] == event]
        winners: list[str | None] = list(members)
        if not portfolio.event_complete[index]:
            winners.append(None)
        choices.append([{m: m == w for m in members} for w in winners])
    for combination in itertools.product(*choices):
        outcome: Outcome = {}
        for part in combination:
            outcome.update(part)
        if all(outcome[m] == yes for m, yes in forced.items()):
            yield outcome


def total_pnl(portfolio: StressPortfolio, outcome: Outcome) -> float:
    return sum(
        p.shares * (float(outcome[p.market] == (p.outcome == "yes")) - p.mid)
        for p in portfolio.positions
    )


def outcome_of(portfolio: StressPortfolio, prices: list[float]) -> Outcome:
    """The outcome a result's prices describe (every price 0 or 1, consistent per market)."""
    found: Outcome = {}
    for position, price in zip(portfolio.positions, prices, strict=True):
        assert price in (0.0, 1.0)
        yes = (price == 1.0) == (position.outcome == "yes")
        assert found.setdefault(position.market, yes) == yes
    return found


@settings(max_examples=300, deadline=None)
@given(portfolios())
def test_all_resolve_against_is_the_least_of_every_outcome(portfolio: StressPortfolio) -> None:
    result = stress_test(portfolio, all_resolve_against())
    possible = list(outcomes(portfolio))
    worst = min(total_pnl(portfolio, outcome) for outcome in possible)
    assert result.total_pnl_usd == pytest.approx(worst, rel=1e-9, abs=1e-9)
    # ... and the prices it reports are one of those outcomes, worth that total.
    chosen = outcome_of(portfolio, list(result.price_after))
    assert chosen in possible
    assert total_pnl(portfolio, chosen) == pytest.approx(result.total_pnl_usd, rel=1e-9, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(portfolios(), st.data())
def test_given_resolutions_constrain_the_worst_case(
    portfolio: StressPortfolio, data: st.DataObject
) -> None:
    # Force the markets of one possible outcome, some of them: the rest stays worst case.
    anchor = data.draw(st.sampled_from(list(outcomes(portfolio))))
    forced = data.draw(st.sets(st.sampled_from(sorted(anchor)), max_size=3))
    resolutions = tuple(
        Resolution(market=m, winner="yes" if anchor[m] else "no") for m in sorted(forced)
    )
    scenario = Scenario(name="partly", resolutions=resolutions, resolve_against_us=True)
    result = stress_test(portfolio, scenario)
    given_outcome = {m: anchor[m] for m in forced}
    worst = min(total_pnl(portfolio, o) for o in outcomes(portfolio, given_outcome))
    assert result.total_pnl_usd == pytest.approx(worst, rel=1e-9, abs=1e-9)


def election(*, complete: bool) -> StressPortfolio:
    return StressPortfolio(
        [
            StressPosition("a", "a", 10, 0.2, event="e"),
            StressPosition("b", "b", 10, 0.3, event="e"),
            StressPosition("c", "c", 10, 0.4, event="e"),
        ],
        complete_events=("e",) if complete else (),
    )


def test_exactly_one_winner_in_a_complete_event() -> None:
    # Long every candidate: if the event is complete one of them must win, and the worst
    # is the cheapest winner (a: +8 - 3 - 4 = +1); otherwise nobody held wins (-9).
    complete = stress_test(election(complete=True), all_resolve_against())
    assert list(complete.price_after) == [1.0, 0.0, 0.0]
    assert complete.total_pnl_usd == pytest.approx(1.0, rel=1e-12)
    partial = stress_test(election(complete=False), all_resolve_against())
    assert list(partial.price_after) == [0.0, 0.0, 0.0]
    assert partial.total_pnl_usd == pytest.approx(-9.0, rel=1e-12)


def test_a_given_yes_resolves_the_rest_of_its_event_no() -> None:
    scenario = Scenario(name="b wins", resolutions=(Resolution("b", "yes"),))
    result = stress_test(election(complete=False), scenario)
    assert list(result.price_after) == [0.0, 1.0, 0.0]
    only_no = Scenario(name="c loses", resolutions=(Resolution("c", "no"),))
    assert list(stress_test(election(complete=False), only_no).price_after) == [0.2, 0.3, 0.0]


def test_patterns_resolve_many_markets() -> None:
    scenario = Scenario(name="all lose", resolutions=(Resolution("*", "no"),))
    assert list(stress_test(election(complete=False), scenario).price_after) == [0, 0, 0]


@pytest.mark.parametrize(
    ("resolutions", "complete", "message"),
    [
        (
            (Resolution("a", "yes"), Resolution("b", "yes")),
            False,
            "two markets of neg-risk event 'e'",
        ),
        ((Resolution("a", "yes"), Resolution("a", "no")), False, "market 'a' resolves both"),
        ((Resolution("*", "no"),), True, "every market of complete neg-risk event 'e'"),
    ],
)
def test_contradictions_are_refused(
    resolutions: tuple[Resolution, ...], complete: bool, message: str
) -> None:
    for against in (False, True):
        scenario = Scenario(name="bad", resolutions=resolutions, resolve_against_us=against)
        if not against and "complete" in message:
            continue  # without the worst case, nothing needs a winner
        with pytest.raises(ValueError, match=message):
            stress_test(election(complete=complete), scenario)
