"""The ``risk`` component under the real supervisor: decisions, books, kill switch, reloads."""

from __future__ import annotations

import json
import logging
import os
import signal
import textwrap
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest
import trio

from agbotkit.bus.bus import Bus
from agbotkit.bus.subscription import MAX_BATCH, Subscription
from agbotkit.bus.topic import Overflow, Topic
from agbotkit.errors import ConfigError
from agbotkit.model.books import PriceLevel
from agbotkit.model.feeds import BookTop
from agbotkit.model.markets import MarketInfo, MarketResolved
from agbotkit.model.metrics import Metric, MetricType
from agbotkit.model.orders import Fill, OrderIntent, OrderRejected, Side
from agbotkit.model.risk import (
    KillState,
    KillSwitchChanged,
    KillSwitchCommand,
    OrderApproved,
    OrderDecision,
    OrderDenied,
)
from agbotkit.risk.killstate import load_kill_state, save_kill_state
from agbotkit.supervisor.plan import plan_file
from agbotkit.supervisor.runner import Supervisor
from agbotkit.topics import (
    BOOKS,
    FILLS,
    MARKET_DATA,
    MARKETS,
    METRICS,
    ORDER_DECISIONS,
    ORDER_INTENTS,
    ORDER_OUTCOMES,
    RISK_COMMANDS,
    RISK_STATE,
)

T = TypeVar("T")
#: The ``run_cli`` fixture (conftest.py): argv -> (exit code, stdout, stderr).
RunCli = Callable[..., tuple[int, str, str]]

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
MARKET = "0xmarket"
YES, NO = "111", "222"

POLICIES = """
policies:
  - type: PositionLimit
    max_size: 100
  - type: InventoryLimit
    max_value_usd: 50
  - type: KillSwitch
    max_drawdown_usd: 30
    max_consecutive_rejections: 2
"""

STACK = """
stack: {shutdown_grace_s: 5}
components:
  risk:
    kind: risk
    policy_file: policies.yaml
"""


def fake_now() -> int:
    """Wall-clock milliseconds that follow trio's (autojump) clock."""
    return T0 + round(trio.current_time() * 1000)


def buy(size: str, price: str = "0.5", token: str = YES, market: str = MARKET) -> OrderIntent:
    return OrderIntent(market_id=market, token_id=token, side=Side.BUY, price=price, size=size)


def book(token: str, bid: str, ask: str, *, valid: bool = True) -> BookTop:
    return BookTop(
        token,
        MARKET,
        fake_now(),
        fake_now(),
        (PriceLevel(Decimal(bid), Decimal(100)),),
        (PriceLevel(Decimal(ask), Decimal(100)),),
        valid,
    )


def market_info(end_ms: int | None = None, condition_id: str = MARKET) -> MarketInfo:
    return MarketInfo(
        condition_id, "Will it?", "will-it", ("Yes", "No"), (YES, NO), None, None, False, end_ms,
        True, False,
    )  # fmt: skip


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    (tmp_path / "policies.yaml").write_text(textwrap.dedent(POLICIES))
    path = tmp_path / "stack.yaml"
    path.write_text(textwrap.dedent(STACK))
    return path


def write_stack(stack: Path, extra: str) -> None:
    stack.write_text(textwrap.dedent(STACK) + textwrap.indent(textwrap.dedent(extra), "    "))


@asynccontextmanager
async def running(stack: Path) -> AsyncIterator[Bus]:
    """The stack in ``stack`` started under the supervisor; stopped on exit."""
    supervisor = Supervisor(plan_file(stack), now_ms=fake_now)
    async with trio.open_nursery() as nursery:
        await nursery.start(supervisor.run)
        yield supervisor.bus
        supervisor.request_stop()


async def judge(bus: Bus, intent: OrderIntent) -> OrderDecision:
    with bus.subscribe(ORDER_DECISIONS, overflow=Overflow.BLOCK) as decisions:
        await bus.publish(ORDER_INTENTS, intent)
        with trio.fail_after(1):
            return await decisions.receive()


async def next_of(subscription: Subscription[T], timeout_s: float = 3) -> T:
    with trio.fail_after(timeout_s):
        return await subscription.receive()


def drain(subscription: Subscription[T]) -> list[T]:
    out = []
    while True:
        try:
            out.append(subscription.receive_nowait())
        except trio.WouldBlock:
            return out


def samples(metrics: list[Metric], name: str, **labels: str) -> list[float]:
    return [
        m.value
        for m in metrics
        if m.name == name and all(m.labels_dict.get(k) == v for k, v in labels.items())
    ]


def watch(bus: Bus, topic: Topic[T]) -> Subscription[T]:
    return bus.subscribe(topic, buffer=100_000)


# Decisions -----------------------------------------------------------------------------------


async def test_allowed_intent_is_approved(stack: Path, autojump_clock: trio.abc.Clock) -> None:
    async with running(stack) as bus:
        metrics = watch(bus, METRICS)
        intent = buy("10")
        decision = await judge(bus, intent)
        assert decision == OrderApproved(intent, timestamp_ms=T0, component="risk")
        assert samples(drain(metrics), "polymarket.risk.decision") == [1.0]


async def test_breaching_intent_is_denied_listing_every_violated_policy(
    stack: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with running(stack) as bus:
        metrics = watch(bus, METRICS)
        intent = buy("200")
        decision = await judge(bus, intent)
        assert isinstance(decision, OrderDenied)
        assert decision.intent == intent
        assert decision.policies == ("PositionLimit", "InventoryLimit")
        assert "position 200 would exceed max_size 100" in decision.reasons[0]
        assert len(decision.reasons) == 2
        seen = [m for m in drain(metrics) if m.name == "polymarket.risk.decision"]
        assert [(m.value, m.labels_dict) for m in seen] == [
            (0.0, {"policy": "PositionLimit", "market_id": MARKET}),
            (0.0, {"policy": "InventoryLimit", "market_id": MARKET}),
        ]
        assert {m.metric_type for m in seen} == {MetricType.GAUGE}


async def test_allowed_decision_metric_is_labelled_all(
    stack: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with running(stack) as bus:
        metrics = watch(bus, METRICS)
        await judge(bus, buy("1", market="0xother"))
        [sample] = [m for m in drain(metrics) if m.name == "polymarket.risk.decision"]
        assert (sample.value, sample.labels_dict) == (
            1.0,
            {"policy": "all", "market_id": "0xother"},
        )


# Positions -----------------------------------------------------------------------------------


async def test_fills_change_position_and_inventory(
    stack: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with running(stack) as bus:
        metrics = watch(bus, METRICS)
        bus.publish_retained(MARKETS, MARKET, market_info())
        await trio.sleep(0.01)  # the fill's labels need the market: no order between them
        await bus.publish(FILLS, Fill(token_id=YES, side=Side.BUY, price="0.4", size="60"))
        await trio.sleep(0.01)
        seen = drain(metrics)
        assert samples(seen, "polymarket.position.size", market_id=MARKET, side="Yes") == [60.0]
        assert samples(seen, "polymarket.inventory.value_usd") == [24.0]
        # The books are what orders are judged against: 60 held + 50 > 100.
        decision = await judge(bus, buy("50", price="0.1"))
        assert isinstance(decision, OrderDenied)
        assert decision.policies == ("PositionLimit",)
        await bus.publish(FILLS, Fill(token_id=YES, side=Side.SELL, price="0.5", size="20"))
        await trio.sleep(0.01)
        seen = drain(metrics)
        assert samples(seen, "polymarket.position.size", side="Yes") == [40.0]
        assert await judge(bus, buy("50", price="0.1")) == OrderApproved(
            buy("50", price="0.1"), timestamp_ms=fake_now(), component="risk"
        )


async def test_positions_are_published_every_second(
    stack: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with running(stack) as bus:
        await bus.publish(FILLS, Fill(token_id=NO, side=Side.BUY, price="0.3", size="7"))
        await trio.sleep(0.01)
        metrics = watch(bus, METRICS)
        await trio.sleep(3.01)
        seen = drain(metrics)
        # Unknown market: the side is the token id, the market is empty.
        assert samples(seen, "polymarket.position.size", side=NO, market_id="") == [7.0] * 3
        assert samples(seen, "polymarket.risk.kill_switch") == [0.0] * 3


async def test_a_fill_the_books_cannot_take_is_logged_and_skipped(
    stack: Path, autojump_clock: trio.abc.Clock, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(stack) as bus:
        await bus.publish(FILLS, Fill(token_id=YES, side=Side.SELL, price="0.5", size="5"))
        await trio.sleep(0.01)
        assert "fill not booked" in caplog.text
        assert isinstance(await judge(bus, buy("1")), OrderApproved)


async def test_policies_see_the_mid_of_the_tokens_latest_valid_book(
    stack: Path, autojump_clock: trio.abc.Clock
) -> None:
    (stack.parent / "policies.yaml").write_text(
        "policies:\n  - type: PriceBand\n    max_distance: 0.05\n"
    )
    async with running(stack) as bus:
        # No book yet: no mid, and PriceBand fails closed.
        assert isinstance(await judge(bus, buy("1", price="0.50")), OrderDenied)
        bus.publish_nowait(BOOKS, book(YES, "0.48", "0.52"))  # mid 0.50
        assert isinstance(await judge(bus, buy("1", price="0.53")), OrderApproved)
        denied = await judge(bus, buy("1", price="0.56"))
        assert isinstance(denied, OrderDenied)
        assert "0.5" in denied.reasons[0]  # the reason names the mid it was judged against
        bus.publish_nowait(BOOKS, book(YES, "0.68", "0.72"))  # the mid moves to 0.70
        assert isinstance(await judge(bus, buy("1", price="0.72")), OrderApproved)
        assert isinstance(await judge(bus, buy("1", price="0.53")), OrderDenied)
        # Another token's book is not this token's mid.
        bus.publish_nowait(BOOKS, book(NO, "0.10", "0.12"))
        assert isinstance(await judge(bus, buy("1", price="0.72")), OrderApproved)


async def test_book_mid_marks_inventory_and_feeds_the_drawdown_rule(
    stack: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with running(stack) as bus:
        state = watch(bus, RISK_STATE)
        assert (await next_of(state)).active is False  # retained at start
        metrics = watch(bus, METRICS)
        await bus.publish(FILLS, Fill(token_id=YES, side=Side.BUY, price="0.5", size="80"))
        bus.publish_nowait(BOOKS, book(YES, "0.55", "0.65"))
        await trio.sleep(1.01)
        assert samples(drain(metrics), "polymarket.inventory.value_usd")[-1] == 48.0
        # An invalid book is not a mid: no mark, and PriceBand-like policies get none.
        bus.publish_nowait(BOOKS, book(YES, "0.01", "0.03", valid=False))
        await trio.sleep(1.01)
        assert samples(drain(metrics), "polymarket.inventory.value_usd")[-1] == 48.0
        # PnL went 80 * (0.6 - 0.5) = +8, now 80 * (0.1 - 0.5) = -32: a drawdown of 40
        # from the high-water mark triggers the kill switch (max_drawdown_usd 30).
        bus.publish_nowait(BOOKS, book(YES, "0.09", "0.11"))
        changed = await next_of(state)
        assert changed.active
        assert changed.source == "auto"
        assert changed.reason.startswith("drawdown $40.00 from the high-water mark $8.00")
        assert load_kill_state(stack.parent / "risk-state.json").triggered


async def test_market_resolution_settles_positions(
    stack: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with running(stack) as bus:
        metrics = watch(bus, METRICS)
        await bus.publish(
            FILLS, Fill(token_id=YES, side=Side.BUY, price="0.5", size="40", market_id=MARKET)
        )
        await trio.sleep(0.01)
        bus.publish_nowait(MARKET_DATA, MarketResolved(MARKET, (YES, NO), YES, "Yes", T0))
        await trio.sleep(0.01)
        seen = drain(metrics)
        assert samples(seen, "polymarket.position.size", side=YES) == [40.0, 0.0]
        assert samples(seen, "polymarket.inventory.value_usd") == [20.0, 0.0]


async def test_market_end_dates_come_from_markets(
    tmp_path: Path, stack: Path, autojump_clock: trio.abc.Clock
) -> None:
    (tmp_path / "policies.yaml").write_text(
        "policies:\n  - type: NoTradeBeforeResolution\n    window_s: 3600\n"
    )
    async with running(stack) as bus:
        bus.publish_retained(MARKETS, MARKET, market_info(end_ms=T0 + 1_800_000))
        bus.publish_retained(MARKETS, "0xlater", market_info(T0 + 86_400_000, "0xlater"))
        await trio.sleep(0.01)
        denied = await judge(bus, buy("1"))
        assert isinstance(denied, OrderDenied)
        assert denied.policies == ("NoTradeBeforeResolution",)
        assert isinstance(await judge(bus, buy("1", market="0xlater")), OrderApproved)
        # A market nobody described cannot be checked: denied (fail closed).
        unknown = await judge(bus, buy("1", market="0xunknown"))
        assert isinstance(unknown, OrderDenied)
        assert "end date is unknown" in unknown.reasons[0]


# Ordering: an intent is judged after everything published before it ----------------------------

LIMIT_ONLY = "policies:\n  - type: PositionLimit\n    max_size: 100\n"


def fill(size: str, token: str = YES) -> Fill:
    return Fill(token_id=token, side=Side.BUY, price="0.5", size=size)


async def test_a_fill_published_before_an_intent_counts_in_its_decision(
    stack: Path, autojump_clock: trio.abc.Clock
) -> None:
    # The fill and the intent wake their consumers in the same scheduling batch, which trio
    # runs in a random order: without an ordering, about half the rounds judge the intent
    # first and approve 50 more shares of a token already held 60 (limit 100).
    (stack.parent / "policies.yaml").write_text(LIMIT_ONLY)
    async with running(stack) as bus:
        with bus.subscribe(ORDER_DECISIONS, overflow=Overflow.BLOCK) as decisions:
            for round_ in range(16):
                token = f"token-{round_}"
                bus.publish_nowait(FILLS, fill("60", token))
                bus.publish_nowait(ORDER_INTENTS, buy("50", token=token))
                decision = await next_of(decisions)
                assert isinstance(decision, OrderDenied), f"round {round_}: the fill was missed"
                assert decision.policies == ("PositionLimit",)


async def test_an_intent_counts_fills_its_consumer_task_has_not_reached(
    stack: Path, autojump_clock: trio.abc.Clock
) -> None:
    # Deterministic: the fills task applies at most MAX_BATCH buffered fills in one step,
    # then yields; the intent's task is woken in the same step and runs before the fills
    # task comes back for the last fill, the one that matters.
    (stack.parent / "policies.yaml").write_text(LIMIT_ONLY)
    write_stack(stack, f"intent_buffer: {2 * MAX_BATCH}\n")
    async with running(stack) as bus:
        with bus.subscribe(ORDER_DECISIONS, overflow=Overflow.BLOCK) as decisions:
            await trio.sleep(0.01)  # every task of the component waits for its topic
            for _ in range(MAX_BATCH):
                bus.publish_nowait(FILLS, fill("0.01", NO))
            bus.publish_nowait(FILLS, fill("60"))
            bus.publish_nowait(ORDER_INTENTS, buy("50"))
            decision = await next_of(decisions)
            assert isinstance(decision, OrderDenied)
            assert decision.reasons == ("position 110 would exceed max_size 100",)
            # And the books took every fill exactly once.
            assert isinstance(await judge(bus, buy("40")), OrderApproved)
            assert isinstance(await judge(bus, buy("41")), OrderDenied)


# Kill switch ---------------------------------------------------------------------------------


async def test_kill_switch_command_denies_orders_and_is_saved(
    stack: Path, autojump_clock: trio.abc.Clock
) -> None:
    state_file = stack.parent / "risk-state.json"
    async with running(stack) as bus:
        state = watch(bus, RISK_STATE)
        metrics = watch(bus, METRICS)
        assert await next_of(state) == KillSwitchChanged(
            False, "", None, "startup", component="risk", timestamp_ms=T0
        )
        await trio.sleep(2)
        await bus.publish(RISK_COMMANDS, KillSwitchCommand("trigger", "desk halt", "dashboard"))
        assert await next_of(state) == KillSwitchChanged(
            True,
            "manual (dashboard): desk halt",
            T0 + 2000,
            "dashboard",
            component="risk",
            timestamp_ms=T0 + 2000,
        )
        assert load_kill_state(state_file) == KillState(
            True, "manual (dashboard): desk halt", T0 + 2000
        )
        assert samples(drain(metrics), "polymarket.risk.kill_switch")[-1] == 1.0
        denied = await judge(bus, buy("1"))
        assert isinstance(denied, OrderDenied)
        assert denied.policies == ("KillSwitch",)
        assert denied.reasons == ("kill switch triggered: manual (dashboard): desk halt",)
        # A command for another risk component is not ours.
        await bus.publish(RISK_COMMANDS, KillSwitchCommand("reset", component="other"))
        assert isinstance(await judge(bus, buy("1")), OrderDenied)
        await bus.publish(RISK_COMMANDS, KillSwitchCommand("reset", source="dashboard"))
        reset = await next_of(state)
        assert (reset.active, reset.source) == (False, "dashboard")
        assert load_kill_state(state_file) == KillState()
        assert isinstance(await judge(bus, buy("1")), OrderApproved)
        assert samples(drain(metrics), "polymarket.risk.kill_switch")[-1] == 0.0


async def test_a_restarted_component_starts_killed(
    stack: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with running(stack) as bus:
        await bus.publish(RISK_COMMANDS, KillSwitchCommand("trigger", "before restart"))
        await trio.sleep(0.01)
    async with running(stack) as bus:  # a new process, as far as the component knows
        state = watch(bus, RISK_STATE)
        restored = await next_of(state)
        assert (restored.active, restored.reason, restored.source) == (
            True,
            "manual (api): before restart",
            "restored",
        )
        denied = await judge(bus, buy("1"))
        assert isinstance(denied, OrderDenied)
        assert denied.policies == ("KillSwitch",)


async def test_rejections_in_a_row_trigger_the_kill_switch(
    stack: Path, autojump_clock: trio.abc.Clock
) -> None:
    async with running(stack) as bus:
        state = watch(bus, RISK_STATE)
        await next_of(state)
        for _ in range(2):
            await bus.publish(ORDER_OUTCOMES, OrderRejected(reason="not enough balance"))
        changed = await next_of(state)
        assert (changed.active, changed.source) == (True, "auto")
        assert "2 consecutive rejected" in changed.reason


async def test_cli_kill_and_reset_reach_a_running_component(
    stack: Path, autojump_clock: trio.abc.Clock, run_cli: RunCli
) -> None:
    async with running(stack) as bus:
        state = watch(bus, RISK_STATE)
        await next_of(state)
        code, out, err = run_cli("risk", "kill", "--stack", str(stack), "--reason", "desk halt")
        assert (code, err) == (0, "")
        assert out.startswith("risk: kill switch TRIGGERED (manual (cli): desk halt)")
        began = trio.current_time()
        changed = await next_of(state)
        assert trio.current_time() - began <= 1.0
        assert (changed.active, changed.reason, changed.source) == (
            True,
            "manual (cli): desk halt",
            "state-file",
        )
        assert isinstance(await judge(bus, buy("1")), OrderDenied)
        code, out, _ = run_cli("risk", "reset", "--stack", str(stack))
        assert (code, out) == (
            0,
            "risk: kill switch reset; a running stack accepts orders again within 1 s\n",
        )
        changed = await next_of(state)
        assert (changed.active, changed.source) == (False, "state-file")
        assert isinstance(await judge(bus, buy("1")), OrderApproved)


async def test_state_file_deleted_while_triggered_is_written_again(
    stack: Path, autojump_clock: trio.abc.Clock
) -> None:
    state_file = stack.parent / "risk-state.json"
    async with running(stack) as bus:
        await bus.publish(RISK_COMMANDS, KillSwitchCommand("trigger", "halt"))
        await trio.sleep(0.01)
        state_file.unlink()
        await trio.sleep(1.01)
        assert load_kill_state(state_file).reason == "manual (api): halt"
        assert isinstance(await judge(bus, buy("1")), OrderDenied)


async def test_unusable_state_file_starts_killed(
    stack: Path, autojump_clock: trio.abc.Clock
) -> None:
    (stack.parent / "risk-state.json").write_text("{not json")
    async with running(stack) as bus:
        denied = await judge(bus, buy("1"))
        assert isinstance(denied, OrderDenied)
        assert "is unusable" in denied.reasons[0]


async def test_custom_state_file_is_used(stack: Path, autojump_clock: trio.abc.Clock) -> None:
    write_stack(stack, "state_file: state/kill.json\n")
    save_kill_state_dir = stack.parent / "state"
    save_kill_state_dir.mkdir()
    save_kill_state(save_kill_state_dir / "kill.json", KillState(True, "from before", T0))
    async with running(stack) as bus:
        assert isinstance(await judge(bus, buy("1")), OrderDenied)
        await bus.publish(RISK_COMMANDS, KillSwitchCommand("reset"))
        await trio.sleep(0.01)
    assert json.loads((save_kill_state_dir / "kill.json").read_text())["triggered"] is False
    assert not (stack.parent / "risk-state.json").exists()


# Policy reloads ------------------------------------------------------------------------------


def reload_counts(metrics: list[Metric]) -> dict[str, float]:
    return {
        m.labels_dict["outcome"]: m.value
        for m in metrics
        if m.name == "polymarket.risk.policy_reloads" and m.metric_type is MetricType.COUNTER
    }


async def test_policy_file_changed_on_disk_is_reloaded(
    stack: Path, autojump_clock: trio.abc.Clock
) -> None:
    policies = stack.parent / "policies.yaml"
    async with running(stack) as bus:
        metrics = watch(bus, METRICS)
        assert isinstance(await judge(bus, buy("10")), OrderApproved)
        policies.write_text(POLICIES.replace("max_size: 100", "max_size: 5"))
        await trio.sleep(1.01)
        assert reload_counts(drain(metrics)) == {"ok": 1.0}
        denied = await judge(bus, buy("10"))
        assert isinstance(denied, OrderDenied)
        assert "max_size 5" in denied.reasons[0]
        await trio.sleep(3)  # unchanged since: no more reloads
        assert reload_counts(drain(metrics)) == {}


async def test_broken_policy_file_is_refused_and_the_old_policies_stay(
    stack: Path, autojump_clock: trio.abc.Clock, caplog: pytest.LogCaptureFixture
) -> None:
    policies = stack.parent / "policies.yaml"
    async with running(stack) as bus:
        metrics = watch(bus, METRICS)
        with caplog.at_level(logging.ERROR):
            policies.write_text(POLICIES.replace("max_size: 100", "max_size: -5"))
            await trio.sleep(1.01)
        [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert f"{policies}:4: policies[0].max_size: expected a value >= 0" in (record.getMessage())
        assert "the policies in force stay" in record.getMessage()
        assert reload_counts(drain(metrics)) == {"refused": 1.0}
        assert isinstance(await judge(bus, buy("10")), OrderApproved)
        denied = await judge(bus, buy("200"))
        assert isinstance(denied, OrderDenied)
        assert denied.policies == ("PositionLimit", "InventoryLimit")
        # Fixed again: reloaded.
        policies.write_text(POLICIES.replace("max_size: 100", "max_size: 5"))
        await trio.sleep(1.01)
        assert reload_counts(drain(metrics)) == {"ok": 1.0}
        assert isinstance(await judge(bus, buy("10")), OrderDenied)


async def test_enabling_the_kill_switch_in_the_policy_file_is_published(
    stack: Path, autojump_clock: trio.abc.Clock
) -> None:
    policies = stack.parent / "policies.yaml"
    async with running(stack) as bus:
        state = watch(bus, RISK_STATE)
        await next_of(state)
        policies.write_text(POLICIES + "    enabled: true\n")
        changed = await next_of(state)
        assert (changed.active, changed.reason, changed.since_ms, changed.source) == (
            True,
            "enabled in the policy file",
            None,
            "policy-file",
        )
        # Not a trigger: nothing to persist.
        assert load_kill_state(stack.parent / "risk-state.json") == KillState()


async def test_sighup_reloads_the_policy_file(stack: Path, autojump_clock: trio.abc.Clock) -> None:
    write_stack(stack, "reload: false\n")
    policies = stack.parent / "policies.yaml"
    async with running(stack) as bus:
        metrics = watch(bus, METRICS)
        policies.write_text(POLICIES.replace("max_size: 100", "max_size: 5"))
        await trio.sleep(3)
        assert isinstance(await judge(bus, buy("10")), OrderApproved)  # not watched
        os.kill(os.getpid(), signal.SIGHUP)
        await trio.sleep(0.1)
        assert reload_counts(drain(metrics)) == {"ok": 1.0}
        assert isinstance(await judge(bus, buy("10")), OrderDenied)


def test_an_invalid_policy_file_is_refused_before_anything_starts(
    tmp_path: Path, stack: Path
) -> None:
    (tmp_path / "policies.yaml").write_text("policies:\n  - type: Nope\n")
    with pytest.raises(ConfigError, match=r"components\.risk\.policy_file: policy file refused: "):
        plan_file(stack)


async def test_invalid_policy_file_at_start_fails_the_start(
    tmp_path: Path, stack: Path, autojump_clock: trio.abc.Clock
) -> None:
    supervisor = Supervisor(plan_file(stack))
    # Broken after planning (planning itself refuses it: see the next test).
    (tmp_path / "policies.yaml").write_text("policies:\n  - type: Nope\n")
    with pytest.RaisesGroup(
        pytest.RaisesExc(Exception, match=r"policies\.yaml:2: policies\[0\]\.type: unknown policy")
    ):
        await supervisor.run()
