"""The page in a real browser (Debian Chromium driven by Playwright's sync API).

The stack runs in a subprocess (``python -m agbotkit run``): heartbeat, the real ``risk``
component and the dashboard on a free port. A feeder thread pushes the market-data,
position and decision metrics over ``WS /metrics``, as another agbotkit process would.
Skipped, with the reason, when Chromium or Playwright is missing; in CI (``CI`` set) they
fail instead (the ``chromium_path`` and ``sync_api`` fixtures in tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import http.server
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
from prometheus_client.parser import text_string_to_metric_families
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
              replay: {{kind: replay, clob_port: 0, rtds_port: 0}}  # publishes MARKETS
              risk:
                kind: risk
                policy_file: policy.yaml
                metrics_interval_s: 0.25
                analytics_interval_s: 0.25
              dashboard:
                kind: dashboard
                port: {self.port}
                push_interval_s: 0.1
                title: browser-test
                needs: [heartbeat, risk, replay]
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

    def __init__(self, ws_url: str, markets: list[tuple[str, str, str]]) -> None:
        self.ws_url = ws_url
        self.markets = markets  # (condition id, outcome, token id): positions to report
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
        for (market, side, _), size in zip(self.markets, (40.0, -15.0), strict=True):
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
                {"policy": policy, "market_id": self.markets[0][0]},
            )
        )
        # One token's book keeps being resynced: the feed health panel names it.
        metrics.append(
            Metric.counter(
                "polymarket.clob.book_resyncs",
                float(tick // 5),
                now,
                {"asset_id": self.markets[1][2], "reason": "hash_mismatch", "component": "clob"},
            )
        )
        metrics.append(
            Metric.gauge("agbotkit.component.up", 1.0, now, {"component": "strategy", "kind": "mm"})
        )
        # VaR as another risk component would publish it (this stack's holds nothing; its
        # own risk.portfolio_* gauges feed the Greeks chart).
        for name, level in (("risk.var_95", 120.0), ("risk.var_99", 170.0), ("risk.es_95", 150.0)):
            for method in ("historical", "parametric"):
                labels = {"time_horizon": "1d", "method": method}
                metrics.append(Metric.gauge(name, level + 10 * wave, now, labels))
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
        known = httpx.get(f"{running.url}/api/markets", timeout=5).json()["markets"]
        first, second = list(known.items())[:2]
        markets = [
            (first[0], first[1]["outcomes"][0], first[1]["token_ids"][0]),
            (second[0], second[1]["outcomes"][1], second[1]["token_ids"][1]),
        ]
        with Feeder("ws" + running.url.removeprefix("http"), markets):
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
    # Markets by their question and outcome, not by hash.
    page.wait_for_function("document.querySelectorAll('#positions-list li').length === 2")
    positions = page.locator("#positions-list").inner_text()
    assert "Will " in positions
    assert "?" in positions
    assert "0x" not in positions
    assert "Yes" in positions
    assert "No" in positions
    # The token whose book keeps being resynced, named, in the feed health panel.
    page.wait_for_function("document.querySelector('#feed-health li.bad') !== null")
    health = page.locator("#feed-health").inner_text()
    assert "hash_mismatch" in health
    assert "No · Will " in health
    assert "server's timestamp" in page.locator("#chart-lag").locator("xpath=..").inner_text()
    # hovering a decision names its policy
    page.locator("#chart-decisions").scroll_into_view_if_needed()
    box = page.locator("#chart-decisions .u-over").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] - 3, box["y"] + box["height"] / 2)
    page.wait_for_function("document.getElementById('decision-tip').textContent.length > 0")
    page.get_by_role("button", name="1 m").click()  # a young stack: fill the charts
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(1500)  # a few more seconds of data for the screenshot
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert errors == []


def test_the_risk_charts_draw_var_and_the_portfolio_greeks(stack: Stack, page: Any) -> None:
    errors = console_errors(page)
    page.goto(stack.url)
    wait_for_charts(page, ("var", "greeks"))
    assert_moving(page, ("var", "greeks"))
    labels = page.evaluate(
        "['var', 'greeks'].map(n => window.agbotkit.charts[n].series.slice(1).map(s => s.label))"
    )
    var_labels, greek_labels = labels
    assert "var_95 method=historical time_horizon=1d" in var_labels
    assert "es_95 method=parametric time_horizon=1d" in var_labels
    assert len(var_labels) == 6
    # Published by the stack's own risk component (nothing held: every Greek is 0).
    assert sorted(greek_labels) == ["delta", "gamma", "rho", "theta", "vega"]
    assert "Value at Risk" in page.locator("#chart-var").locator("xpath=..").inner_text()
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
        # History from before the page existed: the backfill's answers arrive after the
        # first live frames (one request per series pattern), so wait for them.
        page.wait_for_function(
            """before => Math.min(...[...window.agbotkit.store.values()]
                .filter(s => s.name === 'polymarket.clob.lag_ms').map(s => s.t[0])) < before""",
            arg=opened_ms - 1000,
        )
        page.wait_for_function("document.querySelectorAll('#positions-list li').length === 2")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        # One evaluation: the list is redrawn with every frame.
        names = page.evaluate(
            """[...document.querySelectorAll('#positions-list .question')].map(e => {
                const r = e.getBoundingClientRect();
                return {text: e.textContent, left: r.left, right: r.right, height: r.height};
            })"""
        )
        assert len(names) == 2
        for name in names:
            assert "Will " in name["text"]
            assert name["height"] > 0
            assert 0 <= name["left"] < name["right"] <= 390
        page.screenshot(
            path=str(SCREENSHOT.with_name("agbotkit-dashboard-phone.png")), full_page=True
        )
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


def test_the_page_says_connecting_until_a_connection_fails(stack: Stack, page: Any) -> None:
    # A WebSocket that neither opens nor fails until the test says so.
    page.add_init_script(
        """
        window.__sockets = [];
        window.WebSocket = class { constructor(url) { window.__sockets.push(this); } };
        """
    )
    page.goto(stack.url)
    page.wait_for_function("window.agbotkit && window.__sockets.length === 1")
    assert page.locator("#status").inner_text() == "connecting"
    assert page.locator("#banner").is_hidden()
    page.evaluate("window.__sockets[0].onclose()")
    assert page.locator("#status").inner_text() == "disconnected"
    assert page.locator("#banner").is_visible()


def test_one_selectable_window_for_every_chart(stack: Stack, page: Any) -> None:
    page.goto(stack.url)
    page.wait_for_function("window.agbotkit && window.agbotkit.connected")
    wait_for_charts(page)
    spans = "Object.fromEntries(%s.map(n => [n, window.agbotkit.charts[n].scales.x.max - window.agbotkit.charts[n].scales.x.min]))"
    names = json.dumps(list(TIME_CHARTS[:-1]))  # decisions: the last 100, not a time window
    for label, window_ms in (("1 h", 3_600_000), ("1 m", 60_000), ("15 m", 900_000)):
        with page.expect_request(lambda r: "/api/series" in r.url and "since=" in r.url) as req:
            page.get_by_role("button", name=label).click()
        since = int(req.value.url.split("since=")[1].split("&")[0])
        assert abs(time.time() * 1000 - window_ms - since) < 10_000
        page.wait_for_function(
            f"Object.values({spans % names}).every(s => Math.abs(s - {window_ms}) < 2000)"
        )
        assert page.get_by_role("button", name=label).get_attribute("aria-pressed") == "true"
    page.reload()  # the choice is remembered
    page.wait_for_function("window.agbotkit && window.agbotkit.windowMs === 900000")


EVIL_PAGE = """<!doctype html><script>
const target = new URLSearchParams(location.search).get("target");
window.results = {};
fetch(target + "/api/risk/kill", {method: "POST", mode: "no-cors",
  headers: {"Content-Type": "text/plain"}, body: '{"reason": "evil"}'})
  .then(() => { window.results.post = "sent"; }, (e) => { window.results.post = "failed"; });
fetch(target + "/api/risk/kill", {method: "POST", headers: {"Content-Type": "application/json"},
  body: "{}"})
  .then((r) => { window.results.cors = "status " + r.status; },
        (e) => { window.results.cors = "blocked"; });
for (const path of ["/dashboard", "/metrics"]) {
  const ws = new WebSocket(target.replace("http", "ws") + path);
  ws.onopen = () => { window.results[path] = "open"; };
  ws.onerror = () => { window.results[path] = window.results[path] || "error"; };
}
</script>"""


@pytest.fixture
def evil_site() -> Iterator[str]:
    """A page on another local port (another origin) that attacks the dashboard."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = EVIL_PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def refused_counts(stack: Stack) -> dict[str, float]:
    text = httpx.get(f"{stack.url}/metrics", timeout=5).text
    counts = {}
    for family in text_string_to_metric_families(text):
        if family.name == "agbotkit_dashboard_refused_requests":
            for sample in family.samples:
                counts[sample.labels["reason"]] = sample.value
    return counts


def test_a_page_on_another_origin_cannot_drive_the_dashboard(
    stack: Stack, page: Any, evil_site: str
) -> None:
    before = refused_counts(stack)
    page.goto(f"{evil_site}/?target={stack.url}")
    page.wait_for_function(
        "['post', 'cors', '/dashboard', '/metrics'].every(k => window.results[k])"
    )
    results = page.evaluate("window.results")
    assert results["/dashboard"] == "error"
    assert results["/metrics"] == "error"
    assert results["cors"] == "blocked"  # no CORS grant: the browser stops it
    assert results["post"] == "sent"  # opaque: the browser sent it, the dashboard refused it
    state_file = stack.folder / "risk-state.json"
    assert not state_file.exists() or json.loads(state_file.read_text())["triggered"] is False
    deadline = time.monotonic() + 10
    while refused_counts(stack).get("origin", 0) < before.get("origin", 0) + 3:
        assert time.monotonic() < deadline, refused_counts(stack)
        time.sleep(0.2)
