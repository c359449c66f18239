"""The page in a real browser (Debian Chromium driven by Playwright's sync API).

The stack runs in a subprocess (``python -m agbotkit run``): heartbeat, the real ``risk``
component and the dashboard on a free port. A feeder thread pushes the market-data,
position and decision metrics over ``WS /metrics``, as another agbotkit process would.
Skipped, with the reason, when Chromium or Playwright is missing; in CI (``CI`` set) they
fail instead (the ``chromium_path`` and ``sync_api`` fixtures in tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from trio_websocket import ConnectionClosed, HandshakeError, open_websocket_url

from agbotkit.metrics.protocol import encode_metrics
from agbotkit.model.metrics import Metric

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
# Outside the work tree, so a test run changes no tracked file (docs/dashboard.png is a
# screenshot of the real demo); AGBOTKIT_SCREENSHOT_PATH puts it elsewhere.
SCREENSHOT = Path(
    os.environ.get(
        "AGBOTKIT_SCREENSHOT_PATH", Path(tempfile.gettempdir()) / "agbotkit-dashboard.png"
    )
)
TIME_CHARTS = ("lag", "rate", "connection", "inventory", "kill", "decisions")
ALL_CHARTS = (*TIME_CHARTS, "positions")

# The browser check comes first, before the module's stack starts.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("chromium_path", "sync_api")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Stack:
    """The stack subprocess: started, stopped and started again on the same port."""

    def __init__(self, folder: Path, *, token: str | None = None) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.token = token
        token_option = "token_env: DASHBOARD_TEST_TOKEN" if token else ""
        (folder / "policy.yaml").write_text("policies:\n  - type: KillSwitch\n")
        (folder / "stack.yaml").write_text(
            textwrap.dedent(f"""
            stack: {{name: browser-test, shutdown_grace_s: 5}}
            components:
              heartbeat: {{kind: heartbeat, interval_s: 0.5}}
              risk: {{kind: risk, policy_file: policy.yaml, metrics_interval_s: 0.25}}
              dashboard:
                kind: dashboard
                port: {self.port}
                push_interval_s: 0.1
                title: browser-test
                needs: [heartbeat, risk]
                {token_option}
            """)
        )

    def start(self) -> None:
        log = (self.folder / "stack.log").open("ab")
        env = dict(os.environ)
        if self.token:
            env["DASHBOARD_TEST_TOKEN"] = self.token
        self.process = subprocess.Popen(
            [sys.executable, "-m", "agbotkit", "run", "stack.yaml"],
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the stack exited early:\n{self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise AssertionError(f"the stack did not become ready:\n{self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log(self) -> str:
        return (self.folder / "stack.log").read_text(errors="replace")


class Feeder:
    """Pushes the page's metrics over ``WS /metrics`` every 100 ms, reconnecting as needed."""

    def __init__(self, ws_url: str) -> None:
        self.ws_url = ws_url
        self.stopping = threading.Event()
        self.sent = 0
        self.thread = threading.Thread(target=trio.run, args=(self._run,), daemon=True)

    def __enter__(self) -> Feeder:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)

    def _batch(self, tick: int) -> str:
        now = int(time.time() * 1000)
        wave = math.sin(tick / 10)
        metrics = []
        for feed, base in (("clob", 40.0), ("rtds", 120.0)):
            metrics += [
                Metric.gauge(f"polymarket.{feed}.lag_ms", base + 15 * wave, now),
                Metric.gauge(f"polymarket.{feed}.msgs_per_second", base * 3 + 50 * wave, now),
                Metric.gauge(f"polymarket.{feed}.connection_status", float(tick % 50 != 0), now),
            ]
        for market, side, size in (
            ("0xaaaa1111bbbb", "Yes", 40.0),
            ("0xcccc2222dddd", "No", -15.0),
        ):
            metrics.append(
                Metric.gauge(
                    "polymarket.position.size",
                    size + 5 * wave,
                    now,
                    {"market_id": market, "side": side},
                )
            )
        policy = ("all", "PositionLimit", "all", "InventoryLimit")[tick % 4]
        metrics.append(
            Metric.gauge(
                "polymarket.risk.decision",
                1.0 if policy == "all" else 0.0,
                now,
                {"policy": policy, "market_id": "0xaaaa1111bbbb"},
            )
        )
        metrics.append(
            Metric.gauge("agbotkit.component.up", 1.0, now, {"component": "strategy", "kind": "mm"})
        )
        return encode_metrics(metrics)

    async def _run(self) -> None:
        tick = 0
        while not self.stopping.is_set():
            try:
                async with open_websocket_url(f"{self.ws_url}/metrics", connect_timeout=2) as ws:
                    while not self.stopping.is_set():
                        await ws.send_message(self._batch(tick))
                        self.sent += 1
                        tick += 1
                        await trio.sleep(0.1)
            except (OSError, ConnectionClosed, HandshakeError):
                await trio.sleep(0.2)  # the server is away: try again


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack(tmp_path_factory.mktemp("browser-stack"))
    running.start()
    try:
        with Feeder("ws" + running.url.removeprefix("http")):
            yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def chromium(chromium_path: Path, sync_api: Any) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        context.close()


def console_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    return errors


def counts(page: Any) -> dict[str, int]:
    result: dict[str, int] = page.evaluate("window.agbotkit.pointCounts()")
    return result


def newest(page: Any) -> dict[str, float]:
    result: dict[str, float] = page.evaluate("window.agbotkit.newest()")
    return result


def assert_moving(page: Any, charts: tuple[str, ...], wait_ms: int = 1500) -> None:
    """Every chart in ``charts`` draws points and gets newer ones within ``wait_ms``."""
    before_counts, before = counts(page), newest(page)
    page.wait_for_timeout(wait_ms)
    after_counts, after = counts(page), newest(page)
    for chart in charts:
        assert after_counts[chart] > 0, chart
        assert after[chart] > before[chart], (chart, before, after)
    # Until a chart's window is full, more points are drawn too.
    assert after_counts["decisions"] >= before_counts["decisions"]


def wait_for_charts(page: Any, charts: tuple[str, ...] = ALL_CHARTS) -> None:
    names = json.dumps(list(charts))
    page.wait_for_function(
        f"() => window.agbotkit && {names}.every(n => window.agbotkit.pointCounts()[n] > 0)"
    )


def test_page_loads_without_errors_and_every_chart_moves(stack: Stack, page: Any) -> None:
    errors = console_errors(page)
    page.goto(stack.url)
    page.wait_for_function("window.agbotkit && window.agbotkit.connected")
    assert page.locator("#banner").is_hidden()
    assert page.locator("#title").inner_text() == "browser-test"
    wait_for_charts(page)
    positions_before = page.evaluate("window.agbotkit.charts.positions.data[1].slice()")
    assert_moving(page, ALL_CHARTS)
    assert page.evaluate("window.agbotkit.charts.positions.data[1]") != positions_before
    assert page.locator("#feeds .badge").count() == 2
    components = page.locator("#components").inner_text()
    for name in ("heartbeat", "risk", "dashboard", "strategy"):
        assert name in components
    assert "off" in page.locator("#kill-state").inner_text()
    # hovering a decision names its policy
    box = page.locator("#chart-decisions .u-over").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] - 3, box["y"] + box["height"] / 2)
    page.wait_for_function("document.getElementById('decision-tip').textContent.length > 0")
    page.wait_for_timeout(1500)  # a few more seconds of data for the screenshot
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert errors == []


def test_a_late_page_backfills_and_fits_a_phone(stack: Stack, chromium: Any) -> None:
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = context.new_page()
        errors = console_errors(page)
        opened_ms = time.time() * 1000
        page.goto(stack.url)
        page.wait_for_function("window.agbotkit && window.agbotkit.connected")
        wait_for_charts(page)
        oldest = page.evaluate(
            "Math.min(...[...window.agbotkit.store.values()]"
            ".filter(s => s.name === 'polymarket.clob.lag_ms').map(s => s.t[0]))"
        )
        assert oldest < opened_ms - 1000  # history from before the page existed
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        assert errors == []
    finally:
        context.close()


def test_kill_switch_button_round_trips(stack: Stack, page: Any) -> None:
    errors = console_errors(page)
    page.goto(stack.url)
    page.wait_for_function("window.agbotkit && window.agbotkit.connected")
    button = page.locator("#kill-button")
    page.wait_for_function("!document.getElementById('kill-button').disabled")
    assert button.inner_text() == "Trigger kill switch"

    page.once("dialog", lambda dialog: dialog.dismiss())
    button.click()
    page.wait_for_timeout(500)
    assert "off" in page.locator("#kill-state").inner_text()  # cancelled: nothing sent

    dialogs: list[str] = []

    def accept(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    button.click()
    page.wait_for_function("document.getElementById('kill-state').textContent.startsWith('ACTIVE')")
    assert "Trigger the kill switch?" in dialogs[0]
    assert "manual (dashboard)" in page.locator("#kill-reason").inner_text()
    state = json.loads((stack.folder / "risk-state.json").read_text())
    assert state["triggered"] is True
    assert button.inner_text() == "Reset kill switch"
    # the chart of polymarket.risk.kill_switch follows
    page.wait_for_function(
        "(() => { const d = window.agbotkit.charts.kill.data[1]; return d[d.length - 1] === 1; })()"
    )

    button.click()
    page.wait_for_function("document.getElementById('kill-state').textContent.startsWith('off')")
    assert "Reset the kill switch?" in dialogs[1]
    assert json.loads((stack.folder / "risk-state.json").read_text())["triggered"] is False
    assert errors == []


def test_page_recovers_after_the_server_restarts(stack: Stack, page: Any) -> None:
    page.goto(stack.url)
    page.wait_for_function("window.agbotkit && window.agbotkit.connected")
    wait_for_charts(page)

    stack.stop()
    page.wait_for_function("!window.agbotkit.connected")
    banner = page.locator("#banner")
    assert banner.is_visible()
    assert "reconnecting" in banner.inner_text()
    assert page.locator("#status").inner_text() == "disconnected"
    stopped_ms = time.time() * 1000

    stack.start()  # same port
    page.wait_for_function("window.agbotkit.connected", timeout=45_000)
    assert banner.is_hidden()
    assert page.locator("#status").inner_text() == "live"
    assert_moving(page, ALL_CHARTS)
    assert min(newest(page)[chart] for chart in TIME_CHARTS) > stopped_ms


def test_the_page_works_with_a_token_from_its_url(tmp_path: Path, chromium: Any) -> None:
    guarded = Stack(tmp_path, token="s3cret-token")
    guarded.start()
    context = chromium.new_context()
    try:
        page = context.new_page()
        errors = console_errors(page)
        assert httpx.get(guarded.url).status_code == 401
        page.goto(f"{guarded.url}/?token=s3cret-token")
        page.wait_for_function("window.agbotkit && window.agbotkit.connected")
        # the history request (Authorization header) and the stream (?token=) both passed
        page.wait_for_function("window.agbotkit.pointCounts().kill > 0")
        page.wait_for_function("!document.getElementById('kill-button').disabled")
        page.once("dialog", lambda dialog: dialog.accept())
        page.locator("#kill-button").click()
        page.wait_for_function(
            "document.getElementById('kill-state').textContent.startsWith('ACTIVE')"
        )
        assert errors == []
    finally:
        context.close()
        guarded.stop()
