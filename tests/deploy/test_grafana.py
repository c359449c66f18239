"""The Grafana dashboards (infra/monitoring/grafana/dashboards/*.json): valid JSON of the
expected shape, every query valid PromQL that reads only metrics agbotkit exports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from .catalogue import ROOT, exported_series, load_catalogue, metric_names, promql

DASHBOARDS = ROOT / "infra" / "monitoring" / "grafana" / "dashboards"
EXPECTED = {
    "agbotkit-market-data",
    "agbotkit-risk",
    "agbotkit-execution",
    "agbotkit-strategies",
    "agbotkit-storage",
}
PANEL_TYPES = {"row", "timeseries", "stat"}
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
_LABEL_VALUES = re.compile(r"^label_values\((\w+), *(\w+)\)$")
#: Functions whose range argument must be a counter (or a summary's _sum/_count).
_COUNTER_FUNCTIONS = {"rate", "irate", "increase", "resets"}


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def dashboards() -> list[Path]:
    return sorted(DASHBOARDS.glob("*.json"))


def panels(document: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for panel in document["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


def queries(document: dict[str, Any]) -> list[str]:
    return [target["expr"] for panel in panels(document) for target in panel.get("targets", [])]


def test_the_five_dashboards_are_there() -> None:
    uids = {load(path)["uid"] for path in dashboards()}
    assert uids == EXPECTED


@pytest.mark.parametrize("path", dashboards(), ids=lambda path: path.name)
def test_dashboard_structure(path: Path) -> None:
    document = load(path)
    assert path.stem == document["uid"].removeprefix("agbotkit-")
    assert len(document["uid"]) <= 40  # Grafana's limit
    assert document["title"].startswith("agbotkit / ")
    assert isinstance(document["version"], int)
    assert document["version"] >= 1
    assert isinstance(document["schemaVersion"], int)
    assert "agbotkit" in document["tags"]
    variables = {variable["name"]: variable for variable in document["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    ids = [panel["id"] for panel in panels(document)]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    for panel in panels(document):
        assert panel["type"] in PANEL_TYPES, panel["title"]
        grid = panel["gridPos"]
        assert min(grid["w"], grid["h"]) > 0, panel["title"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["title"], panel
        assert panel["datasource"] == DATASOURCE, panel["title"]
        targets = panel["targets"]
        assert targets, f"{panel['title']} has no query"
        refs = [target["refId"] for target in targets]
        assert len(refs) == len(set(refs)), panel["title"]
        for target in targets:
            assert target["datasource"] == DATASOURCE, panel["title"]
            assert target["expr"].strip(), panel["title"]


@pytest.mark.parametrize("path", dashboards(), ids=lambda path: path.name)
def test_every_query_parses_and_reads_only_exported_metrics(path: Path) -> None:
    document = load(path)
    exported = exported_series()
    for expr in queries(document):
        unknown = metric_names(expr) - exported
        assert not unknown, f"{path.name}: {expr!r} reads metrics agbotkit does not export"
    for variable in document["templating"]["list"]:
        if variable["type"] != "query":
            continue
        match = _LABEL_VALUES.match(variable["query"]["query"])
        assert match is not None, variable["name"]
        assert match.group(1) in exported, variable["name"]
        assert variable["definition"] == variable["query"]["query"]


def counter_misuse(expr: str) -> list[str]:
    """Counters read without rate()/increase(), and gauges given to them."""
    parser = promql()
    counters = {e.prometheus for e in load_catalogue().values() if e.kind == "counter"}
    problems: list[str] = []

    def visit(node: Any, in_counter_function: bool) -> None:
        if isinstance(node, parser.VectorSelector):
            counter = node.name in counters
            if counter and not in_counter_function:
                problems.append(f"{node.name} read raw (a counter: rate() or increase())")
            if in_counter_function and not counter:
                problems.append(f"{node.name} is not a counter")
            return
        if isinstance(node, parser.Call):
            inner = node.func.name in _COUNTER_FUNCTIONS
            for arg in node.args:
                visit(arg, inner)
            return
        for attribute in ("vector_selector", "expr", "lhs", "rhs", "param"):
            child = getattr(node, attribute, None)
            if child is not None and not isinstance(child, (int, float, str)):
                visit(child, in_counter_function)

    visit(parser.parse(expr.replace("$__rate_interval", "5m")), False)
    return problems


def test_counters_are_read_through_rate_or_increase() -> None:
    problems = {
        expr: found
        for path in dashboards()
        for expr in queries(load(path))
        if (found := counter_misuse(expr))
    }
    assert not problems


def test_the_counter_check_can_fail() -> None:
    assert counter_misuse("exec_fills_total") == [
        "exec_fills_total read raw (a counter: rate() or increase())"
    ]
    assert counter_misuse("rate(exec_open_orders[5m])") == ["exec_open_orders is not a counter"]


def test_metric_check_can_fail() -> None:
    assert metric_names('sum(rate(no_such_metric_total{venue="x"}[$__rate_interval]))') == {
        "no_such_metric_total"
    }
    with pytest.raises(Exception):  # noqa: B017, PT011 -- the parser's own error type
        metric_names("sum(rate(exec_fills_total[5m])")


def test_coverage_of_the_catalogue() -> None:
    """Each area's key series is on a dashboard (a dashboard set that lost a whole area fails)."""
    used = {
        name for path in dashboards() for expr in queries(load(path)) for name in metric_names(expr)
    }
    key = {
        "agbotkit_component_up",
        "polymarket_clob_lag_ms",
        "polymarket_risk_kill_switch",
        "exec_fills_total",
        "exec_unknown_orders",
        "exec_leader",
        "strategy_pnl_usd",
        "agbotkit_storage_spilled_rows",
    }
    assert key <= used, key - used
    print(f"{len(used)} of {len(exported_series())} exported series used by the dashboards")
