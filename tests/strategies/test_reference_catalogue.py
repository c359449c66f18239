"""Every reference strategy is registered under its name, documented parameter by
parameter, and its docs page's example stack entry is valid."""

from __future__ import annotations

import io
import re
from importlib.metadata import entry_points
from pathlib import Path

import attrs
import pytest
from ruamel.yaml import YAML

from agbotkit.config.converter import structure_options
from agbotkit.strategies.api import Strategy

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["market_maker", "parity_arbitrage", "trend", "mean_reversion", "twap", "vwap"]


def registered() -> dict[str, type[Strategy[object]]]:
    return {ep.name: ep.load() for ep in entry_points(group="agbotkit.strategies")}


@pytest.mark.parametrize("name", NAMES)
def test_registered_under_its_name(name: str) -> None:
    cls = registered()[name]
    assert issubclass(cls, Strategy)
    assert cls.metadata().name == name
    assert cls.metadata().description
    assert attrs.has(cls.Config)


@pytest.mark.parametrize("name", NAMES)
def test_docs_page_lists_every_parameter_and_a_valid_example(name: str) -> None:
    cls = registered()[name]
    page = (ROOT / "docs" / "strategies" / f"{name}.md").read_text()
    documented = set(re.findall(r"^\| `(\w+)` \|", page, flags=re.MULTILINE))
    assert documented == {field.name for field in attrs.fields(cls.Config)}
    [block] = re.findall(r"```yaml\n(.*?)```", page, flags=re.DOTALL)
    [entry] = YAML(typ="safe").load(io.StringIO(block))["components"].values()
    assert (entry["kind"], entry["strategy"]) == ("strategy", name)
    config, problems = structure_options(cls.Config, entry["params"], base_dir=ROOT)
    assert problems == []
    assert config is not None


@pytest.mark.parametrize(
    ("name", "params", "field"),
    [
        ("market_maker", {"size": 0}, "size"),
        ("market_maker", {"half_spread": 0.7}, "half_spread"),
        ("parity_arbitrage", {"leg_order_type": "GTC"}, "leg_order_type"),
        ("trend", {"fast": 0}, "fast"),
        ("mean_reversion", {"period": 1}, "period"),
        ("twap", {"token_id": "t", "side": "HOLD", "total_size": 1, "limit_price": 0.5}, "side"),
        (
            "vwap",
            {
                "token_id": "t",
                "side": "BUY",
                "total_size": 1,
                "limit_price": 0.5,
                "slices": 2,
                "profile": [1],
            },
            "profile",
        ),
    ],
)
def test_configs_are_validated(name: str, params: dict[str, object], field: str) -> None:
    config, problems = structure_options(registered()[name].Config, params, base_dir=ROOT)
    assert config is None
    assert [path for path, _ in problems] == [(field,)]
