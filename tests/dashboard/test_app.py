"""The dashboard server on real loopback sockets: ingest, fan-out, history, Prometheus,
security, health, the kill-switch API and a prompt stop."""

from __future__ import annotations

import contextlib
import json
import logging
import random
import socket
import time
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import trio
from prometheus_client.parser import text_string_to_metric_families
from trio_websocket import ConnectionClosed, ConnectionRejected, open_websocket_url

from agbotkit.abc import Component, ComponentContext
from agbotkit.bus.bus import Bus
from agbotkit.bus.topic import Overflow
from agbotkit.dashboard.auth import is_loopback, load_token
from agbotkit.dashboard.broadcast import Batch, Broadcaster
from agbotkit.dashboard.component import Dashboard, DashboardConfig
from agbotkit.errors import TokenError
from agbotkit.metrics.protocol import encode_metrics
from agbotkit.model.components import ComponentState, ComponentStateChanged
from agbotkit.model.markets import MarketInfo
from agbotkit.model.metrics import Metric
from agbotkit.model.risk import KillSwitchChanged, KillSwitchCommand
from agbotkit.supervisor.runner import Supervisor
from agbotkit.testing import plan_from_yaml
from agbotkit.topics import COMPONENT_STATES, MARKETS, METRICS, RISK_COMMANDS, RISK_STATE

from .conftest import Running, browser, closed_reason, next_frame, running_dashboard, wait_for

T0 = 1_700_000_000_000


def lag(value: float, ts: int, feed: str = "clob") -> Metric:
    return Metric.gauge(f"polymarket.{feed}.lag_ms", value, ts)


async def send(running: Running, *messages: str | bytes) -> None:
    """Send ``messages`` on one ``WS /metrics`` connection, then leave."""
    async with open_websocket_url(f"{running.ws_url}/metrics") as feed:
        for message in messages:
            await feed.send_message(message)


async def points_of(running: Running, name: str) -> list[list[float]]:
    async with httpx.AsyncClient(base_url=running.url) as client:
        response = await client.get("/api/series", params={"name": name})
    series = response.json()["series"]
    return [point for s in series for point in s["points"]]


async def collect(ws: Any, name: str, count: int, timeout_s: float = 5.0) -> list[dict[str, Any]]:
    """Batch frames until ``count`` points of ``name`` arrived; returns the frames with any."""
    frames, seen = [], 0
    with trio.fail_after(timeout_s):
        while seen < count:
            frame = await next_frame(ws)
            mine = [s for s in frame["series"] if s["name"] == name]
            if mine:
                frames.append(frame)
                seen += sum(len(s["points"]) for s in mine)
    return frames


# -- ingest -----------------------------------------------------------------------------


async def test_ingested_metrics_are_stored_and_streamed_not_republished(
    dashboard: Running,
) -> None:
    metrics = [lag(10.0 + i, T0 + i) for i in range(5)]
    with dashboard.bus.subscribe(METRICS) as local:
        async with browser(dashboard) as page:
            await send(dashboard, encode_metrics(metrics))
            frames = await collect(page, "polymarket.clob.lag_ms", 5)
        assert [p for f in frames for s in f["series"] for p in s["points"]] == [
            [T0 + i, 10.0 + i] for i in range(5)
        ]
        assert frames[0]["series"][0]["metric_type"] == "gauge"
        assert await points_of(dashboard, "polymarket.clob.lag_ms") == [
            [T0 + i, 10.0 + i] for i in range(5)
        ]
        await trio.sleep(0.1)
        names = set()
        while True:
            try:
                names.add(local.receive_nowait().name)
            except trio.WouldBlock:
                break
    # Only the dashboard's own counters: an emitter here would loop the metrics back.
    assert "polymarket.clob.lag_ms" not in names


async def test_local_bus_metrics_are_stored_and_streamed(dashboard: Running) -> None:
    async with browser(dashboard) as page:
        dashboard.bus.publish_nowait(METRICS, lag(3.0, T0, feed="rtds"))
        frames = await collect(page, "polymarket.rtds.lag_ms", 1)
    assert frames[0]["series"][0]["points"] == [[T0, 3.0]]
    assert await points_of(dashboard, "polymarket.rtds.lag_ms") == [[T0, 3.0]]


async def test_malformed_lines_are_dropped_counted_and_logged_rate_limited(
    dashboard: Running, caplog: pytest.LogCaptureFixture
) -> None:
    good = encode_metrics([lag(1.0, T0), lag(2.0, T0 + 1)]).split("\n")
    mixed = "\n".join([good[0], "not json", '{"timestamp": 1}', "", good[1]])
    with dashboard.bus.subscribe(METRICS) as local:
        with caplog.at_level(logging.WARNING):
            await send(dashboard, mixed, "[1, 2]")
            await wait_for(lambda: dashboard.hub.counters.get("agbotkit.metrics.malformed") == 3)
        assert await points_of(dashboard, "polymarket.clob.lag_ms") == [[T0, 1.0], [T0 + 1, 2.0]]
        warnings = [r for r in caplog.records if "malformed" in r.getMessage()]
        assert len(warnings) == 1  # the second message's bad line is counted, not logged
        assert "line 2: invalid JSON" in warnings[0].getMessage()
        assert "line 3: missing field 'metric_type'" in warnings[0].getMessage()
        with trio.fail_after(3):  # published on the bus as a counter metric
            async for sample in local:
                if sample.name == "agbotkit.metrics.malformed":
                    assert sample.metric_type == "counter"
                    assert sample.value == 3.0
                    break


async def test_unknown_names_are_kept(dashboard: Running) -> None:
    await send(dashboard, encode_metrics([Metric.gauge("team.custom.thing", 7.0, T0, {"x": "y"})]))
    await wait_for(
        lambda: dashboard.hub.store.latest_value("team.custom.thing", {"x": "y"}) is not None
    )
    assert await points_of(dashboard, "team.custom.thing") == [[T0, 7.0]]


async def test_binary_frames_are_read_as_utf8(dashboard: Running) -> None:
    await send(dashboard, encode_metrics([lag(4.0, T0)]).encode())
    await send(dashboard, b"\xff\xfe not utf-8")
    await wait_for(lambda: dashboard.hub.counters.get("agbotkit.metrics.malformed") == 1)
    assert await points_of(dashboard, "polymarket.clob.lag_ms") == [[T0, 4.0]]


async def test_an_oversize_frame_closes_the_connection_with_1009() -> None:
    async with running_dashboard(max_frame_bytes=2048) as running:
        fits = encode_metrics([lag(float(i), T0 + i) for i in range(10)])
        too_big = encode_metrics([lag(float(i), T0 + 100 + i) for i in range(60)])
        assert len(fits) < 2048 < len(too_big)
        async with open_websocket_url(f"{running.ws_url}/metrics") as feed:
            await feed.send_message(fits)
            await feed.send_message(too_big)
            reason = await closed_reason(feed)
        assert reason.code == 1009
        assert "exceeds 2048" in reason.reason
        assert running.hub.counters["agbotkit.dashboard.oversize_frames"] == 1
        assert len(await points_of(running, "polymarket.clob.lag_ms")) == 10


async def test_too_many_messages_per_second_close_with_1008() -> None:
    async with running_dashboard(max_messages_per_second=5) as running:
        async with open_websocket_url(f"{running.ws_url}/metrics") as feed:
            for i in range(20):
                with contextlib.suppress(ConnectionClosed):  # closed once over the limit
                    await feed.send_message(encode_metrics([lag(1.0, T0 + i)]))
            assert (await closed_reason(feed)).code == 1008
        assert running.hub.counters["agbotkit.dashboard.rate_limited"] == 1
        assert len(await points_of(running, "polymarket.clob.lag_ms")) == 5


# -- fan-out ----------------------------------------------------------------------------


async def test_the_hello_frame_describes_the_stack() -> None:
    bus = Bus()
    bus.publish_retained(
        COMPONENT_STATES,
        "feed",
        ComponentStateChanged("feed", "clob_market", ComponentState.STARTING, T0),
    )
    async with (
        running_dashboard(bus, title="my bot") as running,
        open_websocket_url(f"{running.ws_url}/dashboard") as page,
    ):
        hello = await next_frame(page)
    assert hello["type"] == "hello"
    assert hello["stack"] == "my bot"
    assert hello["components"] == {"feed": "starting"}
    assert hello["kill_switch"] is None
    assert abs(hello["server_ms"] - time.time() * 1000) < 5000


async def test_every_browser_gets_batched_frames_at_the_push_rate() -> None:
    async with (
        running_dashboard(push_interval_s=0.2) as running,
        browser(running) as a,
        browser(running) as b,
        browser(running) as c,
    ):
        messages = [
            encode_metrics([lag(float(i), T0 + 50 * m + i) for i in range(50)]) for m in range(10)
        ]
        await send(running, *messages)
        for page in (a, b, c):
            frames = await collect(page, "polymarket.clob.lag_ms", 500)
            # 500 samples in 10 messages arrive in a few frames, not one per metric
            assert len(frames) <= 3
            points = [p for f in frames for s in f["series"] for p in s["points"]]
            assert points == [[T0 + i, float(i % 50)] for i in range(500)]
            assert all(f["type"] == "batch" and "server_ms" in f for f in frames)


async def test_a_stalled_browser_is_coalesced_then_evicted_and_slows_no_one() -> None:
    async with running_dashboard(
        push_interval_s=0.05,
        browser_queue_frames=2,
        slow_client_timeout_s=1.0,
        capacity_per_series=50,
        max_frame_bytes=4 << 20,
    ) as running:
        port = int(running.url.rsplit(":", 1)[1])
        # A raw WebSocket client with a tiny receive buffer that never reads.
        sock = trio.socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        await sock.connect(("127.0.0.1", port))
        stalled = trio.SocketStream(sock)
        await stalled.send_all(
            f"GET /dashboard HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode()
            + b"Upgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            b"Sec-WebSocket-Version: 13\r\n\r\n"
        )
        assert (await stalled.receive_some(1024)).startswith(b"HTTP/1.1 101")
        await wait_for(lambda: running.hub.broadcaster.browsers == 1)
        (stalled_queue,) = running.hub.broadcaster.queues
        received = {"a": 0, "b": 0}
        total = 40 * 200

        async def read(page: Any, key: str) -> None:
            while received[key] < total:
                frame = await next_frame(page)
                received[key] += sum(
                    len(s["points"]) for s in frame["series"] if s["name"].startswith("load.")
                )

        async with browser(running) as a, browser(running) as b, trio.open_nursery() as nursery:
            nursery.start_soon(read, a, "a")
            nursery.start_soon(read, b, "b")
            label = "x" * 400  # long labels: frames of ~100 KB fill the stalled socket fast
            async with open_websocket_url(f"{running.ws_url}/metrics") as feed:
                for m in range(40):
                    batch = [
                        Metric.gauge(f"load.s{i}", float(m), T0 + m, {"pad": label})
                        for i in range(200)
                    ]
                    await feed.send_message(encode_metrics(batch))
                    # Paced by the readers: each message reaches both before the next one
                    # goes, so a stalled browser holding up the fan-out would stop the loop.
                    sent = (m + 1) * 200
                    await wait_for(lambda sent=sent: min(received.values()) >= sent)  # type: ignore[misc]
        assert received == {"a": total, "b": total}
        assert stalled_queue.coalesced > 0
        assert len(stalled_queue) <= 2
        await wait_for(lambda: stalled_queue.evicted.is_set(), 3.0)
        assert "too slow" in stalled_queue.evicted_reason
        assert running.hub.broadcaster.evictions == 1
        await stalled.aclose()  # unread data: the kernel resets the connection


async def test_a_slow_queue_coalesces_keeping_the_latest_then_is_evicted(
    autojump_clock: trio.abc.Clock,
) -> None:
    broadcaster = Broadcaster(max_points_per_series=3, queue_frames=2, slow_client_timeout_s=30)
    with broadcaster.subscribe() as queue:
        for i in range(10):
            broadcaster.add(lag(float(i), T0 + i))
            broadcaster.push(T0 + i)
            await trio.sleep(1)
        assert len(queue) <= 2
        assert queue.coalesced > 0
        frames = [json.loads((await queue.get()).text()) for _ in range(len(queue))]
        points = [p for f in frames for s in f["series"] for p in s["points"]]
        assert points[-1] == [T0 + 9, 9.0]  # the latest value survives coalescing
        assert len(points) <= 3 + 2  # at most max_points in the merged batch, plus one
        for i in range(40):
            broadcaster.add(lag(float(i), T0 + 10 + i))
            broadcaster.push(T0 + 10 + i)
            assert queue.evicted.is_set() is (i > 30)  # no progress for 30 s: evicted
            await trio.sleep(1)
        assert broadcaster.evictions == 1
    assert broadcaster.browsers == 0


async def test_a_batch_is_encoded_once_and_merges_in_order() -> None:
    broadcaster = Broadcaster()
    assert broadcaster.push(T0) is None  # nothing to send
    broadcaster.add(lag(1.0, T0))
    broadcaster.set_kill_switch({"active": True})
    first = broadcaster.push(T0)
    assert first is not None
    assert first.text() is first.text()
    broadcaster.add(lag(2.0, T0 + 1))
    second = broadcaster.push(T0 + 1)
    assert second is not None
    assert second.kill_switch is None
    merged = Batch.merge([first, second], 10)
    frame = json.loads(merged.text())
    assert frame["series"][0]["points"] == [[T0, 1.0], [T0 + 1, 2.0]]
    assert frame["kill_switch"] == {"active": True}
    assert merged.point_count == 2


# -- history and Prometheus -------------------------------------------------------------


@pytest.fixture
async def with_history(dashboard: Running) -> Running:
    for i in range(10):
        for feed in ("clob", "rtds"):
            dashboard.bus.publish_nowait(
                METRICS, Metric.gauge(f"polymarket.{feed}.lag_ms", float(i), T0 + i, {"feed": feed})
            )
        dashboard.bus.publish_nowait(
            METRICS, Metric.gauge("polymarket.clob.lag_ms", 5.0, T0 + i, {"feed": "clob", "x": "y"})
        )
    await wait_for(lambda: dashboard.hub.store.series_count >= 3)
    await wait_for(
        lambda: (
            (m := dashboard.hub.store.latest_value("polymarket.clob.lag_ms", {"feed": "clob"}))
            is not None
            and m.value == 9.0
        )
    )
    return dashboard


async def test_series_api_backfills_history(with_history: Running) -> None:
    async with httpx.AsyncClient(base_url=with_history.url) as client:

        async def get(**params: Any) -> list[dict[str, Any]]:
            response = await client.get("/api/series", params=params)
            assert response.status_code == 200, response.text
            series: list[dict[str, Any]] = response.json()["series"]
            return series

        clob = await get(name="polymarket.clob.lag_ms")
        assert [s["labels"] for s in clob] == [{"feed": "clob"}, {"feed": "clob", "x": "y"}]
        assert clob[0] == {
            "name": "polymarket.clob.lag_ms",
            "labels": {"feed": "clob"},
            "metric_type": "gauge",
            "points": [[T0 + i, float(i)] for i in range(10)],
        }
        only = await get(name="polymarket.clob.lag_ms", label=["feed:clob", "x:y"])
        assert [s["labels"] for s in only] == [{"feed": "clob", "x": "y"}]
        assert await get(name="polymarket.clob.lag_ms", label=["x:z"]) == []
        recent = await get(name="polymarket.clob.lag_ms", label="x:y", since=T0 + 6)
        assert [p[0] for p in recent[0]["points"]] == [T0 + 6, T0 + 7, T0 + 8, T0 + 9]
        every_feed = await get(name="polymarket.*.lag_ms", max_points=2)
        assert sorted(s["labels"]["feed"] for s in every_feed) == ["clob", "clob", "rtds"]
        assert all(len(s["points"]) == 2 and s["points"][-1][0] == T0 + 9 for s in every_feed)
        assert await get(name="nothing.here") == []
        for bad in ({}, {"name": "a", "label": "novalue"}, {"name": "a", "since": "soon"}):
            response = await client.get("/api/series", params=bad)
            assert response.status_code == 400
            assert response.json()["error"]
        response = await client.get("/api/series", params={"name": "a", "max_points": 0})
        assert response.status_code == 400


async def test_prometheus_exposition_parses(with_history: Running) -> None:
    await send(
        with_history, encode_metrics([Metric.counter("agbotkit.orders.sent", 42.0, T0, {"v": "1"})])
    )
    await wait_for(lambda: "agbotkit.orders.sent" in with_history.hub.store.names())
    async with httpx.AsyncClient(base_url=with_history.url) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    lag_family = families["polymarket_clob_lag_ms"]
    assert lag_family.type == "gauge"
    values = {tuple(sorted(s.labels.items())): s.value for s in lag_family.samples}
    assert values[(("feed", "clob"),)] == 9.0
    assert values[(("feed", "clob"), ("x", "y"))] == 5.0
    orders = families["agbotkit_orders_sent"]
    assert orders.type == "counter"
    assert [(s.name, s.value) for s in orders.samples] == [("agbotkit_orders_sent_total", 42.0)]


# -- security ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.5.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.org", False),
    ],
)
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_token_sources(tmp_path: Path) -> None:
    assert load_token(host="127.0.0.1", token_env=None, token_file=None, insecure=False) is None
    assert load_token(host="0.0.0.0", token_env=None, token_file=None, insecure=True) is None
    with pytest.raises(TokenError, match="needs an access token"):
        load_token(host="0.0.0.0", token_env=None, token_file=None, insecure=False)
    env = {"DASH_TOKEN": " s3cret\n"}
    token = load_token(
        host="0.0.0.0", token_env="DASH_TOKEN", token_file=None, insecure=False, environ=env
    )
    assert token == "s3cret"
    with pytest.raises(TokenError, match="'MISSING' is not set"):
        load_token(
            host="127.0.0.1", token_env="MISSING", token_file=None, insecure=False, environ={}
        )
    path = tmp_path / "token"
    path.write_text("from-file\n")
    assert load_token(host="::", token_env=None, token_file=path, insecure=False) == "from-file"
    path.write_text("  ")
    with pytest.raises(TokenError, match="is empty"):
        load_token(host="::", token_env=None, token_file=path, insecure=False)
    with pytest.raises(TokenError, match="cannot read"):
        load_token(host="::", token_env=None, token_file=tmp_path / "nope", insecure=False)


async def test_off_loopback_without_a_token_refuses_to_start_unless_insecure() -> None:
    with pytest.RaisesGroup(pytest.RaisesExc(TokenError, match="needs an access token")):
        async with running_dashboard(host="0.0.0.0"):
            pass  # pragma: no cover - never reached
    async with running_dashboard(host="0.0.0.0", insecure=True) as running:
        port = running.url.rsplit(":", 1)[1]
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{port}/api/series?name=x")
        assert response.status_code == 200


async def test_with_a_token_every_protected_endpoint_needs_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AGBOTKIT_TEST_TOKEN", "s3cret")
    async with running_dashboard(host="0.0.0.0", token_env="AGBOTKIT_TEST_TOKEN") as running:
        port = running.url.rsplit(":", 1)[1]
        base = f"http://127.0.0.1:{port}"
        ws_base = f"ws://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base) as client:
            for method, path in [
                ("GET", "/"),
                ("GET", "/api/series?name=x"),
                ("GET", "/metrics"),
                ("POST", "/api/risk/kill"),
                ("POST", "/api/risk/reset"),
            ]:
                body = {} if method == "POST" else None
                response = await client.request(method, path, json=body)
                assert response.status_code == 401, path
                assert response.headers["www-authenticate"].startswith("Bearer")
                wrong = await client.request(
                    method, path, json=body, headers={"Authorization": "Bearer no"}
                )
                assert wrong.status_code == 401, path
            good = {"Authorization": "Bearer s3cret"}
            assert (await client.get("/", headers=good)).status_code == 200
            assert (await client.get("/?token=s3cret")).status_code == 200
            assert (await client.get("/metrics", headers=good)).status_code == 200
            assert (await client.get("/healthz")).status_code == 200
            assert (await client.get("/static/app.js")).status_code == 200
        for path in ("/dashboard", "/metrics", "/dashboard?token=no"):
            with pytest.raises(ConnectionRejected) as rejected:
                async with open_websocket_url(ws_base + path):
                    pass  # pragma: no cover - never reached
            assert rejected.value.status_code == 401
        async with open_websocket_url(f"{ws_base}/dashboard?token=s3cret") as page:
            assert json.loads(await page.get_message())["type"] == "hello"
        headers = [(b"Authorization", b"Bearer s3cret")]
        async with open_websocket_url(f"{ws_base}/metrics", extra_headers=headers) as feed:
            await feed.send_message(encode_metrics([lag(1.0, T0)]))
        await wait_for(lambda: running.hub.store.series_count > 0)


async def test_static_files_and_vendor_allow_list(dashboard: Running) -> None:
    async with httpx.AsyncClient(base_url=dashboard.url) as client:
        page = await client.get("/")
        assert page.status_code == 200
        assert "/static/vendor/uPlot.iife.min.js" in page.text
        for path in ("/static/app.js", "/static/style.css", "/static/vendor/uPlot.min.css"):
            assert (await client.get(path)).status_code == 200, path
        uplot = await client.get("/static/vendor/uPlot.iife.min.js")
        assert uplot.status_code == 200
        assert "v1.6.32" in uplot.text[:200]
        for path in (
            "/static/vendor/uPlot.LICENSE",
            "/static/node_modules/uplot/package.json",
            "/static/package.json",
            "/static/../pyproject.toml",
            "/static/nothing.js",
        ):
            assert (await client.get(path)).status_code == 404, path


# -- health -----------------------------------------------------------------------------


class Gate(Component[Any]):
    """Becomes ready when the test opens it."""

    opened: ClassVar[trio.Event]

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        await Gate.opened.wait()
        task_status.started()
        await trio.sleep_forever()


class SpyDashboard(Dashboard):
    """The dashboard, remembering its instances so a test can find its port."""

    instances: ClassVar[list[Dashboard]] = []

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        SpyDashboard.instances.append(self)
        await super().run(task_status=task_status)


async def test_healthz_and_readyz_follow_the_supervisor() -> None:
    Gate.opened = trio.Event()
    SpyDashboard.instances.clear()
    plan = plan_from_yaml(
        """
        components:
          dashboard: {kind: spy_dashboard, port: 0}
          gate: {kind: gate, needs: [dashboard]}
        """,
        {"spy_dashboard": SpyDashboard, "gate": Gate},
    )
    supervisor = Supervisor(plan, rng=random.Random(1))
    async with trio.open_nursery() as nursery:
        nursery.start_soon(supervisor.run)
        await wait_for(lambda: bool(SpyDashboard.instances) and bool(SpyDashboard.instances[0].hub))
        dash = SpyDashboard.instances[0]
        assert dash.hub is not None
        hub = dash.hub
        await wait_for(lambda: "gate" in hub.components)
        async with httpx.AsyncClient(base_url=dash.urls[0]) as client:
            assert (await client.get("/healthz")).json() == {"status": "ok"}
            response = await client.get("/readyz")
            assert response.status_code == 503
            assert response.json()["not_ready"] == {"gate": "starting"}
            Gate.opened.set()
            await wait_for(lambda: supervisor.ready)
            response = await client.get("/readyz")
            assert response.status_code == 200
            assert response.json() == {
                "ready": True,
                "not_ready": {},
                "components": {"dashboard": "ready", "gate": "ready"},
            }
        supervisor.request_stop()


# -- kill switch ------------------------------------------------------------------------


async def fake_risk(
    bus: Bus,
    received: list[KillSwitchCommand],
    *,
    answer: bool = True,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Answers kill-switch commands on RISK_STATE, like the risk component."""
    with bus.subscribe(RISK_COMMANDS, buffer=8, overflow=Overflow.BLOCK) as commands:
        start = KillSwitchChanged(False, "", None, "startup", component="risk", timestamp_ms=T0)
        bus.publish_retained(RISK_STATE, "risk", start)
        task_status.started()
        async for command in commands:
            received.append(command)
            if answer:
                active = command.action == "trigger"
                reason = f"manual ({command.source}): {command.reason}" if active else ""
                change = KillSwitchChanged(
                    active,
                    reason,
                    T0 + 1 if active else None,
                    command.source,
                    component="risk",
                    timestamp_ms=T0 + len(received),
                    command_id=command.command_id,
                )
                bus.publish_retained(RISK_STATE, "risk", change)


async def test_kill_switch_without_a_risk_component_is_409(dashboard: Running) -> None:
    async with httpx.AsyncClient(base_url=dashboard.url) as client:
        response = await client.post("/api/risk/kill", json={})
    assert response.status_code == 409
    assert "no risk component" in response.json()["error"]


async def test_kill_and_reset_publish_commands_and_answer_with_the_new_state() -> None:
    bus = Bus()
    received: list[KillSwitchCommand] = []
    async with trio.open_nursery() as nursery:
        await nursery.start(fake_risk, bus, received)
        async with (
            running_dashboard(bus) as running,
            browser(running) as page,
            httpx.AsyncClient(base_url=running.url) as client,
        ):
            response = await client.post("/api/risk/kill", json={"reason": "test"})
            assert response.status_code == 202
            body = response.json()
            assert body["changed"] is True
            assert body["kill_switch"]["active"] is True
            assert body["kill_switch"]["reason"] == "manual (dashboard): test"
            assert received == [
                KillSwitchCommand(
                    "trigger", "test", "dashboard", None, command_id=body["command"]["command_id"]
                )
            ]
            assert body["answered"] is True
            with trio.fail_after(3):  # the browsers hear of it too
                while not (frame := await next_frame(page)).get("kill_switch", {}).get("active"):
                    pass
            assert frame["kill_switch"]["active"] is True
            assert frame["kill_switch"]["components"]["risk"]["active"] is True

            response = await client.post("/api/risk/reset", json={})
            assert response.status_code == 202
            assert response.json()["kill_switch"]["active"] is False
            assert received[-1] == KillSwitchCommand(
                "reset", "", "dashboard", None, command_id=received[-1].command_id
            )
            assert response.json()["command"]["command_id"] == received[-1].command_id
            assert len({command.command_id for command in received}) == len(received)

            # Nothing to change: the answer still comes (by its id), and says so at once.
            again = await client.post("/api/risk/reset", json={})
            assert again.status_code == 202
            assert again.json()["answered"] is True
            assert again.json()["changed"] is False

            bad = await client.post("/api/risk/kill", json=[1])
            assert bad.status_code == 400
            bad = await client.post("/api/risk/kill", json={"reason": 5})
            assert bad.status_code == 400
        nursery.cancel_scope.cancel()


async def test_kill_answers_202_without_state_when_the_risk_component_is_silent() -> None:
    bus = Bus()
    received: list[KillSwitchCommand] = []
    async with trio.open_nursery() as nursery:
        await nursery.start(partial_fake_risk(bus, received))
        async with (
            running_dashboard(bus, kill_wait_s=0.3) as running,
            httpx.AsyncClient(base_url=running.url) as client,
        ):
            response = await client.post("/api/risk/kill", json={})
        nursery.cancel_scope.cancel()
    assert response.status_code == 202
    assert response.json()["answered"] is False
    assert response.json()["changed"] is False
    assert response.json()["kill_switch"]["active"] is False  # the state it had
    assert len(received) == 1


def partial_fake_risk(bus: Bus, received: list[KillSwitchCommand]) -> Any:
    async def silent(*, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        await fake_risk(bus, received, answer=False, task_status=task_status)

    return silent


# -- stopping ---------------------------------------------------------------------------


async def test_stop_closes_every_websocket_with_1001_at_once() -> None:
    # Hypercorn alone would hold open WebSockets for its whole graceful timeout (60 s
    # here) and then drop them (1006): a 1001 close and a stop within the test's bound
    # mean the dashboard closed them itself.
    bus = Bus()
    component = Dashboard(
        DashboardConfig(port=0, push_interval_s=0.05, shutdown_timeout_s=60),
        ComponentContext("dashboard", bus),
    )
    scope = trio.CancelScope()

    async def run(*, task_status: trio.TaskStatus[None]) -> None:
        with scope:
            await component.run(task_status=task_status)

    with trio.fail_after(20):
        async with trio.open_nursery() as nursery:
            await nursery.start(run)
            ws_url = "ws" + component.urls[0].removeprefix("http")
            async with (
                open_websocket_url(f"{ws_url}/dashboard") as a,
                open_websocket_url(f"{ws_url}/dashboard") as b,
                open_websocket_url(f"{ws_url}/metrics") as feed,
            ):
                await a.get_message()
                await b.get_message()
                bus.publish_nowait(METRICS, lag(1.0, T0))
                scope.cancel()
                for ws in (a, b, feed):
                    reason = await closed_reason(ws, timeout_s=20)
                    assert (reason.code, reason.reason) == (
                        1001,
                        "the dashboard is shutting down",
                    )


async def test_markets_reach_the_page_by_hello_frame_and_api() -> None:
    bus = Bus()
    info = MarketInfo(
        "0xabc", "Will it rain?", "rain", ("Yes", "No"), ("111", "222"),
        None, None, False, None, True, False,
    )  # fmt: skip
    bus.publish_retained(MARKETS, info.condition_id, info)
    async with running_dashboard(bus) as running:
        await wait_for(lambda: "0xabc" in running.hub.markets)
        async with open_websocket_url(f"{running.ws_url}/dashboard") as page:
            hello = await next_frame(page)
        expected = {
            "question": "Will it rain?",
            "slug": "rain",
            "outcomes": ["Yes", "No"],
            "token_ids": ["111", "222"],
        }
        assert hello["markets"] == {"0xabc": expected}
        async with httpx.AsyncClient(base_url=running.url) as client:
            assert (await client.get("/api/markets")).json() == {"markets": {"0xabc": expected}}
