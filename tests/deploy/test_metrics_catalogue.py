"""docs/metrics.md stays honest: every catalogued name is produced by the source, every
metric name in the source is catalogued, the Prometheus names are what the exposition
makes of them, and a running stack's ``GET /metrics`` exposes only catalogued families."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agbotkit.metrics.prometheus import render_prometheus
from agbotkit.metrics.store import MetricsStore
from agbotkit.model.metrics import Metric, MetricType

from .catalogue import ROOT, Entry, load_catalogue

SOURCE = ROOT / "agbotkit"
#: The leader lease's metrics (names agreed for issue 17), checked once its module exists.
LEASE = frozenset({"exec.leader", "exec.leader_changes"})
#: A quoted string that looks like one of agbotkit's metric names.
_LITERAL = re.compile(
    r'"((?:exec|polymarket|strategy|risk|execution|agbotkit\.(?:component|storage|dashboard|'
    r'metrics|replay|recorder|heartbeat))\.[a-z0-9_.]*[a-z0-9_])"'
)
#: The example plugins' own families in the demo (a strategy's gauges keep their names).
PLUGINS = ("minibot_", "example_quoter_")
_PROMETHEUS_TYPE = {"counter": "counter", "gauge": "gauge", "histogram": "summary"}


def source_text() -> dict[Path, str]:
    return {path: path.read_text() for path in sorted(SOURCE.rglob("*.py"))}


def produced(name: str, files: dict[Path, str]) -> bool:
    """Whether the source makes ``name``: literally, or by a pattern docs/metrics.md lists."""
    if any(f'"{name}"' in text for text in files.values()):
        return True
    head, _, last = name.rpartition(".")
    text = files.get

    def has(relative: str, *needles: str) -> bool:
        found = text(SOURCE / relative)
        return found is not None and all(needle in found for needle in needles)

    if head in ("polymarket.clob", "polymarket.rtds"):
        feed = head.split(".")[1]
        return has("marketdata/stats.py", 'f"polymarket.{self.feed}"', f'f"{{name}}.{last}"') and (
            has("marketdata/component.py", f'FeedStats("{feed}"')
        )
    if head == "polymarket.user":
        return has("venues/polymarket/user_channel.py", 'f"polymarket.user.{name}"', f'"{last}"')
    if head == "agbotkit.storage":
        return has("storage/component.py", 'OWN_PREFIX = "agbotkit.storage."', f'("{last}",')
    if head == "agbotkit.metrics.emitter":
        return has(
            "builtins/metrics_emitter.py",
            'OWN_PREFIX = "agbotkit.metrics.emitter."',
            f'OWN_PREFIX + "{last}"',
        )
    return False


@pytest.fixture(scope="module")
def catalogue() -> dict[str, Entry]:
    entries = load_catalogue()
    # A floor, so that a table the parser no longer reads cannot pass as empty.
    assert len(entries) >= 80, f"only {len(entries)} rows read from docs/metrics.md"
    return entries


def test_every_catalogued_name_is_produced_by_the_source(catalogue: dict[str, Entry]) -> None:
    files = source_text()
    missing = [name for name in catalogue if name not in LEASE and not produced(name, files)]
    assert not missing, f"catalogued but not produced by agbotkit/: {missing}"


def test_the_leader_lease_metrics_are_produced_once_the_lease_exists() -> None:
    files = source_text()
    if not any("leader" in text and "lease" in text for text in files.values()):
        pytest.skip("the leader lease is not in this tree yet: exec.leader* not checked")
    missing = [name for name in sorted(LEASE) if not produced(name, files)]
    assert not missing, f"the lease's agreed metric names are not in the source: {missing}"


def test_every_metric_name_in_the_source_is_catalogued(catalogue: dict[str, Entry]) -> None:
    found = {
        (match, path.relative_to(ROOT).as_posix())
        for path, text in source_text().items()
        for match in _LITERAL.findall(text)
    }
    assert len(found) > 40, "the source scan found almost nothing: is the pattern broken?"
    missing = sorted(pair for pair in found if pair[0] not in catalogue)
    assert not missing, f"metric names in the source but not in docs/metrics.md: {missing}"


def test_prometheus_names_are_what_the_exposition_makes(catalogue: dict[str, Entry]) -> None:
    store = MetricsStore()
    for entry in catalogue.values():
        labels = tuple(sorted((label, "x") for label in entry.labels))
        store.add(Metric(1_000, MetricType(entry.kind), entry.name, 1.0, labels))
    text = render_prometheus(store)
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.MULTILINE))
    expected = {entry.prometheus: _PROMETHEUS_TYPE[entry.kind] for entry in catalogue.values()}
    assert types == expected
    for entry in catalogue.values():
        for series in entry.exposed:
            sample = re.search(rf"^{series}(\{{[^}}]*\}})? ", text, re.MULTILINE)
            assert sample is not None, f"{series} is not in the exposition"
            labels = set(re.findall(r'(\w+)="', sample.group(1) or ""))
            assert labels == set(entry.labels), f"{series}: labels {labels}"


# -- a running stack --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


QUOTER = """\
  quoter:
    kind: strategy
    needs: [clob, risk, execution]
    strategy: example_quoter
    params: {size: 5, max_position: 20}
    venue: paper
"""


@pytest.fixture
def demo_stack(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The offline demo (replay, market data, minibot and a strategy, risk, paper execution, SQLite
    storage, dashboard) as a subprocess on free ports; yields (dashboard URL, log file)."""
    policy = tmp_path / "policy.yaml"
    policy.write_text((ROOT / "policies" / "demo.yaml").read_text())
    stack = tmp_path / "demo.yaml"
    text = (ROOT / "examples" / "demo.yaml").read_text()
    # The demo's minibot is a plain component: a strategy (the example plugin's quoter) is
    # added for the strategy.* series.
    assert "  dashboard:\n" in text
    text = text.replace("  dashboard:\n", QUOTER + "  dashboard:\n")
    stack.write_text(text.replace("../policies/demo.yaml", "policy.yaml"))
    port = free_port()
    env = {
        **os.environ,
        "AGBOTKIT_DASHBOARD_PORT": str(port),
        "AGBOTKIT_DEMO_CLOB_PORT": str(free_port()),
        "AGBOTKIT_DEMO_RTDS_PORT": str(free_port()),
        "AGBOTKIT_DEMO_SPEED": "4",
    }
    log = tmp_path / "stack.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "agbotkit", "run", stack.name],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield f"http://127.0.0.1:{port}", log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def exposition(url: str) -> str | None:
    try:
        response = httpx.get(f"{url}/metrics", timeout=2)
    except httpx.HTTPError:
        return None
    return response.text if response.status_code == 200 else None


#: Families the demo must expose once minibot's orders have filled (one per area).
EXPECTED = {
    "agbotkit_component_up",
    "agbotkit_component_restarts_total",
    "polymarket_clob_messages_received_total",
    "polymarket_rtds_messages_received_total",
    "polymarket_risk_kill_switch",
    "exec_orders_placed_total",
    "exec_fills_total",
    "exec_open_orders",
    "strategy_orders_submitted_total",
    "agbotkit_storage_rows_written_total",
}


@pytest.mark.slow
def test_a_running_stack_exposes_only_catalogued_families(
    catalogue: dict[str, Entry], demo_stack: tuple[str, Path]
) -> None:
    url, log = demo_stack
    deadline = time.monotonic() + 60
    families: dict[str, str] = {}
    while time.monotonic() < deadline:
        text = exposition(url)
        if text is not None:
            families = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.MULTILINE))
            if families.keys() >= EXPECTED:
                break
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:]
    assert families.keys() >= EXPECTED, f"missing {EXPECTED - families.keys()}\n{tail}"
    by_prometheus = {entry.prometheus: entry for entry in catalogue.values()}
    # minibot and the quoter are example plugins: their own metrics are not agbotkit's.
    ours = {name: kind for name, kind in families.items() if not name.startswith(PLUGINS)}
    unknown = sorted(set(ours) - set(by_prometheus))
    assert not unknown, f"exposed but not catalogued: {unknown}"
    wrong = {
        name: kind
        for name, kind in ours.items()
        if _PROMETHEUS_TYPE[by_prometheus[name].kind] != kind
    }
    assert not wrong, f"exposed with another type than catalogued: {wrong}"
    print(f"{len(ours)} of {len(catalogue)} catalogued families exposed by the demo")
