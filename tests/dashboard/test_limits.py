"""Every refused sample is counted: oversize frames (hypercorn's limit too), out-of-order
points, series beyond a sender's share; and a taken port is named."""

from __future__ import annotations

import socket
import struct

import pytest
import trio
from trio_websocket import open_websocket_url

from agbotkit.abc import ComponentContext
from agbotkit.bus.bus import Bus
from agbotkit.dashboard.component import Dashboard, DashboardConfig
from agbotkit.errors import ComponentStartError
from agbotkit.metrics.protocol import encode_metrics
from agbotkit.model.metrics import Metric, labels_key
from agbotkit.topics import METRICS

from .conftest import Running, running_dashboard, wait_for

T0 = 1_700_000_000_000


def published(running: Running) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The dashboard's own counters as it publishes them on the bus."""
    out = {}
    with running.bus.subscribe(METRICS) as local:
        running.hub.publish_counters()
        while True:
            try:
                sample = local.receive_nowait()
            except trio.WouldBlock:
                return out
            out[sample.name, sample.labels] = sample.value


OWN = labels_key({"component": "dashboard"})


async def raw_oversize_frame(port: int, size: int) -> int:
    """Open ``WS /metrics`` on a raw socket, send one text frame of ``size`` bytes and
    return the code of the server's close frame (sending stops when it comes)."""
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        await stream.send_all(
            f"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        data = b""
        with trio.fail_after(5):
            while b"\r\n\r\n" not in data:
                data += await stream.receive_some(4096)
        assert data.startswith(b"HTTP/1.1 101")
        data = data.partition(b"\r\n\r\n")[2]
        # FIN + text; masked (a zero mask leaves the payload as is); 64-bit length.
        header = bytes([0x81, 0x80 | 127]) + struct.pack("!Q", size) + bytes(4)
        async with trio.open_nursery() as nursery:

            async def send() -> None:
                await stream.send_all(header)
                chunk = b"x" * 65536
                for _ in range(size // len(chunk)):
                    await stream.send_all(chunk)

            nursery.start_soon(send)
            with trio.fail_after(10):
                while len(data) < 4:
                    data += await stream.receive_some(4096)
            nursery.cancel_scope.cancel()
        assert data[0] == 0x88, data[:8]  # a close frame
        code: int = struct.unpack("!H", data[2:4])[0]
        return code


async def test_a_frame_beyond_hypercorns_limit_is_counted_and_closed_with_1009() -> None:
    async with running_dashboard() as running:  # max_frame_bytes: 1 MiB
        port = int(running.url.rsplit(":", 1)[1])
        assert await raw_oversize_frame(port, 5 << 20) == 1009
        await wait_for(lambda: running.hub.counters.get("agbotkit.dashboard.oversize_frames") == 1)
        assert published(running)["agbotkit.dashboard.oversize_frames", OWN] == 1.0
        # One count per refused frame (not one per chunk of it); each connection counts.
        assert await raw_oversize_frame(port, 3 << 20) == 1009
        await wait_for(lambda: running.hub.counters.get("agbotkit.dashboard.oversize_frames") == 2)
        async with open_websocket_url(f"{running.ws_url}/metrics") as feed:
            await feed.send_message(encode_metrics([Metric.gauge("b", 1.0, T0)]))
        await wait_for(lambda: running.hub.store.latest_value("b") is not None)
        assert running.hub.counters["agbotkit.dashboard.oversize_frames"] == 2


async def test_out_of_order_and_refused_samples_are_published() -> None:
    async with running_dashboard(max_series=2) as running:
        metrics = [
            Metric.gauge("a", 1.0, T0 + 10),
            Metric.gauge("a", 2.0, T0),  # older than the newest point: dropped
            Metric.gauge("b", 1.0, T0),
            Metric.gauge("c", 1.0, T0),  # a third series: beyond max_series
        ]
        async with open_websocket_url(f"{running.ws_url}/metrics") as feed:
            await feed.send_message(encode_metrics(metrics))
        await wait_for(lambda: running.hub.counters.get("agbotkit.dashboard.ingested") == 2)
        counters = published(running)
        assert counters["agbotkit.dashboard.rejected_points", OWN] == 1.0
        assert counters["agbotkit.dashboard.refused_series", OWN] == 1.0


async def test_one_sender_exploding_its_labels_leaves_room_for_the_others() -> None:
    async with running_dashboard(max_series=100, max_series_per_sender=40) as running:
        explosion = [Metric.gauge("a.req", 1.0, T0, {"id": str(i)}) for i in range(500)]
        async with (
            open_websocket_url(f"{running.ws_url}/metrics") as a,
            open_websocket_url(f"{running.ws_url}/metrics") as b,
        ):
            await a.send_message(encode_metrics(explosion))
            await wait_for(lambda: running.hub.store.refused_series == 460)
            mine = [Metric.gauge("b.lag_ms", 1.0, T0, {"feed": f}) for f in ("clob", "rtds")]
            await b.send_message(encode_metrics(mine))
            await wait_for(lambda: running.hub.store.latest_value("b.lag_ms", {"feed": "rtds"}))
            # The local bus is a sender of its own as well.
            running.bus.publish_nowait(METRICS, Metric.gauge("local.up", 1.0, T0))
            await wait_for(lambda: running.hub.store.latest_value("local.up") is not None)
            # Samples of series A already has still go in.
            await a.send_message(encode_metrics([Metric.gauge("a.req", 2.0, T0 + 1, {"id": "0"})]))
            await wait_for(
                lambda: running.hub.store.latest_value("a.req", {"id": "0"}).value == 2.0  # type: ignore[union-attr]
            )
            refused = running.hub.store.refused_by_sender
            assert list(refused.values()) == [460]  # A only, under its own name
            (sender,) = refused
            assert sender.startswith("127.0.0.1:")
            counters = published(running)
        key = labels_key({"sender": sender, "component": "dashboard"})
        assert counters["agbotkit.dashboard.sender_refused_series", key] == 460.0
        assert counters["agbotkit.dashboard.refused_series", OWN] == 460.0
        assert len(running.hub.store.query("a.req")) == 40
        # A left: a new connection may create series again (up to its own share).
        await wait_for(lambda: running.hub.store.series_of(sender) == 0)


async def test_a_taken_port_is_named_in_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        component = Dashboard(DashboardConfig(port=port), ComponentContext("dash", Bus()))
        with pytest.RaisesGroup(
            pytest.RaisesExc(
                ComponentStartError,
                match=rf"^component 'dash' cannot listen on 127\.0\.0\.1:{port}: Address already in use$",
            ),
            flatten_subgroups=True,
        ):
            async with trio.open_nursery() as nursery:
                await nursery.start(component.run)
