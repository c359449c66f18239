"""The metrics catalogue (docs/metrics.md) as data, and the metric names a PromQL
expression reads, for the monitoring tests."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import attrs
import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "docs" / "metrics.md"
#: Series Prometheus makes itself for every scrape target (not exported by agbotkit).
SCRAPE_SERIES = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})

_ROW = re.compile(
    r"^\|\s*`([^`]+)`\s*\|\s*(counter|gauge|histogram)\s*\|([^|]*)\|\s*`([^`]+)`\s*\|(.+)\|$"
)
#: Grafana's built-in variables in a query, replaced by a value PromQL accepts.
_GRAFANA_VARIABLES = {
    "$__rate_interval": "5m",
    "$__interval": "1m",
    "$__range": "1h",
}


@attrs.frozen
class Entry:
    """One catalogue row.

    Attributes:
        name: the agbotkit metric name.
        kind: counter, gauge or histogram.
        labels: the labels agbotkit sets.
        prometheus: the Prometheus name the table gives.
    """

    name: str
    kind: str
    labels: tuple[str, ...]
    prometheus: str

    @property
    def exposed(self) -> frozenset[str]:
        """The series names of the family in the exposition (a summary has two)."""
        if self.kind == "histogram":
            return frozenset({self.prometheus + "_count", self.prometheus + "_sum"})
        return frozenset({self.prometheus})


def load_catalogue() -> dict[str, Entry]:
    """Every row of the table in docs/metrics.md, by agbotkit name."""
    entries: dict[str, Entry] = {}
    for line in CATALOGUE.read_text().splitlines():
        match = _ROW.match(line)
        if match is None:
            continue
        name, kind, labels, prometheus, _ = match.groups()
        assert name not in entries, f"{name} is catalogued twice"
        found = tuple(label.strip() for label in labels.split(",") if label.strip())
        entries[name] = Entry(name, kind, found, prometheus)
    return entries


def exported_series() -> frozenset[str]:
    """Every series name a query may read: the catalogue's, plus Prometheus's own."""
    names: set[str] = set(SCRAPE_SERIES)
    for entry in load_catalogue().values():
        names |= entry.exposed
    return frozenset(names)


def promql() -> Any:
    """The promql_parser module, or skip saying why (it is in the test extra)."""
    return pytest.importorskip(
        "promql_parser", reason="promql-parser is missing: install agbotkit[test]"
    )


def metric_names(expr: str) -> set[str]:
    """The metric names ``expr`` selects (after Grafana's variables are replaced); a
    selector without a name fails (it could read anything)."""
    parser = promql()
    for variable, value in _GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    tree = parser.parse(expr)
    names: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, parser.VectorSelector):
            assert node.name, f"a selector without a metric name in {expr!r}"
            names.add(node.name)

    parser.walk(tree, visit)
    return names
