"""KillSwitchKeeper: commands, outcomes, PnL and the state file, driven directly."""

from __future__ import annotations

import logging
from pathlib import Path

import attrs
import pytest

from agbotkit.abc import ComponentContext
from agbotkit.model.orders import OrderAccepted, OrderRejected
from agbotkit.model.risk import KillState, KillSwitchChanged, KillSwitchCommand
from agbotkit.risk.engine import RiskEngine
from agbotkit.risk.keeper import METRIC_KILL_SWITCH, KillSwitchKeeper
from agbotkit.risk.killstate import load_kill_state, save_kill_state
from agbotkit.risk.loading import parse_policies_yaml
from agbotkit.risk.watch import KillStateFile
from agbotkit.topics import RISK_STATE

from .conftest import T0, Published

RULES = """
policies:
  - type: KillSwitch
    max_drawdown_usd: 30
    max_consecutive_rejections: 2
"""


class Keeping:
    """A keeper with its engine, state file and a PnL the test sets."""

    def __init__(self, context: ComponentContext, state_path: Path) -> None:
        self.engine = RiskEngine(parse_policies_yaml(RULES), clock=context.now_ms)
        self.state_file = KillStateFile(state_path)
        self.engine.restore_kill_state(self.state_file.load())
        self.pnl: float | None = None
        self.keeper = KillSwitchKeeper(
            self.engine, self.state_file, context, pnl=self.take_pnl, retry_interval_s=1.0
        )

    def take_pnl(self) -> float | None:
        pnl, self.pnl = self.pnl, None
        return pnl


@pytest.fixture
def keeping(context: ComponentContext, tmp_path: Path) -> Keeping:
    return Keeping(context, tmp_path / "risk-state.json")


def changed(active: bool, reason: str, since_ms: int | None, source: str) -> KillSwitchChanged:
    return KillSwitchChanged(active, reason, since_ms, source, component="risk", timestamp_ms=T0)


def test_a_trigger_command_is_saved_published_and_counted(
    keeping: Keeping, published: Published
) -> None:
    published.listen(RISK_STATE)
    keeping.keeper.command(KillSwitchCommand("trigger", "desk halt", "dashboard"))
    reason = "manual (dashboard): desk halt"
    assert keeping.engine.kill_switch_active
    assert load_kill_state(keeping.state_file.path) == KillState(True, reason, T0)
    assert published.take(RISK_STATE) == [changed(True, reason, T0, "dashboard")]
    assert published.bus.retained(RISK_STATE) == [changed(True, reason, T0, "dashboard")]
    assert published.samples(METRIC_KILL_SWITCH) == [1.0]
    # Again: nothing changes, nothing is published.
    keeping.keeper.command(KillSwitchCommand("trigger", "again"))
    assert published.take(RISK_STATE) == []
    keeping.keeper.command(KillSwitchCommand("reset"))
    assert published.take(RISK_STATE) == [changed(False, "", None, "api")]
    assert load_kill_state(keeping.state_file.path) == KillState()


def test_a_command_with_an_id_is_answered_with_it_even_when_nothing_changes(
    keeping: Keeping, published: Published
) -> None:
    published.listen(RISK_STATE)
    keeping.keeper.command(KillSwitchCommand("trigger", "halt", "ops", command_id="c1"))
    reason = "manual (ops): halt"
    first = attrs.evolve(changed(True, reason, T0, "ops"), command_id="c1")
    assert published.take(RISK_STATE) == [first]
    # Already triggered: the state is the same, but the sender hears back under its id.
    keeping.keeper.command(KillSwitchCommand("trigger", "again", "ops", command_id="c2"))
    assert published.take(RISK_STATE) == [attrs.evolve(first, command_id="c2")]
    # A command addressed elsewhere is not answered by this component.
    keeping.keeper.command(KillSwitchCommand("reset", component="other", command_id="c3"))
    assert published.take(RISK_STATE) == []


def test_a_command_for_another_component_is_not_ours(
    keeping: Keeping, published: Published
) -> None:
    keeping.keeper.command(KillSwitchCommand("trigger", component="other"))
    assert not keeping.engine.kill_switch_active
    assert published.metrics() == []


def test_rejections_in_a_row_trigger(keeping: Keeping, published: Published) -> None:
    published.listen(RISK_STATE)
    keeping.keeper.record_outcome(OrderRejected(reason="no balance"))
    keeping.keeper.record_outcome(OrderAccepted())  # the count starts again
    keeping.keeper.record_outcome(OrderRejected(reason="no balance"))
    assert published.take(RISK_STATE) == []
    keeping.keeper.record_outcome(OrderRejected(reason="no balance"))
    [event] = published.take(RISK_STATE)
    assert (event.active, event.source) == (True, "auto")
    assert "2 consecutive rejected" in event.reason


def test_the_loss_rules_are_fed_the_pnl_when_it_changed(
    keeping: Keeping, published: Published
) -> None:
    published.listen(RISK_STATE)
    keeping.keeper.feed_pnl()  # unchanged: nothing to feed
    keeping.pnl = 8.0
    keeping.keeper.feed_pnl()
    keeping.pnl = -22.0  # 30 below the high-water mark of 8
    keeping.keeper.feed_pnl()
    [event] = published.take(RISK_STATE)
    assert (event.active, event.source) == (True, "auto")
    assert event.reason.startswith("drawdown $30.00 from the high-water mark $8.00")


def test_someone_elses_write_to_the_state_file_is_adopted(
    keeping: Keeping, published: Published
) -> None:
    published.listen(RISK_STATE)
    keeping.keeper.poll_state_file()  # nothing written: nothing to adopt
    save_kill_state(keeping.state_file.path, KillState(True, "manual (cli)", T0 - 5))
    keeping.keeper.poll_state_file()
    assert published.take(RISK_STATE) == [changed(True, "manual (cli)", T0 - 5, "state-file")]
    save_kill_state(keeping.state_file.path, KillState())
    keeping.keeper.poll_state_file()
    assert published.take(RISK_STATE) == [changed(False, "", None, "state-file")]


def test_a_failed_save_is_retried_on_every_tick(
    context: ComponentContext, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "state"
    keeping = Keeping(context, folder / "risk-state.json")
    folder.write_text("")  # a file where the folder should be: saving fails
    with caplog.at_level(logging.ERROR):
        keeping.keeper.command(KillSwitchCommand("trigger", "halt"))
    assert "cannot save the kill state" in caplog.text
    assert "retrying every 1 s" in caplog.text
    assert keeping.engine.kill_switch_active  # the switch is on all the same
    folder.unlink()
    keeping.keeper.tick()
    assert load_kill_state(folder / "risk-state.json").reason == "manual (api): halt"


def test_a_tick_publishes_the_gauge(keeping: Keeping, published: Published) -> None:
    keeping.keeper.tick()
    keeping.keeper.sync("startup")
    keeping.keeper.sync("startup")  # published once: nothing changed
    assert published.samples(METRIC_KILL_SWITCH) == [0.0, 0.0]
    assert published.bus.retained(RISK_STATE) == [changed(False, "", None, "startup")]
