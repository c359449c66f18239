"""The strategies panel in a real browser (Debian Chromium driven by Playwright's sync API).

A real stack runs as a subprocess (``python -m agbotkit run``): the demo replay at full
speed, the CLOB client, risk, execution on the paper venue, the example plugin's
``example_quoter`` in a ``strategy`` component, and the dashboard. The panel must show the
strategy's row with the orders it submitted and the signals it counted, as its metrics
say. Skipped, with the reason, when Chromium or Playwright is missing (failed in CI).
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .test_browser import LAUNCH_ARGS, free_port

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("chromium_path", "sync_api")]


def stack_text(dashboard_port: int, clob_port: int) -> str:
    return textwrap.dedent(f"""\
        stack: {{name: strategies-browser-test, shutdown_grace_s: 5}}
        components:
          replay: {{kind: replay, speed: 0, loop: true, clob_port: {clob_port}, rtds_port: 0}}
          clob:
            kind: clob_market
            needs: [replay, execution]
            url: ws://127.0.0.1:{clob_port}/ws/market
            follow_markets: true
          risk: {{kind: risk, policy_file: policy.yaml}}
          execution:
            kind: execution
            needs: [risk]
            venues: {{paper: {{kind: paper, fee_rate: 0.02}}}}
          quoter:
            kind: strategy
            needs: [clob, risk, execution]
            strategy: example_quoter
            params: {{size: 5, max_position: 20}}
            metrics_interval_s: 0.25
          dashboard:
            kind: dashboard
            port: {dashboard_port}
            push_interval_s: 0.1
            needs: [quoter]
        """)


@pytest.fixture(scope="module")
def stack_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("strategies-stack")
    port = free_port()
    (folder / "policy.yaml").write_text("policies:\n  - {type: MaxOrderSize, max_size: 50}\n")
    (folder / "stack.yaml").write_text(stack_text(port, free_port()))
    log_path = folder / "stack.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "agbotkit", "run", "stack.yaml"],
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the stack exited early:\n{log_path.read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise AssertionError(f"the stack did not become ready:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def page(chromium_path: Path, sync_api: Any) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.set_default_timeout(30_000)
            yield page
        finally:
            browser.close()


def test_the_panel_shows_each_strategys_orders_signals_and_pnl(stack_url: str, page: Any) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(stack_url)
    # The quoter submits an order and counts a "requote" signal for each quote it places.
    page.wait_for_function(
        """() => {
            const rows = window.agbotkitStrategies.rows;
            return rows.length === 1 && rows[0].orders >= 2 && rows[0].signals >= 2;
        }"""
    )
    row = page.locator('#strategies-body tr[data-strategy="quoter"]')
    cells = row.locator("td").all_text_contents()
    assert cells[0] == "quoter"
    assert cells[1].lstrip("\u2212").startswith("$")  # PnL in USD (a minus sign when negative)
    assert int(cells[2]) >= 2  # orders
    assert int(cells[4]) >= 2  # signals
    assert row.locator("td").nth(4).get_attribute("title").startswith("requote: ")
    # What the panel shows is what the stack's metrics say.
    series = httpx.get(
        f"{stack_url}/api/series", params={"name": "strategy.orders_submitted"}, timeout=5
    ).json()["series"]
    assert [s["labels"] for s in series] == [{"strategy_id": "quoter"}]
    assert errors == []
