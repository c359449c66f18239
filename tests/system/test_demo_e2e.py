"""The offline demo end to end: ``agbotkit run examples/demo.yaml`` watched in Chromium.

A copy of the demo stack runs as a real subprocess on free ports; the dashboard page is
opened in Debian's Chromium (Playwright's sync API). The charts must move, the kill switch
button must deny every order from then on, and SIGTERM must stop the stack cleanly within
its grace period. Skipped, with the reason, when Chromium or Playwright is missing; in CI
(``CI`` set) it fails instead (the ``chromium_path`` and ``sync_api`` fixtures in
tests/conftest.py).

Below it, what the dashboard of a running stack tells about the stack itself (its name,
its components), checked without a browser on a small stack.
"""

from __future__ import annotations

import json
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from agbotkit.db.connect import open_backend
from agbotkit.db.records import ExecutionQuery
from agbotkit.db.url import parse_storage_url
from agbotkit.ws.client import ws_connect

from .conftest import (
    StackProcess,
    copy_demo,
    demo_env,
    free_port,
    now_ms,
    wait_until,
)

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
#: The demo's ``stack.shutdown_grace_s``.
GRACE_S = 10.0

pytestmark = pytest.mark.slow


@pytest.fixture
def page(chromium_path: Path, sync_api: Any) -> Iterator[Any]:
    """A Chromium page (1366x900); without Chromium the test skips (fails in CI), saying why."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=LAUNCH_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            try:
                page = context.new_page()
                page.set_default_timeout(30_000)
                yield page
            finally:
                context.close()
        finally:
            browser.close()


def chart_state(page: Any) -> dict[str, dict[str, Any]]:
    state: dict[str, dict[str, Any]] = page.evaluate(
        "({counts: window.agbotkit.pointCounts(), newest: window.agbotkit.newest(),"
        " revisions: {...window.agbotkit.revisions}})"
    )
    return state


def test_demo_in_a_browser_kill_switch_and_clean_stop(
    tmp_path: Path, stacks: Callable[..., StackProcess], page: Any
) -> None:
    stack_file, _ = copy_demo(tmp_path)
    env, port = demo_env(speed=2)
    demo = stacks("demo", stack_file, env, port).start()
    demo.wait_ready()

    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.goto(demo.url)
    page.wait_for_function("window.agbotkit && window.agbotkit.connected")

    # -- the lag, msgs/s and position charts draw, then move --------------------------
    page.wait_for_function(
        "['lag', 'rate', 'positions'].every(n => window.agbotkit.pointCounts()[n] > 0)",
        timeout=45_000,
    )
    before = chart_state(page)
    page.wait_for_timeout(3000)
    after = chart_state(page)
    for chart in ("lag", "rate"):
        # The 60 s windows are not full yet: every second adds a point.
        assert after["counts"][chart] > before["counts"][chart], (chart, before, after)
        assert after["newest"][chart] > before["newest"][chart], (chart, before, after)
    assert after["newest"]["positions"] > before["newest"]["positions"], (before, after)
    assert after["revisions"]["positions"] > before["revisions"]["positions"], (before, after)
    assert after["counts"]["positions"] >= 1
    demo.assert_running()

    # -- minibot's quotes rest on the paper venue and fill: orders, fills, PnL on the page
    page.wait_for_function(
        "/confirmed/.test(document.getElementById('fills-body').innerText)", timeout=60_000
    )
    page.wait_for_function("/^total /.test(document.getElementById('pnl-total').textContent)")
    assert page.locator("#pnl-body tr").count() >= 1
    page.wait_for_function("/ open$/.test(document.getElementById('orders-count').textContent)")
    fills_before = demo.latest("exec.fills", {"side": "BUY"}) or 0.0
    placed_before = demo.latest("exec.orders_placed", {"venue": "paper", "side": "BUY"}) or 0.0
    assert placed_before > 0
    # It keeps trading: more orders are placed as the books move (not frozen at a limit).
    wait_until(
        lambda: (
            (demo.latest("exec.orders_placed", {"venue": "paper", "side": "BUY"}) or 0)
            > placed_before
        ),
        30,
        "minibot placing more orders",
        demo,
    )
    assert fills_before >= 1

    # -- decisions are being made; then the kill switch from the page -----------------
    wait_until(
        lambda: any(v == 1.0 for _, v, _ in demo.points("polymarket.risk.decision")),
        30,
        "an allowed risk decision before the kill switch",
        demo,
    )
    state = page.evaluate("window.agbotkit.killSwitch")
    assert state is not None, "the page knows of no risk component"
    assert not state["active"], f"the kill switch is active before the test triggers it: {state}"
    button = page.locator("#kill-button")
    page.wait_for_function("!document.getElementById('kill-button').disabled")
    assert button.inner_text() == "Trigger kill switch"
    dialogs: list[str] = []

    def accept(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    button.click()
    page.wait_for_function("document.getElementById('kill-state').textContent.startsWith('ACTIVE')")
    assert len(dialogs) == 1, dialogs
    assert "Trigger the kill switch?" in dialogs[0]
    killed_ms = page.evaluate("window.agbotkit.killSwitch.since_ms")
    assert isinstance(killed_ms, int), killed_ms
    assert abs(killed_ms - now_ms()) < 30_000, killed_ms

    # Decisions after the trigger are denials by KillSwitch (on the server and the page)...
    def kill_switch_denials() -> list[tuple[int, float, dict[str, str]]]:
        return [
            point
            for point in demo.points("polymarket.risk.decision", {"policy": "KillSwitch"})
            if point[0] >= killed_ms
        ]

    denials = wait_until(
        kill_switch_denials, 30, "a decision denied by KillSwitch after the trigger", demo
    )
    assert all(value == 0.0 for _, value, _ in denials), denials
    page.wait_for_function(
        "[...window.agbotkit.store.values()].some(s => s.name === 'polymarket.risk.decision'"
        f" && s.labels.policy === 'KillSwitch' && s.t.some(t => t >= {killed_ms}))"
    )
    page.wait_for_function(
        "(() => { const d = window.agbotkit.charts.kill.data[1]; return d[d.length - 1] === 1; })()"
    )
    time.sleep(3)  # a few more decision rounds (minibot considers trading every second)
    assert demo.latest("polymarket.risk.kill_switch") == 1.0
    assert "ACTIVE" in page.locator("#kill-state").inner_text()
    assert errors == [], errors
    page.context.close()  # the page would log its reconnect attempts once the stack stops

    # -- SIGTERM: a clean stop within the grace period ---------------------------------
    code, took = demo.terminate(within_s=GRACE_S)
    assert code == 0, f"exit code {code} after SIGTERM ({took:.1f} s):\n{demo.tail()}"
    demo.assert_no_traceback()

    # -- storage kept the orders, fills and metrics (flushed at the stop) ---------------
    stored = open_backend(parse_storage_url(f"sqlite:///{stack_file.parent}/.agbotkit/demo.db"))
    try:
        everything = ExecutionQuery(start_ms=0, end_ms=now_ms())
        orders = stored.query_orders(everything)
        approved = [o for o in orders if o.status == "approved"]
        denied_after = [o for o in orders if o.status == "denied" and o.timestamp_ms >= killed_ms]
        assert approved, orders[-5:]
        # The demo's KillSwitch allows reducing orders (sells of what is held) through risk...
        approved_after = [o for o in approved if o.timestamp_ms >= killed_ms]
        assert all(o.side == "SELL" for o in approved_after), approved_after[:3]
        assert denied_after, orders[-5:]
        assert all("KillSwitch" in o.reason for o in denied_after), denied_after[:3]
        # ...but the execution component sends nothing while the switch is on: no order
        # reached the venue after the trigger (an order in flight at that moment aside).
        sent_after = [
            o for o in orders
            if o.status in ("submitting", "accepted") and o.timestamp_ms > killed_ms + 2_000
        ]  # fmt: skip
        assert sent_after == [], sent_after[:3]
        fills = stored.query_fills(everything)
        assert fills, "minibot's paper fills were not stored"
        odd = [f for f in fills if f.venue != "paper" or not f.trade_id]
        assert odd == [], odd[:3]
        statuses = {o.status for o in orders}
        assert {"new", "submitting", "accepted", "filled"} <= statuses, statuses
        # The kill switch cancelled what rested; the stop left nothing open on the venue.
        assert "canceled" in statuses, statuses
        names = stored.metric_names()
        assert {"polymarket.clob.lag_ms", "polymarket.risk.decision"} <= set(names), names
    finally:
        stored.close()


@pytest.fixture(scope="module")
def small_stack(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[StackProcess, dict[str, Any]]]:
    """heartbeat, then a dashboard, named ``named-stack``: running, and its page's hello frame."""
    folder = tmp_path_factory.mktemp("small")
    port = free_port()
    stack_file = folder / "stack.yaml"
    stack_file.write_text(
        textwrap.dedent(f"""
        stack: {{name: named-stack, shutdown_grace_s: 5}}
        components:
          heartbeat: {{kind: heartbeat}}
          dashboard: {{kind: dashboard, port: {port}}}
        """)
    )
    proc = StackProcess("small", stack_file, dashboard_port=port).start()
    try:
        proc.wait_ready()

        async def hello() -> dict[str, Any]:
            conn = await ws_connect(f"ws://127.0.0.1:{port}/dashboard")
            try:
                with trio.fail_after(10):
                    while True:
                        for text in await conn.receive():
                            if isinstance(text, str):
                                frame: dict[str, Any] = json.loads(text)
                                if frame.get("type") == "hello":
                                    return frame
            finally:
                await conn.aclose()

        yield proc, trio.run(hello)
        code, _ = proc.terminate(within_s=10)
        assert code == 0, proc.tail()
    finally:
        proc.close()


def test_the_page_is_titled_with_the_stack_name(
    small_stack: tuple[StackProcess, dict[str, Any]],
) -> None:
    _, hello = small_stack
    assert hello["components"] == {"heartbeat": "ready", "dashboard": "ready"}
    assert hello["stack"] == "named-stack", hello["stack"]


def test_prometheus_has_component_up_for_every_component(
    small_stack: tuple[StackProcess, dict[str, Any]],
) -> None:
    proc, _ = small_stack
    ready = httpx.get(f"{proc.url}/readyz", timeout=5).json()["components"]
    assert ready == {"heartbeat": "ready", "dashboard": "ready"}
    up = {
        dict(labels)["component"]: value
        for (name, labels), value in proc.prometheus().items()
        if name == "agbotkit_component_up"
    }
    assert up == {"heartbeat": 1.0, "dashboard": 1.0}, up
