"""Kill-switch transitions: manual, config, daily loss, drawdown, rejections, reset, restart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agbotkit.model.risk import KillState, RiskContext
from agbotkit.risk.engine import RiskEngine
from agbotkit.risk.killstate import load_kill_state, save_kill_state
from agbotkit.risk.loading import parse_policies_yaml

DAY_MS = 86_400_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
RULES = """\
policies:
  - type: KillSwitch
    max_daily_loss_usd: 100
    max_drawdown_usd: 150
    max_consecutive_rejections: 3
  - type: PositionLimit
    max_size: 1000
"""


def ctx(**fields: Any) -> RiskContext:
    values: dict[str, Any] = {"market_id": "m1", "current_position": 0.0, "proposed_size": 10.0}
    values.update(fields)
    return RiskContext(**values)


def engine_with(text: str = RULES) -> RiskEngine:
    return RiskEngine(parse_policies_yaml(text), clock=lambda: T0)


def kill_reasons(engine: RiskEngine, **fields: Any) -> list[str]:
    decision = engine.evaluate(ctx(**fields))
    return [v.reason for v in decision.violated_policies if v.policy == "KillSwitch"]


def test_manual_trigger_and_reset() -> None:
    engine = engine_with()
    assert not engine.kill_switch_active
    assert engine.trigger_kill_switch("manual: desk halt")
    assert not engine.trigger_kill_switch("manual: second")  # the first reason is kept
    assert engine.kill_state == KillState(True, "manual: desk halt", T0)
    assert kill_reasons(engine) == ["kill switch triggered: manual: desk halt"]
    # Without allow_reducing, closing orders are denied too.
    assert kill_reasons(engine, current_position=50, proposed_size=-50)
    assert engine.reset_kill_switch()
    assert not engine.reset_kill_switch()
    assert engine.kill_state == KillState()
    assert engine.evaluate(ctx()).allowed


def test_allow_reducing_lets_positions_close() -> None:
    engine = engine_with("policies:\n  - type: KillSwitch\n    allow_reducing: true\n")
    engine.trigger_kill_switch("manual")
    assert engine.evaluate(ctx(current_position=50, proposed_size=-20)).allowed
    assert engine.evaluate(ctx(current_position=-50, proposed_size=50)).allowed
    assert not engine.evaluate(ctx(current_position=50, proposed_size=-51)).allowed  # flips
    assert not engine.evaluate(ctx(current_position=50, proposed_size=1)).allowed
    assert not engine.evaluate(ctx(current_position=0, proposed_size=-1)).allowed


def test_enabled_in_config_is_not_lifted_by_reset_and_not_persisted() -> None:
    engine = engine_with("policies:\n  - type: KillSwitch\n    enabled: true\n")
    assert engine.kill_switch_active
    assert kill_reasons(engine) == ["kill switch triggered: enabled in the policy file"]
    assert not engine.reset_kill_switch()
    assert engine.kill_switch_active
    assert engine.kill_state == KillState()  # config, not state
    engine.replace_policies(RiskEngine(parse_policies_yaml("policies: []\n")).policies[1:])
    assert not engine.kill_switch_active


@pytest.mark.parametrize(
    ("pnl_path", "triggers_at"),
    [
        # Loss counted from 0 (session start): -99.99 is below the 100 limit, -100 reaches it.
        pytest.param([-50.0, -99.99, -100.0], 2, id="daily-loss-at-limit"),
        # Up 40 first: the day's loss is still counted from 0, so -100 triggers, not -140.
        pytest.param([40.0, -60.0, -100.0], 2, id="daily-loss-after-gain"),
    ],
)
def test_daily_loss(pnl_path: list[float], triggers_at: int) -> None:
    engine = engine_with()
    results = [engine.record_pnl(pnl, now_ms=T0 + i) for i, pnl in enumerate(pnl_path)]
    assert results.index(True) == triggers_at
    assert engine.kill_state.reason == ("daily loss $100.00 reached max_daily_loss_usd $100.00")
    assert engine.kill_state.since_ms == T0 + triggers_at


def test_a_new_day_does_not_reset_the_drawdown() -> None:
    engine = engine_with()
    assert not engine.record_pnl(-90.0, now_ms=T0 + 1000)  # day 1: lost 90
    # Day 2 counts its loss from -90, so -180 is a daily loss of 90 (within 100), but the
    # drawdown from the session's high-water mark (0) is 180 >= 150.
    assert engine.record_pnl(-180.0, now_ms=T0 + DAY_MS + 1000)
    assert engine.kill_state.reason.startswith("drawdown $180.00")


def test_daily_loss_day_boundary_without_drawdown_rule() -> None:
    engine = engine_with("policies:\n  - type: KillSwitch\n    max_daily_loss_usd: 100\n")
    assert not engine.record_pnl(-90.0, now_ms=T0 + 1000)
    assert not engine.record_pnl(-180.0, now_ms=T0 + DAY_MS)  # day 2: lost 90 since -90
    assert engine.record_pnl(-190.0, now_ms=T0 + DAY_MS + 5)  # day 2: lost 100


def test_day_start_hour_moves_the_boundary() -> None:
    text = (
        "policies:\n  - type: KillSwitch\n    max_daily_loss_usd: 100\n    day_start_utc_hour: 8\n"
    )
    engine = engine_with(text)
    eight = T0 + 8 * 3_600_000
    assert not engine.record_pnl(-90.0, now_ms=eight - 1)  # still the day before 08:00
    assert not engine.record_pnl(-150.0, now_ms=eight)  # new day: lost 60 since -90
    assert engine.record_pnl(-190.0, now_ms=eight + 1)  # lost 100


def test_drawdown_from_high_water_mark() -> None:
    engine = engine_with("policies:\n  - type: KillSwitch\n    max_drawdown_usd: 150\n")
    assert not engine.record_pnl(200.0, now_ms=T0)  # high-water mark 200
    assert not engine.record_pnl(120.0, now_ms=T0 + 1)  # 80 below
    assert not engine.record_pnl(300.0, now_ms=T0 + 2)  # new high-water mark 300
    assert not engine.record_pnl(150.01, now_ms=T0 + 3)  # 149.99 below
    assert engine.record_pnl(150.0, now_ms=T0 + 4)  # 150 below: reached
    assert engine.kill_state.reason == (
        "drawdown $150.00 from the high-water mark $300.00 reached max_drawdown_usd $150.00"
    )


def test_consecutive_rejections() -> None:
    engine = engine_with()
    assert not engine.record_order_outcome(False, now_ms=T0)
    assert not engine.record_order_outcome(False, now_ms=T0)
    assert not engine.record_order_outcome(True, now_ms=T0)  # resets the count
    assert not engine.record_order_outcome(False, now_ms=T0 + 1)
    assert not engine.record_order_outcome(False, now_ms=T0 + 2)
    assert engine.record_order_outcome(False, now_ms=T0 + 3)
    assert engine.kill_state == KillState(
        True, "3 consecutive rejected or failed orders reached max_consecutive_rejections 3", T0 + 3
    )
    assert not engine.record_order_outcome(False)  # already triggered: not again


def test_rules_are_off_unless_configured() -> None:
    engine = engine_with("policies: []\n")
    assert not engine.record_pnl(-1e9)
    assert not any(engine.record_order_outcome(False) for _ in range(100))
    assert not engine.kill_switch_active


def test_reset_rebases_the_rules() -> None:
    engine = engine_with()
    assert engine.record_pnl(-100.0, now_ms=T0)
    engine.reset_kill_switch()
    # Counted from -100 now: another 99 is fine, not an immediate re-trigger.
    assert not engine.record_pnl(-199.0, now_ms=T0 + 1)
    assert engine.record_pnl(-200.0, now_ms=T0 + 2)


def test_kill_state_survives_a_reload() -> None:
    engine = engine_with()
    engine.record_order_outcome(False)
    engine.record_order_outcome(False)
    engine.replace_policies(RiskEngine(parse_policies_yaml(RULES)).policies)
    assert engine.record_order_outcome(False)  # the count carried over


def test_restart_restores_a_triggered_switch(tmp_path: Path) -> None:
    state_file = tmp_path / "kill.json"
    first = engine_with()
    assert load_kill_state(state_file) == KillState()  # no file yet: not triggered
    if first.record_pnl(-120.0, now_ms=T0 + 5):
        save_kill_state(state_file, first.kill_state)
    # "Restart": a new engine from the same policies and the same state file.
    second = RiskEngine(parse_policies_yaml(RULES), kill_state=load_kill_state(state_file))
    assert second.kill_state == KillState(
        True, "daily loss $120.00 reached max_daily_loss_usd $100.00", T0 + 5
    )
    assert not second.evaluate(ctx()).allowed
    second.reset_kill_switch()
    save_kill_state(state_file, second.kill_state)
    third = RiskEngine(parse_policies_yaml(RULES), kill_state=load_kill_state(state_file))
    assert third.evaluate(ctx()).allowed
    assert json.loads(state_file.read_text())["triggered"] is False
