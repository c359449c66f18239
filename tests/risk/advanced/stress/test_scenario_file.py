"""Scenario files: valid ones become scenarios; every mistake names file, line and field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agbotkit.config.document import YamlDocument
from agbotkit.errors import ConfigError
from agbotkit.risk.advanced.stress.engine import stress_test
from agbotkit.risk.advanced.stress.positions import StressPortfolio, StressPosition
from agbotkit.risk.advanced.stress.scenario_file import parse_scenarios, parse_scenarios_yaml
from agbotkit.risk.advanced.stress.scenarios import (
    LiquidityShock,
    PriceShock,
    ReferenceShock,
    Resolution,
    Scenario,
)

DOC = Path(__file__).parents[4] / "docs" / "risk" / "STRESS_TESTING.md"

GOOD = """\
scenarios:
  - name: btc_winter
    description: BTC -35 %, ETH -45 %
    reference:
      move: -0.35
      per_symbol: {ETH: -0.45}
      volatility: 0.8
      unlinked_logit: -0.5
    price_shocks:
      - market: "fed-*"
        logit: -1
      - token: t1
        set_price: 0.1
    resolutions:
      - market: m1
        winner: "yes"
    liquidity:
      spread_factor: 3
  - name: worst
    resolve_against_us: true
"""


def test_a_valid_file_gives_scenario_values() -> None:
    winter, worst = parse_scenarios_yaml(GOOD, "stress.yaml")
    assert winter == Scenario(
        name="btc_winter",
        description="BTC -35 %, ETH -45 %",
        reference=ReferenceShock(
            move=-0.35, per_symbol={"ETH": -0.45}, volatility=0.8, unlinked_logit=-0.5
        ),
        price_shocks=(
            PriceShock(market="fed-*", logit=-1.0),
            PriceShock(token="t1", set_price=0.1),
        ),
        resolutions=(Resolution(market="m1", winner="yes"),),
        liquidity=LiquidityShock(spread_factor=3.0),
    )
    assert worst == Scenario(name="worst", resolve_against_us=True)


def test_the_example_in_the_docs_parses_and_runs() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    files = [block for block in blocks if block.startswith("scenarios:")]
    assert files, "STRESS_TESTING.md shows a scenario file"
    portfolio = StressPortfolio([StressPosition("t", "fed-cut", 10, 0.5, bid=0.45, ask=0.55)])
    for text in files:
        for scenario in parse_scenarios_yaml(text, "STRESS_TESTING.md"):
            assert stress_test(portfolio, scenario).scenario == scenario.name


def test_a_file_read_by_the_config_layer(tmp_path: Path) -> None:
    path = tmp_path / "stress.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert len(parse_scenarios(YamlDocument.from_file(path))) == 2


BAD = """\
scenarios:
  - name: thin
    liquidity:
      depth_factor: 2
      spread: 3
  - name: thin
  - name: shocks
    price_shocks:
      - market: x
        token: y
        change: 0.1
        logit: 1
      - event: e
  - description: no name
    resolutions:
      - market: m
        winner: maybe
    reference:
      move: -1.5
      per_symbol: {ETH: -2}
      volatility: high
"""


def test_every_mistake_is_reported_with_file_line_and_field() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_scenarios_yaml(BAD, "stress.yaml")
    assert str(caught.value).splitlines() == [
        "stress.yaml:4: scenarios[0].liquidity.depth_factor: "
        "expected a value between 0.0 and 1.0, got 2.0",
        "stress.yaml:5: scenarios[0].liquidity.spread: "
        "unknown field 'spread' (allowed: depth_factor, depth_haircut, spread_factor)",
        "stress.yaml:6: scenarios[1].name: scenario 'thin' is defined twice (first at line 2)",
        "stress.yaml:9: scenarios[2].price_shocks[0].market: "
        "give exactly one selector of token, market, event (got token, market)",
        "stress.yaml:12: scenarios[2].price_shocks[0].logit: "
        "give exactly one move of set_price, change, logit (got change, logit)",
        "stress.yaml:13: scenarios[2].price_shocks[1].set_price: "
        "give exactly one move of set_price, change, logit (got none)",
        "stress.yaml:14: scenarios[3].name: required field is missing",
        "stress.yaml:17: scenarios[3].resolutions[0].winner: "
        "expected one of 'yes', 'no', got 'maybe'",
        "stress.yaml:19: scenarios[3].reference.move: expected a value > -1.0, got -1.5",
        "stress.yaml:20: scenarios[3].reference.per_symbol: "
        "expected moves > -1 (a price stays positive), got ETH: -2.0",
        "stress.yaml:21: scenarios[3].reference.volatility: expected a number, got 'high'",
    ]
    assert caught.value.path == "scenarios[0].liquidity.depth_factor"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("scenarios: []\n", "f.yaml:1: scenarios: expected a non-empty list of scenarios"),
        ("- name: x\n", "f.yaml:1: a scenario file must be a mapping with 'scenarios:'"),
        (
            "scenarios:\n  - name: x\nextra: 1\n",
            "f.yaml:3: extra: unknown section (allowed: scenarios)",
        ),
        ("scenarios:\n  - name: [x\n", "f.yaml:3: YAML syntax error"),
        (
            "scenarios:\n  - name: x\n    description: ${WHO}\n",
            "f.yaml:3: scenarios[0].description: environment variable 'WHO' is not set",
        ),
        (
            "scenarios:\n  - name: x\n    price_shocks:\n      - token: t\n        logit: .nan\n",
            "f.yaml:5: scenarios[0].price_shocks[0].logit: expected a number, got NaN",
        ),
    ],
)
def test_file_level_mistakes(text: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(expected)):
        parse_scenarios_yaml(text, "f.yaml")


def test_environment_references_come_from_the_caller() -> None:
    text = "scenarios:\n  - name: ${NAME}\n"
    (scenario,) = parse_scenarios_yaml(text, environ={"NAME": "from_env"})
    assert scenario.name == "from_env"


def test_values_built_in_python_are_checked_too() -> None:
    with pytest.raises(
        ValueError, match=re.escape("depth_haircut: expected a value between 0.0 and 1.0")
    ):
        LiquidityShock(depth_haircut=1.5)
    with pytest.raises(ValueError, match="give exactly one selector"):
        PriceShock(set_price=0.5)
    with pytest.raises(ValueError, match="logit: expected a finite number, got inf"):
        PriceShock(token="t", logit=float("inf"))
    with pytest.raises(ValueError, match="name: expected a non-empty value"):
        Scenario(name="")
