"""The dashboard's ``/api/series`` reaching past its ring buffers into the storage database."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs
import httpx
import trio

from agbotkit.abc import ComponentContext
from agbotkit.bus.bus import Bus
from agbotkit.dashboard.component import Dashboard, DashboardConfig
from agbotkit.dashboard.history import thin
from agbotkit.dashboard.hub import DashboardHub
from agbotkit.db.database import DatabaseConfig
from agbotkit.db.migrations import upgrade
from agbotkit.model.metrics import Metric
from agbotkit.topics import METRICS

from .conftest import OpenDb

MINUTE = 60_000


@attrs.frozen
class Running:
    """A dashboard serving on a free loopback port."""

    component: Dashboard

    @property
    def url(self) -> str:
        return self.component.urls[0]

    @property
    def hub(self) -> DashboardHub:
        assert self.component.hub is not None
        return self.component.hub


@asynccontextmanager
async def running_dashboard(bus: Bus, **options: Any) -> AsyncIterator[Running]:
    config = DashboardConfig(port=0, push_interval_s=0.05, **options)
    component = Dashboard(config, ComponentContext("dashboard", bus))
    async with trio.open_nursery() as nursery:
        await nursery.start(component.run)
        yield Running(component)
        nursery.cancel_scope.cancel()


async def series_of(running: Running, **params: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=running.url) as client:
        response = await client.get("/api/series", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def fill_ring(running: Running, bus: Bus, points: list[tuple[int, float]]) -> None:
    for ts, value in points:
        bus.publish_nowait(METRICS, Metric.gauge("test.hist", value, ts, {"feed": "clob"}))
    key = (("feed", "clob"),)

    def arrived() -> bool:
        latest = running.hub.store.latest_value("test.hist", key)
        return latest is not None and latest.timestamp_ms == points[-1][0]

    with trio.fail_after(5):
        while not arrived():  # noqa: ASYNC110 - the dashboard sets no event per sample
            await trio.sleep(0.01)


async def test_older_points_come_from_storage_without_overlap(
    storage_url: str, open_db: OpenDb, timescale_mode: str
) -> None:
    now = time.time_ns() // 1_000_000
    everything = [(now - (60 - i) * MINUTE, float(i)) for i in range(60)]  # an hour, 1/min
    backend = open_db(storage_url)
    upgrade(backend)
    backend.write_metrics(
        [Metric.gauge("test.hist", v, ts, {"feed": "clob"}) for ts, v in everything]
        + [Metric.gauge("test.only_stored", 7.0, now - 30 * MINUTE)]
    )
    history = DatabaseConfig(url=storage_url, timescaledb=timescale_mode)
    bus = Bus()
    # The ring keeps only the newest 10 points: the 50 before come from the database.
    async with running_dashboard(bus, capacity_per_series=10, history=history) as running:
        await fill_ring(running, bus, everything)
        body = await series_of(
            running, name="test.hist", since=now - 2 * 60 * MINUTE, label="feed:clob"
        )
        (series,) = body["series"]
        assert [tuple(p) for p in series["points"]] == everything
        assert "history_error" not in body

        wildcard = await series_of(running, name="test.*", since=now - 2 * 60 * MINUTE)
        names = sorted(s["name"] for s in wildcard["series"])
        assert names == ["test.hist", "test.only_stored"]

        thinned = await series_of(
            running, name="test.hist", since=now - 2 * 60 * MINUTE, max_points=12
        )
        points = thinned["series"][0]["points"]
        assert 1 <= len(points) <= 12
        assert points[-1] == list(everything[-1])

        # Without `since` the answer is the ring buffers' alone.
        ring_only = await series_of(running, name="test.hist")
        assert len(ring_only["series"][0]["points"]) == 10


async def test_an_unreadable_database_still_answers_from_the_ring(tmp_path: Path) -> None:
    folder = tmp_path / "not-a-database.db"
    folder.mkdir()  # a folder where the file should be: SQLite cannot open it
    history = DatabaseConfig(url=f"sqlite:///{folder}")
    bus = Bus()
    now = time.time_ns() // 1_000_000
    async with running_dashboard(bus, history=history) as running:
        await fill_ring(running, bus, [(now - 1000, 1.0), (now, 2.0)])
        body = await series_of(running, name="test.hist", since=now - 60 * MINUTE)
    assert [p[1] for p in body["series"][0]["points"]] == [1.0, 2.0]
    assert body["history_error"]


def test_thin_keeps_the_newest_point_of_each_time_bucket() -> None:
    points = [(t, float(t)) for t in range(100)]
    assert thin(points, 200) == points
    kept = thin(points, 10)
    assert kept == [(t, float(t)) for t in range(9, 100, 10)]
