"""The example plugin's policy, loaded by ``type:`` through real entry points."""

from __future__ import annotations

import pytest

from agbotkit.errors import ConfigError
from agbotkit.model.risk import RiskContext
from agbotkit.risk.engine import RiskEngine
from agbotkit.risk.loading import parse_policies_yaml

POLICIES = """\
policies:
  - type: TradingHours
    start_hour_utc: 9
    end_hour_utc: 17
"""

NINE_AM = 1_764_000_000_000 - (1_764_000_000_000 % 86_400_000) + 9 * 3_600_000


def context(now_ms: int | None) -> RiskContext:
    return RiskContext(
        market_id="0xm", current_position=0, proposed_size=5, inventory_value_usd=0, now_ms=now_ms
    )


@pytest.mark.parametrize(
    ("offset_h", "allowed"), [(-0.01, False), (0, True), (7.99, True), (8, False)]
)
def test_allows_only_inside_the_window(offset_h: float, allowed: bool) -> None:
    engine = RiskEngine(parse_policies_yaml(POLICIES))
    decision = engine.evaluate(context(NINE_AM + int(offset_h * 3_600_000)))
    assert decision.allowed is allowed
    if not allowed:
        assert [v.policy for v in decision.violated_policies] == ["TradingHours"]


def test_fails_closed_without_a_time() -> None:
    decision = RiskEngine(parse_policies_yaml(POLICIES)).evaluate(context(None))
    assert not decision.allowed


def test_bad_window_is_a_config_error_with_file_line_and_field() -> None:
    with pytest.raises(ConfigError, match=r"policies\[0\]\.end_hour_utc: must be after"):
        RiskEngine(parse_policies_yaml(POLICIES.replace("17", "8")))
