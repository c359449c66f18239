"""Search spaces from the command line and from YAML files."""

from __future__ import annotations

from pathlib import Path

import pytest

from agbotkit.errors import ConfigError
from agbotkit.strategies.optimize.space import (
    Choice,
    FloatRange,
    IntRange,
    SearchSpace,
    parse_param,
)
from agbotkit.strategies.optimize.spacefile import load_space


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("1:10", IntRange("p", 1, 10)),
        ("0:10:2", IntRange("p", 0, 10, 2)),
        ("0.01:0.05", FloatRange("p", 0.01, 0.05)),
        ("0.01:0.05:0.01", FloatRange("p", 0.01, 0.05, 0.01)),
        ("1:100:log", IntRange("p", 1, 100, 1, log=True)),
        ("0.001:1:log", FloatRange("p", 0.001, 1.0, None, log=True)),
        ("a,b", Choice("p", ["a", "b"])),
        ("1,2.5,true", Choice("p", [1, 2.5, True])),
        ("7", Choice("p", [7])),
    ],
)
def test_specs_parse(text: str, spec: object) -> None:
    assert parse_param("p", text) == spec


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("spread=0.05:0.01", "params.spread: the range's high 0.01 is below its low 0.05"),
        ("spread=0.01:0.05:0", "params.spread: the step must be > 0"),
        ("spread=0:1:log", "params.spread: a log range must be above 0"),
        ("spread=a:b", "params.spread: expected a number, got 'a'"),
        ("spread=1:2:3:4", "params.spread: expected LOW:HIGH"),
        ("spread=", "params.spread: no values given"),
        ("spread", "expected NAME=SPEC, got 'spread'"),
    ],
)
def test_malformed_specs_name_the_parameter(arg: str, message: str) -> None:
    with pytest.raises(ConfigError, match="^--param: " + message.replace("(", r"\(")):
        SearchSpace.from_args([arg])


def test_a_parameter_given_twice_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"params\.x: given more than once"):
        SearchSpace.from_args(["x=1:2", "x=3"])


def test_grid_values() -> None:
    space = SearchSpace.from_args(["x=0.1:0.3:0.1", "n=1:3", "m=a,b", "y=0.0:1", "z=1:100:log"])
    grid = space.grid(points=3)
    assert grid == {
        "x": [0.1, 0.2, 0.3],
        "n": [1, 2, 3],
        "m": ["a", "b"],
        "y": [0.0, 0.5, 1.0],
        "z": [1, 2, 3, *range(4, 101)],
    }
    assert SearchSpace.from_args(["x=0.1:0.3:0.1", "n=1:3", "m=a,b"]).grid_size() == 18
    assert FloatRange("w", 1.0, 100.0, log=True).grid(3) == [1.0, 10.0, 100.0]


def test_yaml_space(tmp_path: Path) -> None:
    path = tmp_path / "space.yaml"
    path.write_text(
        "params:\n"
        "  spread: {low: 0.01, high: 0.05, step: 0.01}\n"
        "  levels: {low: 1, high: 5}\n"
        "  alpha: {low: 0.001, high: 1.0, log: true}\n"
        "  mode: {choices: [fast, slow]}\n"
        "  sides: [1, 2]\n"
        "  size: 10\n"
        "  skew: '0.0:1.0:0.25'\n"
    )
    assert load_space(path) == SearchSpace(
        [
            FloatRange("spread", 0.01, 0.05, 0.01),
            IntRange("levels", 1, 5),
            FloatRange("alpha", 0.001, 1.0, log=True),
            Choice("mode", ["fast", "slow"]),
            Choice("sides", [1, 2]),
            Choice("size", [10]),
            FloatRange("skew", 0.0, 1.0, 0.25),
        ]
    )


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("  spread: {low: 0.05, high: 0.01}\n", 2, "params.spread: the range's high"),
        ("  spread: {low: 1, top: 2}\n", 2, "params.spread: expected {low, high"),
        ("  spread: {low: x, high: 2}\n", 2, "params.spread: low, high and step must be numbers"),
        ("  spread: {choices: []}\n", 2, "params.spread: choices: expected a non-empty list"),
    ],
)
def test_yaml_errors_give_file_line_and_parameter(
    tmp_path: Path, body: str, line: int, message: str
) -> None:
    path = tmp_path / "space.yaml"
    path.write_text("params:\n" + body)
    with pytest.raises(ConfigError) as caught:
        load_space(path)
    assert str(caught.value).startswith(f"{path}:{line}: {message}")


def test_yaml_without_params_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "space.yaml"
    path.write_text("spread: 1\n")
    with pytest.raises(ConfigError, match="expected a mapping with a 'params' mapping"):
        load_space(path)
