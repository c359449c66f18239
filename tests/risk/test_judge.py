"""Judge and Feed: an intent's decision counts everything published before it (no event loop).

The component-level race (separate tasks, real scheduling) is in test_component.py; here the
judge's catch-up is checked step by step: messages are published with ``publish_nowait`` and
left waiting in their subscriptions, as they are when the judge takes the next intent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trio

from agbotkit.abc import ComponentContext
from agbotkit.bus.topic import Overflow
from agbotkit.model.orders import Fill, OrderIntent, OrderRejected, Side
from agbotkit.model.risk import KillSwitchCommand, OrderApproved, OrderDenied
from agbotkit.risk.engine import RiskEngine
from agbotkit.risk.judge import METRIC_DECISION, Feed, Judge
from agbotkit.risk.keeper import KillSwitchKeeper
from agbotkit.risk.loading import parse_policies_yaml
from agbotkit.risk.portfolio import Portfolio
from agbotkit.risk.watch import KillStateFile
from agbotkit.topics import FILLS, ORDER_OUTCOMES, RISK_COMMANDS

from .conftest import T0, Published

POLICIES = """
policies:
  - type: PositionLimit
    max_size: 100
  - type: KillSwitch
    max_consecutive_rejections: 2
"""
MARKET, YES = "0xmarket", "111"


def buy(size: str) -> OrderIntent:
    return OrderIntent(market_id=MARKET, token_id=YES, side=Side.BUY, price="0.5", size=size)


def fill(size: str) -> Fill:
    return Fill(token_id=YES, side=Side.BUY, price="0.5", size=size)


@pytest.fixture
def judge(context: ComponentContext, tmp_path: Path) -> Iterator[Judge]:
    """A judge fed fills, order outcomes and kill commands, as the component wires it."""
    engine = RiskEngine(parse_policies_yaml(POLICIES), clock=context.now_ms)
    portfolio = Portfolio(context)
    kill_file = KillStateFile(tmp_path / "risk-state.json")
    keeper = KillSwitchKeeper(
        engine, kill_file, context, pnl=portfolio.take_pnl, retry_interval_s=1.0
    )
    bus, block = context.bus, Overflow.BLOCK
    with (
        bus.subscribe(FILLS, buffer=8, overflow=block) as fills,
        bus.subscribe(ORDER_OUTCOMES, buffer=8, overflow=block) as outcomes,
        bus.subscribe(RISK_COMMANDS, buffer=8, overflow=block) as commands,
    ):
        feeds = (
            Feed(fills, portfolio.apply_fill),
            Feed(outcomes, keeper.record_outcome),
            Feed(commands, keeper.command),
        )
        yield Judge(engine, portfolio, context, feeds)


def test_a_waiting_fill_counts_in_the_next_decision(
    judge: Judge, context: ComponentContext
) -> None:
    assert isinstance(judge.decide(buy("50")), OrderApproved)
    context.bus.publish_nowait(FILLS, fill("60"))  # not applied by anyone yet
    denied = judge.decide(buy("50"))
    assert isinstance(denied, OrderDenied)
    assert denied.reasons == ("position 110 would exceed max_size 100",)
    assert isinstance(judge.decide(buy("40")), OrderApproved)  # applied once, not twice


def test_a_waiting_kill_command_counts_in_the_next_decision(
    judge: Judge, context: ComponentContext
) -> None:
    context.bus.publish_nowait(RISK_COMMANDS, KillSwitchCommand("trigger", "halt"))
    denied = judge.decide(buy("1"))
    assert isinstance(denied, OrderDenied)
    assert denied.policies == ("KillSwitch",)


def test_waiting_rejections_count_in_the_next_decision(
    judge: Judge, context: ComponentContext
) -> None:
    for _ in range(2):
        context.bus.publish_nowait(ORDER_OUTCOMES, OrderRejected(reason="no balance"))
    denied = judge.decide(buy("1"))
    assert isinstance(denied, OrderDenied)
    assert "2 consecutive rejected" in denied.reasons[0]


def test_decisions_are_stamped_counted_and_denials_logged(
    judge: Judge, published: Published, caplog: pytest.LogCaptureFixture
) -> None:
    assert judge.decide(buy("1")) == OrderApproved(buy("1"), timestamp_ms=T0, component="risk")
    with caplog.at_level("INFO"):
        denied = judge.decide(buy("101"))
    assert (denied.timestamp_ms, denied.component) == (T0, "risk")
    assert "denied order BUY 101 111 @ 0.5: PositionLimit: position 101" in caplog.text
    samples = [(m.value, m.labels_dict) for m in published.metrics() if m.name == METRIC_DECISION]
    assert samples == [
        (1.0, {"policy": "all", "market_id": MARKET}),
        (0.0, {"policy": "PositionLimit", "market_id": MARKET}),
    ]


def test_a_feed_catches_up_without_waiting(context: ComponentContext) -> None:
    seen: list[Fill] = []
    with context.bus.subscribe(FILLS, overflow=Overflow.BLOCK) as fills:
        feed = Feed(fills, seen.append)
        assert feed.catch_up() == 0
        context.bus.publish_nowait(FILLS, fill("1"))
        context.bus.publish_nowait(FILLS, fill("2"))
        assert feed.catch_up() == 2
        assert [f.size for f in seen] == [1, 2]
        with pytest.raises(trio.WouldBlock):
            fills.receive_nowait()
        context.bus.publish_nowait(FILLS, fill("3"))
        context.bus.close()  # what was published before the close is still applied
        assert feed.catch_up() == 1
        assert feed.catch_up() == 0
