"""PolicyReloader: a valid file is put in force, an invalid one refused (no event loop)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from agbotkit.abc import ComponentContext
from agbotkit.model.metrics import MetricType
from agbotkit.model.risk import RiskContext
from agbotkit.risk.keeper import KillSwitchKeeper
from agbotkit.risk.loading import engine_from_file
from agbotkit.risk.reloader import METRIC_POLICY_RELOADS, PolicyReloader
from agbotkit.risk.watch import FileChanges, KillStateFile
from agbotkit.topics import RISK_STATE

from .conftest import Published

POLICIES = "policies:\n  - type: PositionLimit\n    max_size: {limit}\n"


class Reloading:
    def __init__(self, context: ComponentContext, folder: Path) -> None:
        self.path = folder / "policies.yaml"
        self.path.write_text(POLICIES.format(limit=100))
        changes = FileChanges(self.path)
        self.engine = engine_from_file(self.path)
        kill_file = KillStateFile(folder / "risk-state.json")
        keeper = KillSwitchKeeper(
            self.engine, kill_file, context, pnl=lambda: None, retry_interval_s=1.0
        )
        self.reloader = PolicyReloader(self.engine, self.path, changes, keeper, context)

    def allows(self, size: float) -> bool:
        context = RiskContext(market_id="m", current_position=0, proposed_size=size)
        return self.engine.evaluate(context).allowed


@pytest.fixture
def reloading(context: ComponentContext, tmp_path: Path) -> Reloading:
    return Reloading(context, tmp_path)


def counts(published: Published) -> list[tuple[str, float]]:
    return [
        (m.labels_dict["outcome"], m.value)
        for m in published.metrics()
        if m.name == METRIC_POLICY_RELOADS and m.metric_type is MetricType.COUNTER
    ]


def test_a_changed_file_is_reloaded_once(reloading: Reloading, published: Published) -> None:
    reloading.reloader.poll()  # unchanged: nothing happens
    assert counts(published) == []
    reloading.path.write_text(POLICIES.format(limit=5))
    reloading.reloader.poll()
    reloading.reloader.poll()
    assert counts(published) == [("ok", 1.0)]
    assert not reloading.allows(10)


def test_an_invalid_file_is_refused_and_the_policies_stay(
    reloading: Reloading, published: Published, caplog: pytest.LogCaptureFixture
) -> None:
    reloading.path.write_text(POLICIES.format(limit=-5))
    with caplog.at_level(logging.ERROR):
        assert not reloading.reloader.reload("SIGHUP")
    assert "policies.yaml:3: policies[0].max_size: expected a value >= 0" in caplog.text
    assert "refused (SIGHUP); the policies in force stay" in caplog.text
    assert reloading.allows(10)
    reloading.path.write_text(POLICIES.format(limit=5))
    assert reloading.reloader.reload("SIGHUP")
    assert counts(published) == [("refused", 1.0), ("ok", 1.0)]


def test_a_reload_that_enables_the_kill_switch_publishes_it(
    reloading: Reloading, published: Published
) -> None:
    published.listen(RISK_STATE)
    reloading.path.write_text(
        POLICIES.format(limit=100) + "  - type: KillSwitch\n    enabled: true\n"
    )
    assert reloading.reloader.reload("the file changed")
    [event] = published.take(RISK_STATE)
    assert (event.active, event.reason, event.source) == (
        True,
        "enabled in the policy file",
        "policy-file",
    )
