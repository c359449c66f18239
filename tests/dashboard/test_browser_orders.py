"""The execution panels and the cancel-all button in a real browser (Debian Chromium driven
by Playwright's sync API).

The dashboard runs in this process, in a thread of its own with its own Trio loop, so the
test publishes order updates, fills and positions on its bus directly (as the execution
and risk components would) and sees the cancel requests the page sends. Skipped, with the
reason, when Chromium or Playwright is missing (the fixtures in tests/conftest.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import trio
import trio.lowlevel

from agbotkit.bus.bus import Bus
from agbotkit.bus.topic import Topic
from agbotkit.model.execution import CancelAll, CancelRequest, OrderStatus, OrderStatusChanged
from agbotkit.model.orders import Fill, Order, Side, TradeStatus
from agbotkit.model.positions import Position, PositionSnapshot
from agbotkit.topics import CANCEL_REQUESTS, FILLS, ORDER_UPDATES, POSITIONS

from .conftest import Running, running_dashboard
from .test_browser import LAUNCH_ARGS, console_errors

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("chromium_path", "sync_api")]

T0 = 1_767_225_600_000
ORDER = Order(
    client_order_id="c-1", venue="paper", market_id="0xmarket", token_id="tok-yes",
    side=Side.BUY, price="0.42", size="10", strategy="minibot", created_ms=T0,
)  # fmt: skip


class DashboardThread:
    """A dashboard on a free port, in a thread running its own Trio loop, and what it
    publishes on ``CANCEL_REQUESTS`` (taken as an execution component would)."""

    def __init__(self) -> None:
        self.bus = Bus()
        self.cancels: list[CancelRequest] = []
        self._ready = threading.Event()
        self._thread = threading.Thread(target=trio.run, args=(self._main,), daemon=True)
        self._stop: trio.Event | None = None
        self._token: trio.lowlevel.TrioToken | None = None
        self.running: Running | None = None

    async def _main(self) -> None:
        self._token = trio.lowlevel.current_trio_token()
        self._stop = trio.Event()
        with self.bus.subscribe(CANCEL_REQUESTS, buffer=16) as requests:
            async with running_dashboard(self.bus) as running, trio.open_nursery() as nursery:
                self.running = running

                async def take() -> None:
                    async for request in requests:
                        self.cancels.append(request)

                nursery.start_soon(take)
                self._ready.set()
                await self._stop.wait()
                nursery.cancel_scope.cancel()

    @property
    def url(self) -> str:
        assert self.running is not None
        return self.running.url

    def publish(self, topic: Topic[Any], message: Any) -> None:
        trio.from_thread.run(self.bus.publish, topic, message, trio_token=self._token)

    def __enter__(self) -> DashboardThread:
        self._thread.start()
        assert self._ready.wait(30), "the dashboard did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._stop is not None
        trio.from_thread.run_sync(self._stop.set, trio_token=self._token)
        self._thread.join(30)


@pytest.fixture
def page(chromium_path: Path, sync_api: Any) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=LAUNCH_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            page = context.new_page()
            page.set_default_timeout(30_000)
            yield page
        finally:
            browser.close()


def snapshot(token: str, realised: str, cost: str, mark: str) -> PositionSnapshot:
    held = Position(
        token, "0xmarket", Decimal(10), Decimal(cost), Decimal(realised), Decimal(0), Decimal(mark)
    )
    return PositionSnapshot(position=held, timestamp_ms=T0, component="risk")


def test_open_orders_fills_pnl_and_cancel_all_in_the_page(page: Any) -> None:
    errors = console_errors(page)
    with DashboardThread() as dash:
        page.goto(dash.url)
        page.wait_for_function("window.agbotkit && window.agbotkit.connected")
        assert "no open orders" in page.locator("#orders-body").inner_text()

        dash.publish(
            ORDER_UPDATES,
            OrderStatusChanged(
                order=ORDER, status=OrderStatus.PARTIALLY_FILLED, venue_order_id="v-1",
                filled_size=Decimal(4), average_price=Decimal("0.41"), timestamp_ms=T0 + 1,
            ),
        )  # fmt: skip
        dash.publish(
            FILLS,
            Fill(
                token_id="tok-yes", side=Side.BUY, price="0.41", size="4", market_id="0xmarket",
                timestamp_ms=T0 + 1, order_id="v-1", client_order_id="c-1", trade_id="t-1",
                trade_status=TradeStatus.MATCHED, venue="paper",
            ),
        )  # fmt: skip
        dash.publish(POSITIONS, snapshot("tok-yes", "1.5", "4.2", "0.5"))  # unrealised +0.80
        dash.publish(POSITIONS, snapshot("tok-no", "-0.5", "5", "0.45"))  # unrealised -0.50

        page.wait_for_function(
            "document.querySelectorAll('#orders-body tr[data-order]').length === 1"
        )
        order_row = page.locator("#orders-body tr[data-order='c-1']").inner_text()
        for shown in ("BUY", "0.420", "4.00 / 10.00", "partially filled", "GTC"):
            assert shown in order_row, (shown, order_row)
        assert page.locator("#orders-count").inner_text() == "1 open"
        page.wait_for_function("document.getElementById('fills-body').innerText.includes('0.410')")
        assert "matched" in page.locator("#fills-body").inner_text()
        page.wait_for_function("document.getElementById('pnl-total').textContent === 'total $1.30'")
        pnl = page.locator("#pnl-body").inner_text()
        assert "$1.00" in pnl  # realised
        assert "$0.30" in pnl  # unrealised

        button = page.locator("#cancel-all-button")
        page.wait_for_function("!document.getElementById('cancel-all-button').disabled")
        page.once("dialog", lambda dialog: dialog.dismiss())
        button.click()
        page.wait_for_timeout(300)
        assert dash.cancels == []  # not confirmed: nothing sent

        dialogs: list[str] = []

        def accept(dialog: Any) -> None:
            dialogs.append(dialog.message)
            dialog.accept()

        page.on("dialog", accept)
        button.click()
        page.wait_for_function(
            "document.getElementById('cancel-note').textContent.endsWith('sent')"
        )
        assert "Cancel every open order (1 shown open)?" in dialogs[0]
        assert dash.cancels == [CancelAll(reason="dashboard button", source="api")]

        # The execution component's answer: the order is cancelled, and leaves the table.
        dash.publish(
            ORDER_UPDATES,
            OrderStatusChanged(
                order=ORDER, status=OrderStatus.CANCELED, previous=OrderStatus.CANCEL_PENDING,
                filled_size=Decimal(4), timestamp_ms=T0 + 2,
            ),
        )  # fmt: skip
        page.wait_for_function(
            "document.getElementById('orders-body').innerText.includes('no open orders')"
        )
    assert errors == []
