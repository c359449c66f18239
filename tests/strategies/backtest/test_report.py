"""The HTML report opens in Chromium with every plot drawn; the CLI writes it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from agbotkit.cli import main
from agbotkit.marketdata.replay.synthetic import generate

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
# Outside the work tree unless asked (docs/backtest-report.png is made with this variable).
SCREENSHOT = os.environ.get("AGBOTKIT_BACKTEST_SCREENSHOT")

STACK = """\
components:
  risk:
    kind: risk
    policy_file: policy.yaml
  quoter:
    kind: strategy
    strategy: {strategy}
    params: {{}}
"""


QUOTER = """\
from agbotkit.model.books import Side
from agbotkit.strategies.api import Strategy


class Quoter(Strategy):
    count = 0
    orders = ()

    def on_book(self, book):
        self.count += 1
        context = self.context
        yes, no = context.tokens(context.markets[0])[:2]
        view = context.book(yes)
        if self.count % 10 or view is None or view.best_bid is None or view.best_ask is None:
            return
        for order in self.orders:
            context.cancel_order(order)
        self.orders = (
            context.submit_order(yes, Side.BUY, round(view.best_bid, 2), 10),
            context.submit_order(no, Side.BUY, round(1 - view.best_ask, 2), 10),
        )
"""


@pytest.fixture(scope="module")
def backtested(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``agbotkit backtest`` of a quoter (a ``module:Class`` strategy) on synthetic data."""
    folder = tmp_path_factory.mktemp("report")
    (folder / "bt_quoter_module.py").write_text(QUOTER)
    data = folder / "data.jsonl.gz"
    generate(data, seed=9, duration_s=300)
    (folder / "policy.yaml").write_text("policies:\n  - type: MaxOrderSize\n    max_size: 50\n")
    stack = folder / "stack.yaml"
    stack.write_text(STACK.format(strategy="bt_quoter_module:Quoter"))
    report, result = folder / "report.html", folder / "result.json"
    argv = ["backtest", str(stack), "--data", str(data), "--latency-ms", "30"]
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(folder))
        code = main([*argv, "--report", str(report), "--json", str(result), "--no-progress"])
    assert code == 0
    return {"report": report, "result": json.loads(result.read_text())}


def test_the_cli_writes_the_json_result(backtested: dict[str, Any]) -> None:
    result = backtested["result"]
    assert result["orders_submitted"] > 50
    assert result["fills"]
    assert set(result["performance"]) >= {"sharpe_ratio", "max_drawdown", "sortino_ratio"}


@pytest.mark.slow
def test_the_report_opens_in_chromium_with_every_plot_drawn(
    backtested: dict[str, Any], chromium_path: Path, sync_api: ModuleType, tmp_path: Path
) -> None:
    html = backtested["report"].read_text()
    assert "<script src=" not in html  # the JavaScript is inline: nothing from outside
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(backtested["report"].as_uri())
            page.wait_for_function(
                "document.querySelectorAll('section.plot .js-plotly-plot .main-svg').length"
                " >= document.querySelectorAll('section.plot').length * 1"
            )
            drawn = page.evaluate(
                """() => [...document.querySelectorAll('section.plot')].map(s => [
                    s.dataset.plot,
                    s.querySelectorAll('.scatterlayer .trace path, .barlayer .point path').length,
                ])"""
            )
            names = [name for name, _ in drawn]
            assert {"equity", "drawdown", "positions", "pnl_by_market", "price"} <= set(names)
            assert all(count > 0 for _, count in drawn), drawn
            assert errors == []
            page.screenshot(path=SCREENSHOT or str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
