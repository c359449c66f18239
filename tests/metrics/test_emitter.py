"""``metrics_emitter`` under the real supervisor, against monitors on real loopback sockets."""

from __future__ import annotations

import contextlib
import json
import math
import random
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import pytest
import trio

from agbotkit.abc import ComponentContext
from agbotkit.builtins.metrics_emitter import MetricsEmitter, MetricsEmitterConfig
from agbotkit.bus.bus import Bus
from agbotkit.bus.subscription import Subscription
from agbotkit.errors import ComponentStartError, ConfigError
from agbotkit.metrics.protocol import decode_metrics
from agbotkit.model.metrics import Metric
from agbotkit.supervisor.runner import Supervisor
from agbotkit.testing import plan_from_yaml
from agbotkit.topics import METRICS
from agbotkit.ws.connection import WsConnection
from agbotkit.ws.server import serve_ws

OWN = "agbotkit.metrics.emitter."


@attrs.define
class Monitor:
    """A test monitor: records every frame (decoded) and when each connection came.

    ``serve_ws`` does not show request headers; the token tests read the handshake with a
    plain TCP server instead.
    """

    port: int = 0
    frames: list[list[Metric]] = attrs.Factory(list)
    frame_times: list[float] = attrs.Factory(list)
    connected_at: list[float] = attrs.Factory(list)
    paths: list[str] = attrs.Factory(list)
    errors: list[str] = attrs.Factory(list)
    scope: trio.CancelScope = attrs.Factory(trio.CancelScope)
    stopped: trio.Event = attrs.Factory(trio.Event)
    greeting: str = ""  # sent to each emitter on connect (which reads and ignores it)

    async def kill(self) -> None:
        """Stop serving (the port is free again once this returns)."""
        self.scope.cancel()
        await self.stopped.wait()

    async def handle(self, conn: WsConnection) -> None:
        self.connected_at.append(trio.current_time())
        self.paths.append(conn.path)
        if self.greeting:
            await conn.send_text(self.greeting)
        while True:
            for message in await conn.receive():
                assert isinstance(message, str)
                metrics, errors = decode_metrics(message)
                self.errors.extend(errors)
                self.frames.append(metrics)
                self.frame_times.append(trio.current_time())

    def received(self, prefix: str = "test.") -> list[Metric]:
        return [m for frame in self.frames for m in frame if m.name.startswith(prefix)]

    def values(self, prefix: str = "test.") -> list[float]:
        return [m.value for m in self.received(prefix)]


async def start_monitor(nursery: trio.Nursery, port: int = 0, greeting: str = "") -> Monitor:
    """Start a monitor in ``nursery``; :meth:`Monitor.kill` stops it and cuts its sockets."""
    monitor = Monitor(greeting=greeting)

    async def serve(*, task_status: trio.TaskStatus[int]) -> None:
        try:
            with monitor.scope:
                await serve_ws(monitor.handle, "127.0.0.1", port, task_status=task_status)
        finally:
            monitor.stopped.set()

    monitor.port = await nursery.start(serve)
    return monitor


async def free_port() -> int:
    """A port that was just free: bound by a monitor on port 0, which is then stopped."""
    async with trio.open_nursery() as nursery:
        monitor = await start_monitor(nursery)
        await monitor.kill()
    return monitor.port


def emitter_stack(port: int, **options: Any) -> Supervisor:
    spec = {
        "kind": "metrics_emitter",
        "url": f"ws://127.0.0.1:{port}/metrics",
        "prefixes": ["test."],
        **options,
    }
    yaml = json.dumps({"stack": {"shutdown_grace_s": 5}, "components": {"emitter": spec}})
    return Supervisor(plan_from_yaml(yaml), rng=random.Random(1))


def publish(supervisor: Supervisor, *values: float, name: str = "test.value") -> None:
    for value in values:
        supervisor.bus.publish_nowait(METRICS, Metric.gauge(name, value, 1000))


async def wait_for(predicate: Callable[[], bool], timeout_s: float = 30.0) -> None:
    with trio.fail_after(timeout_s):
        while not predicate():  # noqa: ASYNC110 - polls test state; autojump clock
            await trio.sleep(0.01)


@attrs.define
class OwnMetrics:
    """The emitter's own metrics, as seen on the bus."""

    samples: Subscription[Metric]
    seen: list[Metric] = attrs.Factory(list)

    def values(self, name: str) -> list[float]:
        with contextlib.suppress(trio.WouldBlock):
            while True:
                self.seen.append(self.samples.receive_nowait())
        found = [m for m in self.seen if m.name == OWN + name]
        assert all(m.labels == (("component", "emitter"),) for m in found)
        return [m.value for m in found]


def own_metrics(supervisor: Supervisor) -> OwnMetrics:
    return OwnMetrics(supervisor.bus.subscribe(METRICS, buffer=100_000))


async def start_tcp_server(
    nursery: trio.Nursery, handler: Callable[[trio.SocketStream], Any]
) -> int:
    """A plain TCP server (for what serve_ws does not show: headers, a stuck handshake)."""
    listeners = await nursery.start(partial(trio.serve_tcp, handler, 0, host="127.0.0.1"))
    port: int = listeners[0].socket.getsockname()[1]
    return port


async def test_sends_batches_of_many_metrics_in_order(autojump_clock: trio.abc.Clock) -> None:
    async with trio.open_nursery() as servers:
        monitor = await start_monitor(servers, greeting="hello")  # read and ignored
        async with trio.open_nursery() as stack:
            supervisor = emitter_stack(monitor.port)
            await stack.start(supervisor.run)
            await wait_for(lambda: len(monitor.connected_at) == 1)
            assert monitor.paths == ["/metrics"]

            publish(supervisor, *range(1200))
            await wait_for(lambda: len(monitor.received()) == 1200)
            assert monitor.values() == list(range(1200))
            assert [len(frame) for frame in monitor.frames] == [500, 500, 200]

            # A lone sample waits flush_interval_s (0.1) for company, no longer.
            published_at = trio.current_time()
            publish(supervisor, 5000)
            await wait_for(lambda: len(monitor.received()) == 1201)
            assert monitor.frame_times[-1] - published_at == pytest.approx(0.1, abs=0.011)
            assert monitor.errors == []
            supervisor.request_stop()
        servers.cancel_scope.cancel()


async def test_monitor_down_at_start_buffers_drops_oldest_then_flushes_oldest_first(
    autojump_clock: trio.abc.Clock,
) -> None:
    port = await free_port()
    supervisor = emitter_stack(port, buffer_size=5, reconnect_interval_s=1)
    own = own_metrics(supervisor)
    async with trio.open_nursery() as servers:
        async with trio.open_nursery() as stack:
            await stack.start(supervisor.run)  # ready although nothing listens
            assert supervisor.ready
            assert trio.current_time() == 0

            publish(supervisor, *range(8))
            await trio.sleep(2.5)
            assert own.values("dropped")[-1] == 3  # 0, 1 and 2 gave way
            await trio.sleep(1)
            samples = own.values("buffered")
            assert samples[-1] == 5

            monitor = await start_monitor(servers, port)
            started_at = trio.current_time()
            await wait_for(lambda: len(monitor.received()) == 5)
            assert monitor.connected_at[0] - started_at <= 1.0  # the next retry
            assert [m.value for m in monitor.frames[0]] == [3, 4, 5, 6, 7]  # one frame, first
            publish(supervisor, 100, 101)
            await wait_for(lambda: len(monitor.received()) == 7)
            assert monitor.values() == [3, 4, 5, 6, 7, 100, 101]
            await trio.sleep(1.5)
            assert own.values("connected")[-1] == 1
            assert own.values("sent")[-1] == 7
            supervisor.request_stop()
        servers.cancel_scope.cancel()


async def test_reconnects_a_second_after_the_monitor_restarts_and_flushes_first(
    autojump_clock: trio.abc.Clock,
) -> None:
    async with trio.open_nursery() as servers:
        first = await start_monitor(servers)
        port = first.port
        supervisor = emitter_stack(port, reconnect_interval_s=1)
        own = own_metrics(supervisor)
        async with trio.open_nursery() as stack:
            await stack.start(supervisor.run)
            publish(supervisor, 1, 2, 3)
            await wait_for(lambda: first.values() == [1, 2, 3])

            await first.kill()
            killed_at = trio.current_time()
            await trio.sleep(0.01)
            assert own.values("connected")[-1] == 0  # published on the change
            publish(supervisor, 10, 11, 12, 13)
            second = await start_monitor(servers, port)  # the same port
            await wait_for(lambda: len(second.received()) == 4)
            assert second.connected_at[0] - killed_at == pytest.approx(1.0, abs=0.05)
            assert [m.value for m in second.frames[0]] == [10, 11, 12, 13]
            publish(supervisor, 14)
            await wait_for(lambda: len(second.received()) == 5)
            assert second.values() == [10, 11, 12, 13, 14]
            assert first.values() == [1, 2, 3]
            supervisor.request_stop()
        servers.cancel_scope.cancel()


async def test_stop_flushes_what_is_buffered(autojump_clock: trio.abc.Clock) -> None:
    async with trio.open_nursery() as servers:
        monitor = await start_monitor(servers)
        async with trio.open_nursery() as stack:
            supervisor = emitter_stack(monitor.port, flush_interval_s=60)
            await stack.start(supervisor.run)
            await wait_for(lambda: len(monitor.connected_at) == 1)
            publish(supervisor, 1, 2, 3)
            supervisor.request_stop()
        await wait_for(lambda: len(monitor.received()) == 3)
        assert monitor.values() == [1, 2, 3]
        servers.cancel_scope.cancel()


async def test_stop_connects_once_to_flush_when_not_connected(
    autojump_clock: trio.abc.Clock,
) -> None:
    port = await free_port()
    async with trio.open_nursery() as servers:
        async with trio.open_nursery() as stack:
            supervisor = emitter_stack(port, reconnect_interval_s=100)
            await stack.start(supervisor.run)
            publish(supervisor, 1, 2)
            await trio.sleep(1)
            monitor = await start_monitor(servers, port)  # up, but the next retry is far
            supervisor.request_stop()
        await wait_for(lambda: len(monitor.received()) == 2)
        assert trio.current_time() < 10
        servers.cancel_scope.cancel()


async def test_stop_while_the_monitor_is_down_gives_up_and_says_so(
    autojump_clock: trio.abc.Clock, caplog: pytest.LogCaptureFixture
) -> None:
    port = await free_port()
    async with trio.open_nursery() as stack:
        supervisor = emitter_stack(port)
        await stack.start(supervisor.run)
        publish(supervisor, 1, 2)
        await trio.sleep(0.5)
        supervisor.request_stop()
    assert trio.current_time() < 1
    assert "stopping with 2 metrics not sent to monitor" in caplog.text


async def test_ends_when_the_bus_closes_after_flushing(autojump_clock: trio.abc.Clock) -> None:
    # Run directly on a bus (no supervisor): closing the bus ends the component.
    async with trio.open_nursery() as servers:
        monitor = await start_monitor(servers)
        bus = Bus()
        config = MetricsEmitterConfig(f"ws://127.0.0.1:{monitor.port}/", prefixes=("test.",))
        emitter = MetricsEmitter(config, ComponentContext("emitter", bus))
        async with trio.open_nursery() as nursery:
            await nursery.start(emitter.run)
            await wait_for(lambda: len(monitor.connected_at) == 1)
            bus.publish_nowait(METRICS, Metric.gauge("test.a", 1.0, 1))
            bus.close()
        assert monitor.values() == [1.0]
        servers.cancel_scope.cancel()


async def test_prefixes_own_metrics_and_non_finite_values(autojump_clock: trio.abc.Clock) -> None:
    async with trio.open_nursery() as servers:
        monitor = await start_monitor(servers)
        async with trio.open_nursery() as stack:
            supervisor = emitter_stack(monitor.port, prefixes=["test.", "app."])
            own = own_metrics(supervisor)
            await stack.start(supervisor.run)
            publish(supervisor, 1, name="test.a")
            publish(supervisor, 2, name="app.b")
            publish(supervisor, 3, name="other.c")
            publish(supervisor, math.nan, math.inf, name="test.bad")
            publish(supervisor, 4, name="test.a")
            await trio.sleep(1.5)
            assert [(m.name, m.value) for m in monitor.received("")] == [
                ("test.a", 1),
                ("app.b", 2),
                ("test.a", 4),
            ]
            assert own.values("nonfinite")[-1] == 2
            supervisor.request_stop()
        servers.cancel_scope.cancel()


@pytest.mark.parametrize("include", [True, False])
async def test_include_own_metrics(autojump_clock: trio.abc.Clock, include: bool) -> None:
    async with trio.open_nursery() as servers:
        monitor = await start_monitor(servers)
        async with trio.open_nursery() as stack:
            supervisor = emitter_stack(monitor.port, prefixes=[], include_own_metrics=include)
            await stack.start(supervisor.run)
            publish(supervisor, 1, name="test.a")
            await trio.sleep(2.5)
            names = {m.name for m in monitor.received("")}
            assert "test.a" in names
            assert (OWN + "connected" in names) is include
            supervisor.request_stop()
        servers.cancel_scope.cancel()


@pytest.mark.parametrize("source", ["env", "file"])
async def test_token_is_sent_as_bearer_header(
    autojump_clock: trio.abc.Clock,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    source: str,
) -> None:
    # serve_ws does not show request headers, so a plain TCP server reads the handshake.
    heads: list[bytes] = []

    async def capture(stream: trio.SocketStream) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = await stream.receive_some(4096)
            if not chunk:
                break
            data += chunk
        heads.append(data)
        await stream.aclose()  # no upgrade: the emitter retries later

    if source == "env":
        monkeypatch.setenv("AGBOTKIT_TEST_MONITOR_TOKEN", " s3cret\n")
        options = {"token_env": "AGBOTKIT_TEST_MONITOR_TOKEN"}
    else:
        (tmp_path / "token").write_text("s3cret\n", encoding="utf-8")
        options = {"token_file": str(tmp_path / "token")}
    async with trio.open_nursery() as servers:
        port = await start_tcp_server(servers, capture)
        async with trio.open_nursery() as stack:
            supervisor = emitter_stack(port, **options)
            await stack.start(supervisor.run)
            await wait_for(lambda: len(heads) >= 1)
            supervisor.request_stop()
        servers.cancel_scope.cancel()
    lines = heads[0].decode().split("\r\n")
    assert lines[0] == "GET /metrics HTTP/1.1"
    assert "authorization: bearer s3cret" in [line.lower() for line in lines]


async def test_no_token_no_authorization_header(autojump_clock: trio.abc.Clock) -> None:
    heads: list[bytes] = []

    async def capture(stream: trio.SocketStream) -> None:
        heads.append(await stream.receive_some(4096))
        await stream.aclose()

    async with trio.open_nursery() as servers:
        port = await start_tcp_server(servers, capture)
        async with trio.open_nursery() as stack:
            supervisor = emitter_stack(port)
            await stack.start(supervisor.run)
            await wait_for(lambda: len(heads) >= 1)
            supervisor.request_stop()
        servers.cancel_scope.cancel()
    assert b"authorization" not in heads[0].lower()


async def test_missing_token_stops_the_start_naming_the_field(
    autojump_clock: trio.abc.Clock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("AGBOTKIT_TEST_NO_SUCH_TOKEN", raising=False)
    supervisor = emitter_stack(1, token_env="AGBOTKIT_TEST_NO_SUCH_TOKEN")
    with pytest.RaisesGroup(
        pytest.RaisesExc(
            ComponentStartError,
            match=r"'emitter' failed before it was ready: ConfigError: "
            r"<environment>: components\.emitter\.token_env: environment variable "
            r"'AGBOTKIT_TEST_NO_SUCH_TOKEN' is not set or empty",
        )
    ):
        await supervisor.run()
    supervisor = emitter_stack(1, token_file=str(tmp_path / "missing"))
    with pytest.RaisesGroup(
        pytest.RaisesExc(ComponentStartError, match=r"token_file: cannot read the secret")
    ):
        await supervisor.run()
    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    supervisor = emitter_stack(1, token_file=str(tmp_path / "empty"))
    with pytest.RaisesGroup(
        pytest.RaisesExc(ComponentStartError, match=r"token_file: the file is empty$")
    ):
        await supervisor.run()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"url": "http://monitor/metrics"}, r"url: expected a ws:// or wss:// URL"),
        ({"url": "ws:///metrics"}, r"url: expected a ws:// or wss:// URL"),
        ({"url": "ws://monitor:99999/metrics"}, r"url: expected a ws:// or wss:// URL"),
        ({"buffer_size": 0}, r"buffer_size: expected a value > 0"),
        ({"batch_size": 0}, r"batch_size: expected a value > 0"),
        ({"flush_interval_s": 0}, r"flush_interval_s: expected a value > 0"),
        ({"reconnect_interval_s": -1}, r"reconnect_interval_s: expected a value > 0"),
        ({"token_env": "A", "token_file": "b"}, r"token_file: give token_env or token_file"),
        ({"token": "s3cret"}, r"token: unknown field 'token'"),
    ],
)
def test_config_errors_name_the_field(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=r"components\.emitter\." + message):
        emitter_stack(1, **options)


async def test_connect_timeout_then_retry(autojump_clock: trio.abc.Clock) -> None:
    accepted: list[float] = []

    async def silent(stream: trio.SocketStream) -> None:
        accepted.append(trio.current_time())
        await trio.sleep_forever()  # accepts TCP, never answers the handshake

    async with trio.open_nursery() as servers:
        port = await start_tcp_server(servers, silent)
        async with trio.open_nursery() as stack:
            supervisor = emitter_stack(port, connect_timeout_s=2, reconnect_interval_s=1)
            await stack.start(supervisor.run)
            await wait_for(lambda: len(accepted) >= 3)
            supervisor.request_stop()
        servers.cancel_scope.cancel()
    assert accepted[1] - accepted[0] == pytest.approx(3.0, abs=0.01)
    assert accepted[2] - accepted[1] == pytest.approx(3.0, abs=0.01)


async def test_monitor_that_stops_reading_is_treated_as_down(
    autojump_clock: trio.abc.Clock, caplog: pytest.LogCaptureFixture
) -> None:
    connected: list[float] = []

    async def deaf(conn: WsConnection) -> None:
        connected.append(trio.current_time())
        await trio.sleep_forever()

    async with trio.open_nursery() as servers:
        port = await servers.start(partial(serve_ws, deaf, "127.0.0.1", 0))
        async with trio.open_nursery() as stack:
            supervisor = emitter_stack(port, send_timeout_s=5, drain_timeout_s=0.5)
            await stack.start(supervisor.run)
            name = "test." + "x" * 300  # big samples fill the socket buffers sooner
            for chunk in range(40):
                publish(supervisor, *range(chunk * 1000, chunk * 1000 + 1000), name=name)
                await trio.lowlevel.checkpoint()
            await wait_for(lambda: len(connected) >= 2)
            supervisor.request_stop()
        servers.cancel_scope.cancel()
    assert connected[1] - connected[0] >= 6.0  # blocked, 5 s send timeout, 1 s pause
    assert "a send took longer than 5 s" in caplog.text
