"""Helpers for the dashboard tests: a dashboard on a real loopback port, WebSocket clients."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import attrs
import pytest
import trio
from trio_websocket import ConnectionClosed, WebSocketConnection, open_websocket_url

from agbotkit.abc import ComponentContext
from agbotkit.bus.bus import Bus
from agbotkit.dashboard.component import Dashboard, DashboardConfig
from agbotkit.dashboard.hub import DashboardHub


@attrs.frozen
class Running:
    """A dashboard serving on 127.0.0.1 (a free port) for one test."""

    component: Dashboard
    bus: Bus

    @property
    def url(self) -> str:
        return self.component.urls[0]

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http")

    @property
    def hub(self) -> DashboardHub:
        assert self.component.hub is not None
        return self.component.hub


@asynccontextmanager
async def running_dashboard(bus: Bus | None = None, **options: Any) -> AsyncIterator[Running]:
    """Start a ``dashboard`` component on port 0; stop it when the block ends."""
    bus = Bus() if bus is None else bus
    options.setdefault("port", 0)
    options.setdefault("push_interval_s", 0.05)
    component = Dashboard(DashboardConfig(**options), ComponentContext("dashboard", bus))
    async with trio.open_nursery() as nursery:
        await nursery.start(component.run)
        yield Running(component, bus)
        nursery.cancel_scope.cancel()


@pytest.fixture
async def dashboard() -> AsyncIterator[Running]:
    """A dashboard with the default options (but a 50 ms push interval)."""
    async with running_dashboard() as running:
        yield running


@asynccontextmanager
async def browser(running: Running, query: str = "") -> AsyncIterator[WebSocketConnection]:
    """A browser-like client of ``WS /dashboard`` (its hello frame already read)."""
    async with open_websocket_url(f"{running.ws_url}/dashboard{query}") as ws:
        hello = json.loads(await ws.get_message())
        assert hello["type"] == "hello"
        yield ws


async def next_frame(ws: WebSocketConnection, timeout_s: float = 5.0) -> dict[str, Any]:
    """The next JSON frame."""
    with trio.fail_after(timeout_s):
        frame: dict[str, Any] = json.loads(await ws.get_message())
        return frame


async def closed_reason(ws: WebSocketConnection, timeout_s: float = 3.0) -> Any:
    """Read (and drop) messages until the server closes ``ws``; its close reason."""
    with trio.fail_after(timeout_s):
        try:
            while True:
                await ws.get_message()
        except ConnectionClosed as closed:
            return closed.reason


async def wait_for(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    """Poll ``condition`` (every 10 ms) until true; fail after ``timeout_s``."""
    with trio.fail_after(timeout_s):
        # Polling: the conditions are plain state of the server, with no event to wait on.
        while not condition():  # noqa: ASYNC110
            await trio.sleep(0.01)
