"""Policy files: presets validate; every mistake names file, line and field path."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from agbotkit.errors import ConfigError
from agbotkit.model.risk import RiskContext
from agbotkit.plugins import PluginRegistry
from agbotkit.risk.engine import RiskEngine
from agbotkit.risk.loading import (
    engine_from_file,
    load_policy_file,
    parse_policies_json,
    parse_policies_yaml,
)

PRESETS = sorted((Path(__file__).parents[2] / "policies").glob("*.yaml"))
BUILT_IN = {
    "GreeksLimit",
    "InventoryLimit",
    "KillSwitch",
    "MaxOrderSize",
    "NoTradeBeforeResolution",
    "PositionLimit",
    "PriceBand",
    "VarLimit",
}
# Every installed policy is listed in the message, third-party ones (the example plugin's
# TradingHours) included.
INSTALLED = ", ".join(PluginRegistry().names("agbotkit.risk_policies"))


def test_every_built_in_policy_is_installed() -> None:
    assert set(INSTALLED.split(", ")) >= BUILT_IN


def test_presets_exist() -> None:
    assert {p.name for p in PRESETS} >= {"seed.yaml", "conservative.yaml", "desk.yaml"}


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.name)
def test_every_preset_validates(path: Path) -> None:
    engine = engine_from_file(path)
    assert engine.policies
    assert not engine.kill_switch_active


def test_seed_preset_has_the_three_seed_policies() -> None:
    names = [p.name for p in load_policy_file(PRESETS[0].parent / "seed.yaml")]
    assert names == ["PositionLimit", "InventoryLimit", "KillSwitch"]


SEED_FILE = """\
policies:
  - type: PositionLimit
    max_size: 1000
  - type: InventoryLimit
    max_value_usd: 5000
  - type: KillSwitch
    enabled: false
"""


def test_the_seed_designs_file_loads_unchanged_and_means_what_it_says() -> None:
    engine = RiskEngine(parse_policies_yaml(SEED_FILE))
    position, inventory, _ = engine.policies
    assert position.config.max_size == 1000
    assert inventory.config.max_value_usd == 5000
    # 1,000 shares is the position limit: one more is denied, naming the seed's field.
    order = RiskContext(market_id="m", current_position=0, proposed_size=1001, price=0.001)
    assert engine.evaluate(order).reasons == (
        "PositionLimit: position 1001 would exceed max_size 1000",
    )
    at_limit = RiskContext(market_id="m", current_position=0, proposed_size=1000, price=0.001)
    assert engine.evaluate(at_limit).allowed
    # 5,000 USD is the inventory limit: an order that would take it above is denied.
    rich = RiskContext(
        market_id="m", current_position=0, proposed_size=100, inventory_value_usd=4990, price=0.5
    )
    assert engine.evaluate(rich).reasons == (
        "InventoryLimit: inventory $5,040.00 would exceed max_value_usd $5,000.00",
    )


@pytest.mark.parametrize(
    ("policy", "alias", "field", "value"),
    [
        ("PositionLimit", "max_position", "max_size", 250),
        ("InventoryLimit", "max_inventory_usd", "max_value_usd", 75),
    ],
)
def test_the_newer_names_are_aliases(policy: str, alias: str, field: str, value: int) -> None:
    by_alias = parse_policies_yaml(f"policies:\n  - type: {policy}\n    {alias}: {value}\n")
    by_field = parse_policies_yaml(f"policies:\n  - type: {policy}\n    {field}: {value}\n")
    assert by_alias[0].config == by_field[0].config
    assert getattr(by_alias[0].config, field) == value


@pytest.mark.parametrize(
    ("policy", "alias", "field"),
    [
        ("PositionLimit", "max_position", "max_size"),
        ("InventoryLimit", "max_inventory_usd", "max_value_usd"),
    ],
)
def test_a_file_that_sets_a_field_and_its_alias_is_refused(
    tmp_path: Path, policy: str, alias: str, field: str
) -> None:
    path = tmp_path / "both.yaml"
    path.write_text(f"policies:\n  - type: {policy}\n    {field}: 10\n    {alias}: 20\n")
    with pytest.raises(ConfigError) as caught:
        load_policy_file(path)
    assert str(caught.value.issues[0]) == (
        f"{path}:4: policies[0].{alias}: {alias} is another name for {field}: "
        "give one of them, not both"
    )


def test_an_error_under_an_alias_names_the_alias_and_its_line(tmp_path: Path) -> None:
    path = tmp_path / "alias.yaml"
    path.write_text("policies:\n  - type: PositionLimit\n    max_position: -5\n")
    with pytest.raises(ConfigError) as caught:
        load_policy_file(path)
    (issue,) = caught.value.issues
    assert issue.line == 3
    assert issue.path == "policies[0].max_position"
    assert "expected a value >= 0" in issue.message


def test_desk_preset_has_all_six_per_order_kinds() -> None:
    # VarLimit and GreeksLimit judge the portfolio: their preset is portfolio-risk.yaml.
    names = {p.name for p in load_policy_file(PRESETS[0].parent / "desk.yaml")}
    assert names == BUILT_IN - {"VarLimit", "GreeksLimit"}


def test_portfolio_risk_preset_adds_var_and_greeks_to_the_seed() -> None:
    folder = PRESETS[0].parent
    seed = {p.name for p in load_policy_file(folder / "seed.yaml")}
    names = {p.name for p in load_policy_file(folder / "portfolio-risk.yaml")}
    assert names == seed | {"VarLimit", "GreeksLimit"}


TRAILING_COMMA = """\
{"policies": [
  {"type": "InventoryLimit", "max_value_usd": 10},
]}
"""


def _json_syntax_error(text: str) -> str:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"policies.json:{exc.lineno}: JSON syntax error: {exc.msg} (column {exc.colno})"
    raise AssertionError("the text is valid JSON")


BAD_YAML = [
    pytest.param(
        """\
        policies:
          - type: PositionLimit
            max_size: 100
          - type: InventoryLimit
            max_value_usd: 500
          - type: PositionLimit
            market_id: "0xabc"
            max_size: -5
        """,
        ["policies.yaml:8: policies[2].max_size: expected a value >= 0, got -5.0"],
        id="negative-limit",
    ),
    pytest.param(
        """\
        policies:
          - type: PositionLimitt
            max_size: 1
        """,
        [
            "policies.yaml:2: policies[0].type: unknown policy type 'PositionLimitt' "
            f"(installed policies: {INSTALLED})"
        ],
        id="unknown-type-lists-installed",
    ),
    pytest.param(
        """\
        policies:
          - type: InventoryLimit
        """,
        ["policies.yaml:2: policies[0].max_value_usd: required field is missing"],
        id="missing-field",
    ),
    pytest.param(
        """\
        policies:
          - max_size: 5
        """,
        [
            "policies.yaml:2: policies[0].type: required field is missing "
            f"(installed policies: {INSTALLED})"
        ],
        id="missing-type",
    ),
    pytest.param(
        """\
        policies:
          - type: InventoryLimit
            max_value_usd: "lots"
        """,
        ["policies.yaml:3: policies[0].max_value_usd: expected a number, got 'lots'"],
        id="wrong-type-string",
    ),
    pytest.param(
        """\
        policies:
          - type: KillSwitch
            enabled: yes please
        """,
        ["policies.yaml:3: policies[0].enabled: expected true or false, got 'yes please'"],
        id="wrong-type-bool",
    ),
    pytest.param(
        """\
        policies:
          - type: KillSwitch
            max_consecutive_rejections: 2.5
        """,
        ["policies.yaml:3: policies[0].max_consecutive_rejections: expected an integer, got 2.5"],
        id="wrong-type-int",
    ),
    pytest.param(
        """\
        policies:
          - type: PositionLimit
            max_size: 100
          - type: PositionLimit
            max_size: 200
        """,
        [
            "policies.yaml:4: policies[1]: duplicate PositionLimit for every market (global) "
            "(first at line 2)"
        ],
        id="duplicate-global",
    ),
    pytest.param(
        """\
        policies:
          - type: PositionLimit
            market_id: m1
            max_size: 100
          - type: PositionLimit
            market_id: m2
            max_size: 100
          - type: PositionLimit
            market_id: m1
            max_size: 50
        """,
        ["policies.yaml:8: policies[2]: duplicate PositionLimit for market m1 (first at line 2)"],
        id="duplicate-per-market",
    ),
    pytest.param(
        """\
        policies:
          - type: PositionLimit
            max_size: 100
            max_postion: 50
        """,
        [
            "policies.yaml:4: policies[0].max_postion: unknown field 'max_postion' "
            "(allowed: market_id, max_size, token_id)"
        ],
        id="unknown-key",
    ),
    pytest.param(
        """\
        policies:
          - type: PositionLimit
            max_size: 100
           market_id: m1
        """,
        [
            "policies.yaml:4: YAML syntax error: "
            "expected <block end>, but found '<block mapping start>'"
        ],
        id="yaml-syntax",
    ),
    pytest.param(
        """\
        policy:
          - type: PositionLimit
            max_size: 100
        """,
        [
            "policies.yaml:1: policy: unknown section (allowed: policies)",
            "policies.yaml:1: policies: expected a list of policies, each with 'type:'",
        ],
        id="unknown-section",
    ),
    pytest.param(
        """\
        policies:
          - type: PriceBand
            max_distance: 1.5
          - type: MaxOrderSize
            market_id: m1
          - type: NoTradeBeforeResolution
            window_s: -60
          - type: KillSwitch
            day_start_utc_hour: 24
        """,
        [
            "policies.yaml:3: policies[0].max_distance: expected a value between 0 and 1, got 1.5",
            "policies.yaml:4: policies[1].max_size: give max_size, max_notional_usd or both",
            "policies.yaml:7: policies[2].window_s: expected a value >= 0, got -60.0",
            "policies.yaml:9: policies[3].day_start_utc_hour: expected a value between 0 and 23, "
            "got 24",
        ],
        id="every-problem-listed",
    ),
    pytest.param(
        """\
        policies:
          - type: PositionLimit
            market_id: m1
            token_id: t1
            max_size: 1
          - type: PositionLimit
            market_id: ""
            max_size: 1
        """,
        [
            "policies.yaml:4: policies[0].token_id: give market_id or token_id, not both",
            "policies.yaml:7: policies[1].market_id: expected a non-empty value, got ''",
        ],
        id="bad-scope",
    ),
    pytest.param(
        """\
        policies:
          - PositionLimit
        """,
        ["policies.yaml:2: policies[0]: expected a mapping with at least 'type:'"],
        id="entry-not-a-mapping",
    ),
    pytest.param(
        """\
        policies:
          - type: KillSwitch
            max_daily_loss_usd: 0
        """,
        ["policies.yaml:3: policies[0].max_daily_loss_usd: expected a value > 0, got 0.0"],
        id="zero-loss-limit",
    ),
]


@pytest.mark.parametrize(("text", "messages"), BAD_YAML)
def test_bad_yaml(tmp_path: Path, text: str, messages: list[str]) -> None:
    path = tmp_path / "policies.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        engine_from_file(path)
    assert str(caught.value) == "\n".join(f"{path.parent}/{m}" for m in messages)
    with pytest.raises(ConfigError) as again:
        RiskEngine(parse_policies_yaml(textwrap.dedent(text), file="policies.yaml"))
    assert [str(issue) for issue in again.value.issues] == messages


BAD_JSON = [
    pytest.param(
        """\
        {
          "policies": [
            {"type": "PositionLimit", "max_size": 100},
            {"type": "PositionLimit", "market_id": "m1",
             "max_size": -5}
          ]
        }
        """,
        ["policies.json:5: policies[1].max_size: expected a value >= 0, got -5.0"],
        id="json-negative-limit",
    ),
    pytest.param(
        """\
        {"policies": [
          {"type": "Nope"}
        ]}
        """,
        [
            "policies.json:2: policies[0].type: unknown policy type 'Nope' "
            f"(installed policies: {INSTALLED})"
        ],
        id="json-unknown-type",
    ),
    pytest.param(
        """\
        {"policies": [
          {"type": "InventoryLimit", "max_value_usd": 10},
          {"type": "InventoryLimit", "max_value_usd": 20}
        ]}
        """,
        [
            "policies.json:3: policies[1]: duplicate InventoryLimit for every market (global) "
            "(first at line 2)"
        ],
        id="json-duplicate",
    ),
    pytest.param(
        """\
        {"policies": [
          {"type": "PositionLimit", "max_size": "100"}
        ]}
        """,
        ["policies.json:2: policies[0].max_size: expected a number, got '100'"],
        id="json-wrong-type",
    ),
    pytest.param(
        """\
        {"policies": [
          {"type": "KillSwitch", "enabled": false, "colour": "red"}
        ]}
        """,
        [
            "policies.json:2: policies[0].colour: unknown field 'colour' (allowed: allow_reducing, "
            "day_start_utc_hour, enabled, max_consecutive_rejections, max_daily_loss_usd, "
            "max_drawdown_usd)"
        ],
        id="json-unknown-key",
    ),
    pytest.param(
        TRAILING_COMMA,
        # Python's own message and position (3.13 words and places it differently).
        [_json_syntax_error(TRAILING_COMMA)],
        id="json-trailing-comma",
    ),
    pytest.param(
        """\
        {"policies": [
        \t{"type": "InventoryLimit"}
        ]}
        """,
        ["policies.json:2: policies[0].max_value_usd: required field is missing"],
        id="json-tabs-missing-field",
    ),
]


@pytest.mark.parametrize(("text", "messages"), BAD_JSON)
def test_bad_json(tmp_path: Path, text: str, messages: list[str]) -> None:
    path = tmp_path / "policies.json"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        engine_from_file(path)
    assert str(caught.value) == "\n".join(f"{path.parent}/{m}" for m in messages)
    with pytest.raises(ConfigError) as again:
        RiskEngine(parse_policies_json(textwrap.dedent(text), file="policies.json"))
    assert [str(issue) for issue in again.value.issues] == messages


def test_json_file_matches_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(
        '{"policies": [{"type": "PositionLimit", "max_size": 10},'
        ' {"type": "KillSwitch", "allow_reducing": true}]}'
    )
    engine = engine_from_file(path)
    assert [p.name for p in engine.policies] == ["PositionLimit", "KillSwitch"]


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing.yaml: cannot read: No such file"):
        engine_from_file(tmp_path / "missing.yaml")


def test_not_a_mapping() -> None:
    with pytest.raises(ConfigError, match=r"<string>:1: a policy file must be a mapping"):
        RiskEngine(parse_policies_yaml("- type: PositionLimit\n"))


def test_environment_references(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("policies:\n  - type: PositionLimit\n    max_size: ${MAX_POS:-7}\n")
    engine = engine_from_file(path, environ={"MAX_POS": "12"})
    assert engine.policies[1].config.max_size == 12.0
