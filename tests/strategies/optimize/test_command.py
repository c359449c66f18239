"""``agbotkit optimize`` end to end: a small quoter backtested on a synthetic recording."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from agbotkit.cli import main
from agbotkit.marketdata.replay.synthetic import generate
from agbotkit.strategies.optimize.evaluate import data_range

LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Outside the work tree unless asked (docs/optimize-plot.png is made with this variable).
SCREENSHOT = os.environ.get("AGBOTKIT_OPTIMIZE_SCREENSHOT")

STACK = """\
components:
  quoter:
    kind: strategy
    strategy: opt_quoter_module:Quoter
    params: {size: 10}
"""

# A plain quoter: every `every` book events, cancel its two orders and bid `offset` ticks
# under the best bid on YES and NO.
QUOTER = """\
import attrs

from agbotkit.model.books import Side
from agbotkit.strategies.api import Strategy


def _positive(instance, attribute, value):
    if value <= 0:
        raise ValueError(f"must be > 0, got {value}")


@attrs.frozen
class Config:
    size: float = attrs.field(default=10.0, validator=_positive)
    offset: int = 0
    every: int = 10


class Quoter(Strategy):
    Config = Config
    count = 0
    orders = ()

    def on_book(self, book):
        self.count += 1
        config, context = self.config, self.context
        yes, no = context.tokens(context.markets[0])[:2]
        view = context.book(yes)
        if self.count % config.every or view is None or view.best_bid is None:
            return
        if view.best_ask is None:
            return
        for order in self.orders:
            context.cancel_order(order)
        tick = view.tick_size
        bid = round(view.best_bid - config.offset * tick, 2)
        no_bid = round(1 - view.best_ask - config.offset * tick, 2)
        self.orders = (
            context.submit_order(yes, Side.BUY, bid, config.size),
            context.submit_order(no, Side.BUY, no_bid, config.size),
        )
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A stack of the quoter and a 5-minute synthetic recording; the quoter importable."""
    path = tmp_path_factory.mktemp("optimize")
    (path / "opt_quoter_module.py").write_text(QUOTER)
    generate(path / "data.jsonl.gz", seed=5, duration_s=300)
    (path / "stack.yaml").write_text(STACK)
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(path))
        yield path


def optimize(folder: Path, *args: str) -> int:
    stack, data = str(folder / "stack.yaml"), str(folder / "data.jsonl.gz")
    return main(["optimize", stack, "--data", data, *args])


@pytest.fixture(scope="module")
def grid_run(folder: Path) -> dict[str, Any]:
    """A grid search of the quoter: its exit code, JSON result and HTML page."""
    out_json, out_html = folder / "grid.json", folder / "grid.html"
    code = optimize(
        folder,
        "--method=grid",
        "--param=offset=0:2",
        "--param=every=5,20",
        "--objective=pnl",
        "--jobs=1",
        f"--json={out_json}",
        f"--report={out_html}",
    )
    return {"code": code, "result": json.loads(out_json.read_text()), "html": out_html}


def test_grid_search_of_a_quoter(grid_run: dict[str, Any]) -> None:
    assert grid_run["code"] == 0
    result = grid_run["result"]
    assert result["study"] == "opt_quoter_module:Quoter-grid-pnl"
    assert result["trials_completed"] == 6
    trials = result["trials"]
    assert sorted((t["params"]["offset"], t["params"]["every"]) for t in trials) == [
        (0, 5),
        (0, 20),
        (1, 5),
        (1, 20),
        (2, 5),
        (2, 20),
    ]
    values = [t["value"] for t in trials]
    assert values == sorted(values, reverse=True)
    assert all(t["metrics"]["orders"] > 0 for t in trials)
    assert result["best"] == trials[0]
    assert result["space"]["offset"] == {
        "kind": "IntRange",
        "low": 0,
        "high": 2,
        "step": 1,
        "log": False,
    }
    page = grid_run["html"].read_text()
    assert page.count("Plotly.newPlot") == 3  # per parameter, pairs, history
    assert 'src="http' not in page  # plotly.js inlined: the page opens offline


@pytest.mark.slow
def test_the_plot_opens_in_chromium_with_every_figure_drawn(
    grid_run: dict[str, Any], chromium_path: Path, sync_api: ModuleType, tmp_path: Path
) -> None:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(grid_run["html"].as_uri())
            page.wait_for_function(
                "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 3"
            )
            drawn = page.evaluate(
                """() => [...document.querySelectorAll('section')].map(s => [
                    s.querySelector('h2').textContent,
                    s.querySelectorAll('.scatterlayer .trace path, .contourlayer path,'
                        + ' .scatterlayer .point').length,
                ])"""
            )
            assert [name for name, _ in drawn] == [
                "Objective per parameter",
                "Objective over parameter pairs",
                "Search history",
            ]
            assert all(count > 0 for _, count in drawn), drawn
            assert errors == []
            page.screenshot(path=SCREENSHOT or str(tmp_path / "optimize.png"), full_page=True)
        finally:
            browser.close()


def test_the_same_backtest_gives_the_same_value_as_agbotkit_backtest(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_json = folder / "one.json"
    assert (
        optimize(
            folder,
            "--method=grid",
            "--param=offset=1",
            "--objective=pnl",
            "--jobs=1",
            f"--json={out_json}",
        )
        == 0
    )
    best = json.loads(out_json.read_text())["best"]
    backtest_json = folder / "bt.json"
    (folder / "stack1.yaml").write_text(STACK.replace("{size: 10}", "{size: 10, offset: 1}"))
    argv = ["backtest", str(folder / "stack1.yaml"), "--data", str(folder / "data.jsonl.gz")]
    assert main([*argv, "--no-progress", "--json", str(backtest_json)]) == 0
    backtest = json.loads(backtest_json.read_text())
    assert best["metrics"]["pnl_usd"] == pytest.approx(
        backtest["equity"][-1][1] - backtest["equity"][0][1]
    )
    assert best["metrics"]["fills"] == len(backtest["fills"])


def test_walk_forward_reports_in_and_out_of_sample(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_json = folder / "wf.json"
    code = optimize(
        folder,
        "--method=random",
        "--trials=3",
        "--seed=1",
        "--param=offset=0:3",
        "--objective=drawdown_penalised",
        "--drawdown-weight=0.5",
        "--walk-forward=2",
        "--jobs=1",
        f"--json={out_json}",
    )
    assert code == 0
    walk = json.loads(out_json.read_text())["walk_forward"]
    first, last = data_range([str(folder / "data.jsonl.gz")])
    folds = walk["folds"]
    assert [f["fold"] for f in folds] == [0, 1]
    assert folds[0]["in_sample_window"]["start_ms"] == first
    assert folds[1]["out_of_sample_window"]["end_ms"] == last + 1
    assert folds[0]["out_of_sample_window"] == folds[1]["in_sample_window"]
    for fold in folds:
        metrics = fold["out_of_sample"]
        assert fold["out_of_sample_value"] == pytest.approx(
            metrics["pnl_usd"] - 0.5 * metrics["max_drawdown_usd"]
        )
    assert set(walk["summary"]) == {"folds", "mean_in_sample", "mean_out_of_sample", "efficiency"}
    assert "mean in-sample" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--param=spread=0.01:0.05"],
            "--param: params.spread: unknown parameter (known: size, offset, every)",
        ),
        (["--param=size=-5:10"], "--param: params.size: value -5 refused: "),
        (["--param=offset=0.5:2.5"], "--param: params.offset: value 0.5 refused: "),
        (["--param=offset=1:0"], "--param: params.offset: the range's high 0 is below its low 1"),
        ([], "nothing to search: give --param NAME=SPEC or --space FILE"),
    ],
)
def test_bad_parameters_are_refused_by_name(
    folder: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert optimize(folder, "--jobs=1", *args) == 2
    assert message in capsys.readouterr().err


def test_the_reference_market_maker_through_its_entry_point(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = folder / "mm.yaml"
    stack.write_text("components:\n  mm:\n    kind: strategy\n    strategy: market_maker\n")
    out_json = folder / "mm.json"
    argv = ["optimize", str(stack), "--data", str(folder / "data.jsonl.gz"), "--jobs=1"]
    code = main([*argv, "--method=grid", "--param=half_spread=0.01,0.04", f"--json={out_json}"])
    assert code == 0
    result = json.loads(out_json.read_text())
    assert result["strategy"] == "market_maker"
    assert sorted(t["params"]["half_spread"] for t in result["trials"]) == [0.01, 0.04]
    assert all(t["state"] == "COMPLETE" for t in result["trials"])
    refused = main([*argv, "--param=half_spread=0.01:0.9"])
    assert refused == 2
    assert "params.half_spread: value 0.9 refused: " in capsys.readouterr().err


def test_without_optuna_it_says_what_to_install(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "optuna", None)  # what `import optuna` finds uninstalled
    assert optimize(folder, "--param=offset=0:2") == 2
    assert "pip install 'agbotkit[optimize]'" in capsys.readouterr().err
